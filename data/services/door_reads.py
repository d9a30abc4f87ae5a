"""What the door reads before a press: the state row and the person's inputs (SPEC §4, §8).

Both statements are built once with bound parameters, and the person's inputs are kept per
process and team while the team's revision (``data.revision.current(session, team_id)``) is
unchanged, so a door request spends its CPU on the answer.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, false, select
from sqlalchemy.orm import Session

from data import revision
from data.attendance_inputs import AttendanceInputs
from data.attendance_inputs import person_inputs as _person_inputs
from data.facts import semester_containing
from data.models import (
    Appointment,
    Place,
    Semester,
    TeamSettings,
    UsedToken,
    User,
)
from data.policy.settings import SettingsHistory

# team id → (stored settings JSON, its parsed history): parsing and validating it on every
# press cost more than reading it.
_HISTORIES: dict[int, tuple[dict, SettingsHistory]] = {}
INPUTS_CACHE_SIZE = 2048  # people's inputs and state rows kept per process and team
# team id → its entries: "revision" → the team's revision they were read under;
# (semester…, user) → inputs; ("state", user, place, day) → the state row.
_INPUTS_CACHE: dict[int, dict[Any, Any]] = {}


@functools.cache
def _state_statement(with_token: bool) -> Select:
    """One row: the scanned place, the team's settings, today's semester and the appointment.

    Built once with bound parameters (``state_row`` fills them): building it cost more CPU
    than the database took to answer it.
    """
    user_id = bindparam("user_id")
    used = (
        select(UsedToken.id)
        .where(UsedToken.user_id == User.id, UsedToken.token_hash == bindparam("fingerprint"))
        .exists()
        if with_token
        else false()
    )
    # The team's revision (both tokens, combined by ``state_row``): the key of the inputs cache.
    global_token, team_token = revision.token_columns(User.team_id)
    return (
        select(
            Place,
            TeamSettings.values,
            Semester,
            Appointment.stage,
            used,
            global_token,
            team_token,
        )
        .select_from(User)
        .outerjoin(Place, Place.id == bindparam("place_id"))
        .outerjoin(TeamSettings, TeamSettings.team_id == User.team_id)
        .outerjoin(Semester, semester_containing(User.team_id, bindparam("day", type_=Date())))
        .outerjoin(
            Appointment,
            and_(Appointment.user_id == User.id, Appointment.semester_id == Semester.id),
        )
        .where(User.id == user_id)
    )


def state_row(
    session: Session,
    user_id: int,
    team_id: int,
    place_id: int | None,
    day: date,
    fingerprint: str | None,
) -> tuple:
    """(place, settings JSON, semester, stage, kiosk code used, team revision) of ``user_id``
    on ``day`` (see ``_state_statement``); place and semester detached (they outlive the read).

    Kept per process under the team's revision like the inputs, so a press that finds it reads
    only the revision tokens; a kiosk code's use (``fingerprint``) is always read fresh.
    """
    params = {"user_id": user_id, "place_id": place_id, "day": day, "fingerprint": fingerprint}
    key = ("state", user_id, place_id, day)
    if not fingerprint:
        token = revision.current(session, team_id)
        kept = _entries(session, team_id, token).get(key) if token is not None else None
        if kept is not None:
            return (*kept[:5], token)  # kept under an earlier token if carried forward
    found = session.execute(_state_statement(bool(fingerprint)), params).one()
    row = (*found[:5], revision.combined(found[5], found[6]))
    for loaded in row[0], row[2]:  # the place and the semester
        if loaded is not None and loaded in session:
            session.expunge(loaded)
    if not fingerprint and row[5] is not None:
        entries = _entries(session, team_id, row[5])
        if len(entries) < INPUTS_CACHE_SIZE:
            entries[key] = row
    return row


def _entries(session: Session, team_id: int, token: str) -> dict[Any, Any]:
    """The team's entries if they were read under ``token``; else they start again, empty."""
    version = _version(session, token)
    entries = _INPUTS_CACHE.setdefault(team_id, {})
    if entries.get("revision") != version:
        entries.clear()
        entries["revision"] = version
    return entries


def person_inputs(
    session: Session, semester: Semester, user_id: int, token: str | None = None
) -> AttendanceInputs:
    """The read model's one-statement inputs of the person, cut to their own duties.

    Kept per process while the team's revision read with them (``token``) is unchanged: a
    repeated press (a double tap, a stale tab) then reads nothing more. Every committed write
    changes the global or the team's token (``data.revision``), so a schedule edit or a
    sign-in is seen at once.
    """
    if token is None:
        return _person_inputs(session, semester, user_id, own=True)
    key = _key(semester, user_id)
    entries = _entries(session, semester.team_id, token)
    inputs = entries.get(key)
    if inputs is None:
        inputs = _person_inputs(session, semester, user_id, own=True)
        if len(entries) < INPUTS_CACHE_SIZE:
            entries[key] = inputs
    return inputs


def carry_forward(
    session: Session,
    semester: Semester,
    user_id: int,
    inputs: AttendanceInputs,
    expected: str,
    new: str,
) -> None:
    """After a commit that changed only ``user_id``'s inputs (now ``inputs``) from ``expected``
    to ``new`` (``data.revision.succession``): keep the team's other entries under ``new``.

    Nothing else was committed in between, so the other entries are still what a read would
    give; without this every sign-in emptied the cache and the next person read again.
    """
    entries = _INPUTS_CACHE.get(semester.team_id)
    if entries is None or entries.get("revision") != _version(session, expected):
        return
    entries["revision"] = _version(session, new)
    key = _key(semester, user_id)
    if key in entries or len(entries) < INPUTS_CACHE_SIZE:
        entries[key] = inputs


def _key(semester: Semester, user_id: int) -> tuple:
    return (semester.id, semester.team_id, semester.start, semester.end, user_id)


def _version(session: Session, token: str) -> tuple[str, str]:
    # With the database: two copies of one database may carry the same token (tests, restores).
    return (str(session.get_bind().url), token)


def settings_history(team_id: int, values: dict | None) -> SettingsHistory:
    """The team's parsed settings history, parsed again only when the stored JSON differs."""
    kept = _HISTORIES.get(team_id)
    if kept is not None and kept[0] == values:
        return kept[1]
    history = SettingsHistory.from_dict(values)
    if len(_HISTORIES) >= 256:
        _HISTORIES.clear()
    _HISTORIES[team_id] = (copy.deepcopy(values), history)
    return history

"""What the door reads before a press: the state row and the person's inputs (SPEC §4, §8).

Both statements are built once with bound parameters, and the person's inputs are kept per
process while the data revision is unchanged, so a door request spends its CPU on the answer.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, false, select
from sqlalchemy.orm import Session

from data.attendance_inputs import AttendanceInputs
from data.attendance_inputs import person_inputs as _person_inputs
from data.facts import semester_containing
from data.models import (
    Appointment,
    DataRevision,
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
INPUTS_CACHE_SIZE = 2048  # people's inputs and state rows kept per process under one revision
# "revision" → the data revision the entries were read under; (semester…, user) → inputs;
# ("state", user, place, day) → the state row.
_INPUTS_CACHE: dict[Any, Any] = {}


# A Core statement on the session's connection: the ORM's per-statement work cost twice the read.
_REVISION = select(DataRevision.__table__.c.value).where(DataRevision.__table__.c.id == 1)


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
    # The data revision changes with every committed write: the key of the inputs cache.
    revision = select(DataRevision.value).where(DataRevision.id == 1).scalar_subquery()
    return (
        select(Place, TeamSettings.values, Semester, Appointment.stage, used, revision)
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
    session: Session, user_id: int, place_id: int | None, day: date, fingerprint: str | None
) -> tuple:
    """The state row (see ``_state_statement``) of ``user_id`` on ``day``; place and semester
    detached (they outlive the read).

    Kept per process under the data revision like the inputs, so a press that finds it reads
    only the revision token; a kiosk code's use (``fingerprint``) is always read fresh.
    """
    params = {"user_id": user_id, "place_id": place_id, "day": day, "fingerprint": fingerprint}
    key = ("state", user_id, place_id, day)
    if not fingerprint:
        token = session.connection().execute(_REVISION).scalar()
        kept = _entries(session, token).get(key) if token is not None else None
        if kept is not None:
            return (*kept[:5], token)  # kept under an earlier token if carried forward
    row = tuple(session.execute(_state_statement(bool(fingerprint)), params).one())
    for loaded in row[0], row[2]:  # the place and the semester
        if loaded is not None and loaded in session:
            session.expunge(loaded)
    if not fingerprint and row[5] is not None:
        entries = _entries(session, row[5])
        if len(entries) < INPUTS_CACHE_SIZE:
            entries[key] = row
    return row


def _entries(session: Session, revision: str) -> dict[Any, Any]:
    """The cache's entries if they were read under ``revision``; else it starts again, empty."""
    version = _version(session, revision)
    if _INPUTS_CACHE.get("revision") != version:
        _INPUTS_CACHE.clear()
        _INPUTS_CACHE["revision"] = version
    return _INPUTS_CACHE


def person_inputs(
    session: Session, semester: Semester, user_id: int, revision: str | None = None
) -> AttendanceInputs:
    """The read model's one-statement inputs of the person, cut to their own duties.

    Kept per process while the data revision read with them is unchanged: a repeated press
    (a double tap, a stale tab) then reads nothing more. Every committed write changes the
    revision (``data.revision``), so a schedule edit or a sign-in is seen at once.
    """
    if revision is None:
        return _person_inputs(session, semester, user_id, own=True)
    key = _key(semester, user_id)
    entries = _entries(session, revision)
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
    to ``new`` (``data.revision.succession``): keep everyone else's entries under ``new``.

    Nothing else was committed in between, so the other entries are still what a read would
    give; without this every sign-in emptied the cache and the next person read again.
    """
    if _INPUTS_CACHE.get("revision") != _version(session, expected):
        return
    _INPUTS_CACHE["revision"] = _version(session, new)
    key = _key(semester, user_id)
    if key in _INPUTS_CACHE or len(_INPUTS_CACHE) < INPUTS_CACHE_SIZE:
        _INPUTS_CACHE[key] = inputs


def _key(semester: Semester, user_id: int) -> tuple:
    return (semester.id, semester.team_id, semester.start, semester.end, user_id)


def _version(session: Session, revision: str) -> tuple[str, str]:
    # With the database: two copies of one database may carry the same token (tests, restores).
    return (str(session.get_bind().url), revision)


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

"""What the door reads before a press: the state row and the person's inputs (SPEC §4, §8).

Both statements are built once with bound parameters, and the person's inputs are kept per
process while the data revision is unchanged, so a door request spends its CPU on the answer.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import Date, Row, Select, and_, bindparam, false, select
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

INPUTS_CACHE_SIZE = 2048  # people's inputs kept per process under one data revision
# "revision" → the data revision the entries were read under; (semester…, user) → inputs.
_INPUTS_CACHE: dict[Any, Any] = {}


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
) -> Row:
    """The state row (see ``_state_statement``) of ``user_id`` on ``day``."""
    params = {"user_id": user_id, "place_id": place_id, "day": day, "fingerprint": fingerprint}
    return session.execute(_state_statement(bool(fingerprint)), params).one()


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
    key = (semester.id, semester.team_id, semester.start, semester.end, user_id)
    # With the database: two copies of one database may carry the same token (tests, restores).
    version = (str(session.get_bind().url), revision)
    if _INPUTS_CACHE.get("revision") != version:
        _INPUTS_CACHE.clear()
        _INPUTS_CACHE["revision"] = version
    inputs = _INPUTS_CACHE.get(key)
    if inputs is None:
        inputs = _person_inputs(session, semester, user_id, own=True)
        if len(_INPUTS_CACHE) < INPUTS_CACHE_SIZE:
            _INPUTS_CACHE[key] = inputs
    return inputs

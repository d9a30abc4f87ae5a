"""The dated swap (换班, 第八条四): one person's duty on one date taken by another.

One rule for every swap: the 团长's own (the schedule page) and an approved swap request
(``data.services.swap_offers``) both record it through ``record_swap``, so both make the same
``ShiftOverride`` (kind swap) and the engine moves the duty for that date only; every earlier
and later duty stays as it was.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.attendance import duties_on, makeup_days, service_windows
from data.inputs import clean_text
from data.models import OverrideKind, Semester, Shift, ShiftOverride, User
from data.policy.swaps import taker_refusal
from data.policy.types import Duty
from data.services import REASON_MAX, Refused, audit
from data.services.duties import ON_DUTY_ROLES
from data.services.semesters import LOCKED_MESSAGE
from data.timeutil import local_to_utc

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
SNAPSHOT = ("on", "kind", "shift_id", "user_id", "replaced_user_id", "start", "end", "place_id")


def snapshot(override: ShiftOverride) -> dict:
    """The audit view of an override (the same fields for every kind)."""
    return {name: getattr(override, name) for name in SNAPSHOT} | {"reason": override.reason}


def team_person(session: Session, team_id: int, user_id: Any) -> User | None:
    """An active duty-taking member of the team (another team's id looks like a missing one)."""
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.team_id != team_id or not user.active:
        return None
    return user if user.role in ON_DUTY_ROLES else None


def in_post(session: Session, semester: Semester, user_id: int, day: date) -> bool:
    """``day`` lies in the person's service window (the engine drops duties outside it)."""
    first, last = service_windows(session, semester, {user_id}).get(
        user_id, (semester.start, semester.end)
    )
    return first <= day <= last


def swapped_duty(shift: Shift, day: date, replaced_id: int) -> Duty:
    """The duty being handed over, as the engine would expand it (times in force that day)."""
    start, end, _place = shift.version_on(day)
    begin = local_to_utc(day, start)
    finish = local_to_utc(day, end)
    if finish <= begin:  # an overnight shift ends the next day, as in data.policy.duties
        finish = local_to_utc(date.fromordinal(day.toordinal() + 1), end)
    return Duty(replaced_id, day, shift.id, begin, finish, shift.place.name)


def swap_refusal(
    session: Session,
    semester: Semester,
    day: date,
    shift: Shift | None,
    user: User | None,
    replaced: User | None,
) -> str | None:
    """Why this swap cannot be recorded, or None. Checked again whenever an offer is approved."""
    if shift is None or shift.semester_id != semester.id:
        return "请选择要换班的班次"
    if not shift.in_force(day):
        return f"所选班次在 {day:%Y-%m-%d} 不在值班表中"
    weekday = makeup_days(session, semester).get(day, day.isoweekday())
    if shift.weekday != weekday:
        return f"{day:%Y-%m-%d} 是{WEEKDAYS[day.weekday()]}，与所选班次的星期不符"
    people = shift.assignments_on(day)
    if replaced is None or all(a.user_id != replaced.id for a in people):
        return "原值班人不在所选班次中"
    if user is None:
        return "请选择本团队的助管"
    if user.id == replaced.id:
        return "换班双方不能是同一人"
    already = session.scalar(
        select(ShiftOverride.id).where(
            ShiftOverride.semester_id == semester.id,
            ShiftOverride.on == day,
            ShiftOverride.kind == OverrideKind.swap,
            ShiftOverride.shift_id == shift.id,
            ShiftOverride.replaced_user_id == replaced.id,
        )
    )
    if already is not None:
        return f"{replaced.name} 这一天的该班次已有换班记录"
    duty = swapped_duty(shift, day, replaced.id)
    own = duties_on(session, semester, day, user_id=user.id)
    refusal = taker_refusal(
        duty, user.id, replaced.id, in_post(session, semester, user.id, day), own
    )
    return refusal.replace("替班人", user.name) if refusal else None


def record_swap(
    session: Session,
    actor: User,
    semester: Semester,
    day: date,
    shift_id: int | None,
    user_id: int | None,
    replaced_user_id: int | None,
    reason: Any,
    *,
    at: datetime,
    ip: str = "",
) -> ShiftOverride:
    """Record that ``user_id`` takes ``replaced_user_id``'s duty on shift ``shift_id`` on ``day``.

    Refused when the semester is locked, the day is outside it, the replaced person is not on
    the shift that day, or the taker cannot take it (same person, not in post, already on the
    shift, an own duty at an overlapping time). Audited as ``schedule.swap``.
    """
    if semester.team_id != actor.team_id:
        raise Refused("找不到这个学期。")
    if semester.finalized_at is not None:
        raise Refused(LOCKED_MESSAGE)
    if not semester.start <= day <= semester.end:
        raise Refused(f"日期应在本学期内（{semester.start} 至 {semester.end}）")
    shift = session.get(Shift, shift_id) if isinstance(shift_id, int) else None
    user = team_person(session, semester.team_id, user_id)
    replaced = team_person(session, semester.team_id, replaced_user_id)
    refusal = swap_refusal(session, semester, day, shift, user, replaced)
    if refusal:
        raise Refused(refusal)
    assert shift is not None and user is not None and replaced is not None
    override = ShiftOverride(
        semester_id=semester.id,
        on=day,
        kind=OverrideKind.swap,
        shift_id=shift.id,
        user_id=user.id,
        replaced_user_id=replaced.id,
        reason=clean_text(reason, REASON_MAX),
        approved_by_id=actor.id,
        created_at=at,
    )
    session.add(override)
    session.flush()
    audit(
        session,
        actor,
        "schedule.swap",
        "shift_override",
        override.id,
        None,
        snapshot(override),
        at=at,
        ip=ip,
    )
    return override

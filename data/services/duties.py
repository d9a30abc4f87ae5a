"""Which duty a workbench form names: a team member, their duties that day, the shift picked.

Shared by the counselor's leave decisions and 补签. The duties come from the read model
(``data.attendance.duties_on``), so a form can only name a duty the record also shows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import facts
from data.attendance import duties_on
from data.inputs import as_text, parse_id
from data.models import Role, User
from data.policy.types import Duty
from data.services import Refused
from data.timeutil import to_local

WEEKDAYS = "一二三四五六日"
NO_SHIFT = "extra"  # form value naming a dated duty that has no weekly shift
# Members whose duties can be excused or corrected: the 团长 is an assistant too (第八条四).
ON_DUTY_ROLES = (Role.assistant, Role.leader)


def parse_shift(raw: Any) -> tuple[int | None, bool]:
    """(shift id or None for a dated duty without a weekly shift, whether the form named one)."""
    text = as_text(raw).strip()
    if not text:
        return None, False
    if text == NO_SHIFT:
        return None, True
    shift_id = parse_id(text)
    if shift_id is None:
        raise Refused("值班班次不正确。")
    return shift_id, True


def shift_value(duty: Duty) -> str:
    """The form value naming ``duty``'s shift (see ``parse_shift``)."""
    return NO_SHIFT if duty.shift_id is None else str(duty.shift_id)


def duty_when(day: date, start: datetime | None, end: datetime | None) -> str:
    """'11月25日 周三 08:00–10:00' (times left out when unknown)."""
    text = f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"
    if start is not None and end is not None:
        text += f" {to_local(start):%H:%M}–{to_local(end):%H:%M}"
    return text


def members(session: Session, team_id: int | None) -> list[User]:
    """The team's active members who take duties, for the pickers."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.team_id == team_id,
                User.role.in_(ON_DUTY_ROLES),
                User.active.is_(True),
            )
            .order_by(User.username)
        )
    )


def member(session: Session, team_id: int | None, user_id: int | None) -> User:
    """A duty-taking member of the team; another team's id looks like a missing one."""
    if user_id is None:
        raise Refused("请选择助管。")
    user = session.get(User, user_id)
    if user is None or user.team_id != team_id or user.role not in ON_DUTY_ROLES:
        raise Refused("请选择本团队的助管。")
    return user


def require_day(day: date | None) -> date:
    """The duty date a form gave, or the refusal asking for one."""
    if day is None:
        raise Refused("请填写正确的值班日期（年-月-日）。")
    return day


def duties_of(session: Session, user: User, day: date) -> list[Duty]:
    """``user``'s duties on ``day`` in their team's semester containing it."""
    semester = facts.semester_on(session, user.team_id, day)
    return duties_on(session, semester, day, user_id=user.id) if semester else []


def pick_duty(duties: list[Duty], shift_id: int | None, shift_given: bool) -> Duty:
    """The duty the form names; with one duty that day the shift may be left out."""
    if not duties:
        raise Refused("该助管在这一天没有值班。")
    if not shift_given:
        if len(duties) > 1:
            raise Refused("该助管这一天有多个班次，请选择班次。")
        return duties[0]
    for duty in duties:
        if duty.shift_id == shift_id:
            return duty
    raise Refused("该助管这一天没有这个班次。")

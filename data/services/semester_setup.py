"""Semesters, college breaks and 调休 make-up days (SPEC §3 "Duty and attendance").

Every change is first a ``Plan``: checked, described, with the first day whose duties it may
change and a function that makes it. The page previews a plan that reaches back to today or
earlier (``data.services.schedule.preview``) and ``save`` then needs a reason; the CLI's
``create-semester`` uses the same checks, so the browser and the command line refuse alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.inputs import clean_text
from data.models import Semester, SemesterBreak, SemesterMakeupDay, Team, User
from data.services import Refused, audit, clean_reason
from data.services.semesters import LOCKED_MESSAGE
from data.timeutil import local_today

NAME_MAX = 50  # Semester.name and SemesterBreak.name are String(50)
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _span(start: date, end: date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def check_fields(name: Any, start: date, end: date) -> str:
    """The cleaned name; refuses an empty or long name and an end not after the start."""
    name = clean_text(name, NAME_MAX + 1)  # one more: too long is refused, not cut
    if not name or len(name) > NAME_MAX:
        raise Refused(f"学期名称不能为空且不超过 {NAME_MAX} 个字符")
    if end <= start:
        raise Refused("学期结束日期必须晚于开始日期")
    return name


def check_in_team(
    session: Session, team_id: int, name: str, start: date, end: date, exclude: int | None = None
) -> None:
    """Refuse a name the team already uses or dates overlapping another of its semesters."""
    others = select(Semester).where(Semester.team_id == team_id)
    if exclude is not None:
        others = others.where(Semester.id != exclude)
    if session.scalar(others.where(Semester.name == name).with_only_columns(Semester.id)):
        raise Refused(f"学期已存在：{name}")
    overlapping = session.scalar(
        others.where(Semester.start <= end, Semester.end >= start).with_only_columns(Semester.name)
    )
    if overlapping:
        raise Refused(f"与已有学期“{overlapping}”的日期重叠")


def new_semester(session: Session, team: Team, name: str, start: date, end: date) -> Semester:
    """Check and add a semester of ``team`` (the CLI's create-semester; unaudited, no actor)."""
    name = check_fields(name, start, end)
    check_in_team(session, team.id, name, start, end)
    semester = Semester(team=team, name=name, start=start, end=end)
    session.add(semester)
    return semester


def create(
    session: Session, actor: User, name: str, start: date, end: date, *, at: datetime, ip: str = ""
) -> Semester:
    """The counselor creates a semester of their team (audited)."""
    team = session.get(Team, actor.team_id)
    if team is None:
        raise Refused("账号没有所属团队，不能创建学期")
    semester = new_semester(session, team, name, start, end)
    session.flush()
    after = {"name": semester.name, **_span(start, end)}
    audit(session, actor, "semester.create", "semester", semester.id, None, after, at=at, ip=ip)
    return semester


@dataclass
class Plan:
    """One checked change of a semester, not yet made."""

    semester: Semester
    summary: str  # what the preview says is about to be saved
    day: date | None  # the first day whose duties may change; None = no duty changes
    make: Callable[[], object]
    action: str
    before: dict | None
    after: dict | None

    def past(self, today: date) -> bool:
        """True when the change reaches duties of today or earlier (preview and reason)."""
        return self.day is not None and self.day <= today


def _unlocked(semester: Semester) -> None:
    if semester.finalized_at is not None:
        raise Refused(LOCKED_MESSAGE)


def plan_update(session: Session, semester: Semester, name: str, start: date, end: date) -> Plan:
    """Rename or move a semester; breaks and make-up days must stay inside the new dates."""
    name = check_fields(name, start, end)
    check_in_team(session, semester.team_id, name, start, end, exclude=semester.id)
    moved = (start, end) != (semester.start, semester.end)
    if moved:
        _unlocked(semester)
    for item in semester.breaks:
        if item.start < start or item.end > end:
            raise Refused(f"假期“{item.name or item.start}”不在新的学期日期内，请先删除它")
    for item in semester.makeup_days:
        if not start <= item.on <= end:
            raise Refused(f"调休上班日 {item.on} 不在新的学期日期内，请先删除它")
    day = None
    if start != semester.start:
        day = min(start, semester.start)
    elif end != semester.end:
        day = min(end, semester.end)
    before = {"name": semester.name, **_span(semester.start, semester.end)}
    after = {"name": name, **_span(start, end)}

    def make() -> None:
        semester.name, semester.start, semester.end = name, start, end

    summary = f"学期“{name}”：{start} 至 {end}"
    return Plan(semester, summary, day, make, "semester.update", before, after)


def plan_break(session: Session, semester: Semester, name: Any, start: date, end: date) -> Plan:
    """A college break (no duties on its days) inside the semester."""
    _unlocked(semester)
    name = clean_text(name, NAME_MAX + 1)  # one more: too long is refused, not cut
    if not name or len(name) > NAME_MAX:
        raise Refused(f"请填写假期名称（不超过 {NAME_MAX} 个字）")
    if end < start:
        raise Refused("假期结束日期不能早于开始日期")
    if start < semester.start or end > semester.end:
        raise Refused(f"假期须在学期内（{semester.start} 至 {semester.end}）")
    for item in semester.breaks:
        if item.start <= end and item.end >= start:
            raise Refused(f"与已有假期“{item.name}”的日期重叠")
    for item in semester.makeup_days:
        if start <= item.on <= end:
            raise Refused(f"{item.on} 已指定为调休上班日，请先删除它再设假期")
    after = {"break": name, **_span(start, end)}

    def make() -> None:
        semester.breaks.append(SemesterBreak(name=name, start=start, end=end))

    summary = f"新增假期“{name}”：{start} 至 {end}（这些天没有值班）"
    return Plan(semester, summary, start, make, "semester.break_add", None, after)


def plan_break_delete(session: Session, semester: Semester, item: SemesterBreak) -> Plan:
    """Remove a break: its days get their weekly duties back."""
    _unlocked(semester)
    before = {"break": item.name, **_span(item.start, item.end)}
    summary = f"删除假期“{item.name}”（{item.start} 至 {item.end} 恢复值班）"
    make = lambda: session.delete(item)  # noqa: E731
    return Plan(semester, summary, item.start, make, "semester.break_delete", before, None)


def plan_makeup(session: Session, semester: Semester, on: date, weekday: int) -> Plan:
    """Declare that the weekend workday ``on`` follows ``weekday``'s schedule (按周五值班)."""
    _unlocked(semester)
    if not semester.start <= on <= semester.end:
        raise Refused(f"调休上班日须在学期内（{semester.start} 至 {semester.end}）")
    if on.isoweekday() < 6:
        raise Refused(f"{on} 是{WEEKDAYS[on.weekday()]}，只有周末的调休上班日需要指定按哪天值班")
    if not 1 <= weekday <= 7:
        raise Refused("请选择按星期几的值班安排")
    if any(item.on == on for item in semester.makeup_days):
        raise Refused(f"{on} 已经指定过调休上班，请先删除原来的设置")
    for item in semester.breaks:
        if item.start <= on <= item.end:
            raise Refused(f"{on} 在假期“{item.name}”内，不能设为调休上班日")
    label = f"{on}（{WEEKDAYS[on.weekday()]}）按{WEEKDAYS[weekday - 1]}值班"
    after = {"makeup": on.isoformat(), "weekday": weekday}

    def make() -> None:
        semester.makeup_days.append(SemesterMakeupDay(on=on, weekday=weekday))

    return Plan(semester, f"调休上班：{label}", on, make, "semester.makeup_add", None, after)


def plan_makeup_delete(session: Session, semester: Semester, item: SemesterMakeupDay) -> Plan:
    """Remove a make-up day: the weekend day has no weekly duties again."""
    _unlocked(semester)
    before = {"makeup": item.on.isoformat(), "weekday": item.weekday}
    summary = f"取消调休上班：{item.on} 不再按{WEEKDAYS[item.weekday - 1]}值班"
    make = lambda: session.delete(item)  # noqa: E731
    return Plan(semester, summary, item.on, make, "semester.makeup_delete", before, None)


def save(
    session: Session,
    actor: User,
    planner: Callable[[], Plan],
    reason: str = "",
    *,
    at: datetime,
    ip: str = "",
) -> Plan:
    """Plan (checked inside the caller's transaction), make and audit the change; one that
    reaches duties of today or earlier needs a reason."""
    plan = planner()
    after = dict(plan.after or {})
    if plan.past(local_today(at)):
        after["reason"] = clean_reason(reason, "原因（这会改变已经发生的值班）")
    plan.make()
    session.flush()
    entity = plan.semester.id
    audit(session, actor, plan.action, "semester", entity, plan.before, after or None, at=at, ip=ip)
    return plan

"""补签 (duty corrections, SPEC §3): set a duty's sign-in/sign-out times and/or its status.

Only the counselor, or the 团长 when the team setting ``leader_can_correct`` is on, with a
mandatory reason; one DutyCorrection per duty (editing updates it), every change audited with
the engine's outcome before and after so the log reads "缺勤 → 正常".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import facts
from data.attendance import semester_attendance, team_settings
from data.audit import snapshot
from data.inputs import as_text, parse_clock
from data.models import DutyCorrection, DutyStatus, Role, User
from data.policy.types import IN_PROGRESS, UPCOMING, Duty, DutyOutcome
from data.services import Refused, audit, clean_reason
from data.services.duties import duties_of, member, parse_shift, pick_duty, require_day
from data.services.semesters import ensure_unlocked
from data.timeutil import LOCAL_TZ, to_local

REASON_MIN = 4
STATUS_LABELS = {
    DutyStatus.normal: "正常",
    DutyStatus.late: "迟到",
    DutyStatus.early: "早退",
    DutyStatus.late_early: "迟到+早退",
    DutyStatus.absent: "缺勤",
    DutyStatus.leave: "请假",
    DutyStatus.missed_sign_out: "漏签退",
}
OUTCOME_LABELS = {**STATUS_LABELS, UPCOMING: "未开始", IN_PROGRESS: "进行中", "extra": "加班"}
FIELDS = ("user_id", "duty_date", "shift_id", "sign_in_at", "sign_out_at", "status", "reason")
NOT_SELF = "不能为自己补签，请联系兼辅老师。"


def may_correct(session: Session, actor: User) -> bool:
    """The counselor always; the 团长 only when the counselor allowed it in the team settings."""
    if actor.role is Role.counselor:
        return True
    if actor.role is Role.leader and actor.team_id is not None:
        return team_settings(session, actor.team_id).leader_can_correct
    return False


def outcome_of(
    session: Session, team_id: int | None, duty: Duty, at: datetime
) -> DutyOutcome | None:
    """The engine's current verdict on one duty (the same numbers as the dashboard and /me)."""
    semester = facts.semester_on(session, team_id, duty.day)
    if semester is None:
        return None
    attendance = semester_attendance(session, semester, at, user_ids={duty.user_id})
    return next((o for o in attendance.outcomes if o.duty.key == duty.key), None)


def outcome_label(outcome: DutyOutcome | None) -> str:
    """'缺勤', '迟到（迟到 7 分钟）', … ; '未开始' when the engine has no verdict yet."""
    if outcome is None:
        return "未开始"
    label = OUTCOME_LABELS.get(outcome.status, outcome.status)
    if outcome.late_minutes:
        label += f"（迟到 {outcome.late_minutes} 分钟）"
    return label


def correction_of(session: Session, duty: Duty) -> DutyCorrection | None:
    """The one correction of this duty, if any."""
    shift_match = (
        DutyCorrection.shift_id.is_(None)
        if duty.shift_id is None
        else DutyCorrection.shift_id == duty.shift_id
    )
    return session.scalar(
        select(DutyCorrection).where(
            DutyCorrection.user_id == duty.user_id,
            DutyCorrection.duty_date == duty.day,
            shift_match,
        )
    )


def _parse_time(text: Any, duty: Duty, label: str) -> datetime | None:
    """'HH:MM' on the duty's day; a shift running past midnight puts earlier times next day."""
    if not as_text(text).strip():
        return None
    clock = parse_clock(text)
    if clock is None:
        raise Refused(f"{label}格式应为 时:分，如 08:05。")
    day = duty.day
    start = to_local(duty.start)
    if to_local(duty.end).date() > duty.day and clock < start.time():
        day += timedelta(days=1)
    return datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=LOCAL_TZ)


def _parse_status(text: Any) -> DutyStatus | None:
    text = as_text(text).strip()
    if not text:
        return None
    if text not in DutyStatus.__members__:
        raise Refused("状态不正确。")
    return DutyStatus(text)


@dataclass(frozen=True)
class CorrectionForm:
    """What the 补签 form posts, as typed (times 'HH:MM', status a DutyStatus name)."""

    user_id: int | None
    day: date | None
    shift: str | None = None
    sign_in: str | None = None
    sign_out: str | None = None
    status: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Corrected:
    """The duty corrected and its outcome before and after, for the message."""

    user: User
    duty: Duty | None  # None: a withdrawn correction whose duty is no longer scheduled
    was: str
    became: str


def _check_actor(session: Session, actor: User, user_id: int) -> None:
    if not may_correct(session, actor):
        raise Refused("只有兼辅老师（或获准的团长）可以补签。")
    if user_id == actor.id:
        raise Refused(NOT_SELF)


def correct(
    session: Session, actor: User, form: CorrectionForm, *, at: datetime, ip: str = ""
) -> Corrected:
    """Create or update the duty's correction, audited with the outcome before → after."""
    user = member(session, actor.team_id, form.user_id)
    _check_actor(session, actor, user.id)
    day = require_day(form.day)
    duty = pick_duty(duties_of(session, user, day), *parse_shift(form.shift))
    if at < duty.start:
        raise Refused("值班尚未开始，不能补签。")
    sign_in = _parse_time(form.sign_in, duty, "签到时间")
    sign_out = _parse_time(form.sign_out, duty, "签退时间")
    status = _parse_status(form.status)
    if sign_in is None and sign_out is None and status is None:
        raise Refused("请至少填写签到时间、签退时间或状态中的一项。")
    if sign_in and sign_out and sign_out <= sign_in:
        raise Refused("签退时间必须晚于签到时间。")
    if sign_in and sign_in > at:
        raise Refused("签到时间不能晚于现在。")
    if sign_out and sign_out > at:
        raise Refused("签退时间不能晚于现在。")
    reason = clean_reason(form.reason, "补签原因", REASON_MIN)
    ensure_unlocked(session, actor.team_id, duty.day)

    was = outcome_label(outcome_of(session, actor.team_id, duty, at))
    row = correction_of(session, duty)
    before = {"outcome": was} if row is None else {**snapshot(row, FIELDS), "outcome": was}
    if row is None:
        row = DutyCorrection(user_id=user.id, duty_date=duty.day, shift_id=duty.shift_id)
        session.add(row)
    row.sign_in_at, row.sign_out_at, row.status = sign_in, sign_out, status
    row.reason, row.by_id, row.at = reason, actor.id, at
    session.flush()
    became = outcome_label(outcome_of(session, actor.team_id, duty, at))
    after = {**snapshot(row, FIELDS), "outcome": became}
    audit(session, actor, "duty.correct", "duty_correction", row.id, before, after, at=at, ip=ip)
    return Corrected(user, duty, was, became)


def withdraw(
    session: Session,
    actor: User,
    row: DutyCorrection,
    reason: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> Corrected:
    """Delete a wrong correction: the duty goes back to what the door recorded."""
    _check_actor(session, actor, row.user_id)
    owner = session.get(User, row.user_id)
    if owner is None:  # the row cascades with its user; kept for the type checker
        raise Refused("请选择本团队的助管。")
    text = clean_reason(reason, "撤销原因", REASON_MIN)
    ensure_unlocked(session, actor.team_id, row.duty_date)
    duties = duties_of(session, owner, row.duty_date)
    duty = next((d for d in duties if d.shift_id == row.shift_id), None)
    was = outcome_label(outcome_of(session, actor.team_id, duty, at)) if duty else ""
    before = {**snapshot(row, FIELDS), "outcome": was}
    row_id = row.id
    session.delete(row)
    session.flush()
    became = outcome_label(outcome_of(session, actor.team_id, duty, at)) if duty else ""
    after = {"outcome": became, "reason": text}
    action = "duty.correct_delete"
    audit(session, actor, action, "duty_correction", row_id, before, after, at=at, ip=ip)
    return Corrected(owner, duty, was, became)

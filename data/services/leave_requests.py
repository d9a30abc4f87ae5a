"""The assistant's own leave requests (第六条四): ask before the shift starts, cancel while pending.

A request made once the shift has started is still stored, marked after_start (先斩后奏): it
excuses nothing unless the counselor turns it into a phone leave. "Before the start" is strict,
so a request at exactly the start time is already 先斩后奏 (the policy engine compares the
creation time with the start the same way). The counselor's decisions live in ``leave.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.attendance import current_semester, duties_on
from data.inputs import clean_block
from data.models import LeaveKind, LeaveRequest, LeaveStatus, User
from data.policy.types import Duty
from data.services import Refused, audit
from data.services.semesters import locked_semester

# A request for a duty that ended longer ago than this is refused: only the counselor can
# record leave after the fact (电话请假).
LEAVE_LATE_LIMIT = timedelta(days=1)
OPEN_LEAVE = (LeaveStatus.pending, LeaveStatus.approved)
# An assistant chooses among these; 电话请假 is recorded by the counselor only (第六条四).
OWN_KINDS = (LeaveKind.personal, LeaveKind.sick, LeaveKind.official, LeaveKind.exam)
REASON_MIN, REASON_MAX = 2, 500
LEAVE_STATUS_LABELS = {
    LeaveStatus.pending: "待审批",
    LeaveStatus.approved: "已批准",
    LeaveStatus.rejected: "已驳回",
    LeaveStatus.cancelled: "已撤销",
}
LOCKED_LEAVE = "本学期考核已锁定，不能再请假或撤销申请；如有特殊情况请联系兼辅老师。"


def find_own_duty(session: Session, actor: User, day: date, shift_id: int | None) -> Duty:
    """One of the actor's expected duties on ``day`` (``shift_id`` None: a dated extra duty)."""
    semester = current_semester(session, actor.team_id, day)
    if semester is not None:
        for duty in duties_on(session, semester, day, user_id=actor.id):
            if duty.shift_id == shift_id:
                return duty
    raise Refused("该日期没有你的值班，不能请假。")


def check_unlocked(session: Session, actor: User, day: date) -> None:
    """Refuse any leave change for a day of a finalized semester (the same rule as the admin)."""
    if locked_semester(session, actor.team_id, day) is not None:
        raise Refused(LOCKED_LEAVE)


def check_requestable(session: Session, actor: User, duty: Duty, moment: datetime) -> None:
    """Not over for more than a day, and no pending or approved request for it yet."""
    if duty.end + LEAVE_LATE_LIMIT < moment:
        raise Refused("该值班已结束一天以上，不能再请假；如有特殊情况请联系兼辅老师。")
    existing = session.scalar(
        select(LeaveRequest).where(
            LeaveRequest.user_id == actor.id,
            LeaveRequest.duty_date == duty.day,
            LeaveRequest.shift_id.is_(None)
            if duty.shift_id is None
            else LeaveRequest.shift_id == duty.shift_id,
            LeaveRequest.status.in_(OPEN_LEAVE),
        )
    )
    if existing is not None:
        status = LEAVE_STATUS_LABELS[existing.status]
        raise Refused(f"这次值班已有请假申请（{status}），不能重复提交。")


def requestable_duty(
    session: Session, actor: User, day: date, shift_id: int | None, moment: datetime
) -> Duty:
    """The actor's duty a leave request may be made for now, or Refused saying why not."""
    duty = find_own_duty(session, actor, day, shift_id)
    check_unlocked(session, actor, duty.day)
    check_requestable(session, actor, duty, moment)
    return duty


def request_leave(
    session: Session,
    actor: User,
    day: date,
    shift_id: int | None,
    kind: LeaveKind,
    reason: Any,
    *,
    at: datetime,
    ip: str = "",
) -> LeaveRequest:
    """Store the actor's pending request for one of their duties; 先斩后奏 once it has started."""
    duty = requestable_duty(session, actor, day, shift_id, at)
    reason = clean_block(reason, REASON_MAX + 1)  # one more: too long is refused, not cut
    if kind not in OWN_KINDS:
        raise Refused("请选择请假类型")
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise Refused(f"请假事由须为 {REASON_MIN}–{REASON_MAX} 个字")
    leave = LeaveRequest(
        user_id=actor.id,
        duty_date=duty.day,
        shift_id=duty.shift_id,
        kind=kind,
        reason=reason,
        status=LeaveStatus.pending,
        # Strict "before": at the start itself the shift has begun (第六条四 不允许先斩后奏).
        after_start=at >= duty.start,
        created_at=at,
        created_by_id=actor.id,
    )
    session.add(leave)
    session.flush()
    audit(
        session,
        actor,
        "leave.request",
        "leave_request",
        leave.id,
        None,
        _snapshot(leave),
        at=at,
        ip=ip,
    )
    return leave


def cancel_leave(
    session: Session, actor: User, leave_id: int, *, at: datetime, ip: str = ""
) -> None:
    """Withdraw the actor's own pending request."""
    leave = session.get(LeaveRequest, leave_id)
    if leave is None or leave.user_id != actor.id:
        raise Refused("找不到这条请假申请。")
    if leave.status is not LeaveStatus.pending:
        status = LEAVE_STATUS_LABELS[leave.status]
        raise Refused(f"只能撤销待审批的申请（这条{status}）。")
    # A cancelled 先斩后奏 would change the locked semester's warnings.
    check_unlocked(session, actor, leave.duty_date)
    before = _snapshot(leave)
    leave.status = LeaveStatus.cancelled
    audit(
        session,
        actor,
        "leave.cancel",
        "leave_request",
        leave.id,
        before,
        _snapshot(leave),
        at=at,
        ip=ip,
    )


def _snapshot(leave: LeaveRequest) -> dict:
    return {
        "duty_date": leave.duty_date.isoformat(),
        "shift_id": leave.shift_id,
        "kind": leave.kind.value,
        "reason": leave.reason,
        "status": leave.status.value,
        "after_start": leave.after_start,
    }

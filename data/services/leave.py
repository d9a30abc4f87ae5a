"""The counselor's leave decisions (第六条四): approve, reject, 先斩后奏 → 电话请假, phone leave.

Invariant kept with the assistant's side (``data.services.leave_requests``): a duty has at most
one open (pending or approved) request. Phone leave is therefore refused while another open
request exists for the same duty; a 先斩后奏 request is converted in place instead, which keeps
its history (and the assistant sees the same row change on /me). A finalized semester refuses
every decision up front.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.models import LEAVE_LABELS, LeaveKind, LeaveRequest, LeaveStatus, User
from data.policy.types import Duty
from data.services import Refused, audit, clean_reason
from data.services.duties import duties_of, member, parse_shift, pick_duty, require_day
from data.services.semesters import ensure_unlocked

STATUS_LABELS = {
    LeaveStatus.pending: "待审批",
    LeaveStatus.approved: "已批准",
    LeaveStatus.rejected: "已驳回",
    LeaveStatus.cancelled: "已撤销",
}
OPEN = (LeaveStatus.pending, LeaveStatus.approved)
FIELDS = (
    "user_id",
    "duty_date",
    "shift_id",
    "kind",
    "reason",
    "status",
    "after_start",
    "created_by_id",
    "decided_by_id",
    "decided_at",
    "decision_reason",
)


def is_xianzhan(leave: LeaveRequest) -> bool:
    """先斩后奏: asked after the duty started, and not (yet) a phone leave."""
    return leave.after_start and leave.kind is not LeaveKind.phone


def _audit(
    session: Session, actor: User, action: str, leave: LeaveRequest, before: dict | None, **when
) -> None:
    after = snapshot(leave, FIELDS)
    audit(session, actor, action, "leave_request", leave.id, before, after, **when)


def _decide(
    session: Session,
    actor: User,
    leave: LeaveRequest,
    reason: str | None,
    *,
    action: str,
    status: LeaveStatus,
    at: datetime,
    ip: str,
) -> User | None:
    """Record one decision (the checks are the caller's); the request's assistant."""
    before = snapshot(leave, FIELDS)
    if action == "leave.convert_phone":
        leave.kind = LeaveKind.phone
    leave.status = status
    leave.decided_by_id = actor.id
    leave.decided_at = at
    leave.decision_reason = reason or ""
    _audit(session, actor, action, leave, before, at=at, ip=ip)
    return session.get(User, leave.user_id)


def _check_pending(session: Session, actor: User, leave: LeaveRequest) -> None:
    # Up front: a locked semester refuses every decision, whatever else the form holds.
    ensure_unlocked(session, actor.team_id, leave.duty_date)
    if leave.status is not LeaveStatus.pending:
        raise Refused(f"这条申请{STATUS_LABELS[leave.status]}，不能再审批。")


def approve(
    session: Session,
    actor: User,
    leave: LeaveRequest,
    note: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> User | None:
    """Approve a pending request (never a 先斩后奏 one); the assistant whose leave it is."""
    _check_pending(session, actor, leave)
    if is_xianzhan(leave):
        # Approving would excuse nothing (第六条四): make the choice explicit instead.
        raise Refused("先斩后奏的申请不能直接批准：请转为电话请假或驳回。")
    reason = clean_reason(note, "说明", 0)
    return _decide(
        session,
        actor,
        leave,
        reason,
        action="leave.approve",
        status=LeaveStatus.approved,
        at=at,
        ip=ip,
    )


def reject(
    session: Session,
    actor: User,
    leave: LeaveRequest,
    reason: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> User | None:
    """Reject a pending request with a reason; the assistant whose leave it is."""
    _check_pending(session, actor, leave)
    text = clean_reason(reason, "驳回原因", 0)
    if not text:
        raise Refused("驳回必须填写原因。")
    return _decide(
        session,
        actor,
        leave,
        text,
        action="leave.reject",
        status=LeaveStatus.rejected,
        at=at,
        ip=ip,
    )


def convert_to_phone(
    session: Session,
    actor: User,
    leave: LeaveRequest,
    note: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> User | None:
    """Turn an open 先斩后奏 request into an approved phone leave, in place (its history stays)."""
    ensure_unlocked(session, actor.team_id, leave.duty_date)
    if not is_xianzhan(leave):
        raise Refused("只有先斩后奏的申请需要转为电话请假。")
    if leave.status not in OPEN:
        raise Refused(f"这条申请{STATUS_LABELS[leave.status]}，不能转为电话请假。")
    reason = clean_reason(note, "说明", 0)
    return _decide(
        session,
        actor,
        leave,
        reason,
        action="leave.convert_phone",
        status=LeaveStatus.approved,
        at=at,
        ip=ip,
    )


def open_leave(session: Session, duty: Duty) -> LeaveRequest | None:
    """The pending or approved request for this duty, if any (there is at most one)."""
    shift_match = (
        LeaveRequest.shift_id.is_(None)
        if duty.shift_id is None
        else LeaveRequest.shift_id == duty.shift_id
    )
    return session.scalar(
        select(LeaveRequest).where(
            LeaveRequest.user_id == duty.user_id,
            LeaveRequest.duty_date == duty.day,
            shift_match,
            LeaveRequest.status.in_(OPEN),
        )
    )


def phone_leave_target(
    session: Session, actor: User, user_id: int | None, day: date | None
) -> tuple[User, date]:
    """The member and date a phone leave is for; refused for a locked date."""
    user = member(session, actor.team_id, user_id)
    day = require_day(day)
    ensure_unlocked(session, actor.team_id, day)
    return user, day


def record_phone_leave(
    session: Session,
    actor: User,
    user_id: int | None,
    day: date | None,
    shift: str | None,
    reason: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> tuple[User, Duty]:
    """电话请假 for one duty (``shift`` as the form names it); (the member, the duty)."""
    user, day = phone_leave_target(session, actor, user_id, day)
    duty = pick_duty(duties_of(session, user, day), *parse_shift(shift))
    text = clean_reason(reason, "请假原因")
    existing = open_leave(session, duty)
    if existing is not None:
        if is_xianzhan(existing):
            raise Refused("这次值班已有先斩后奏的申请：请在待审批列表中点“转为电话请假”。")
        raise Refused(
            f"这次值班已有{LEAVE_LABELS[existing.kind]}申请（{STATUS_LABELS[existing.status]}），"
            "请直接审批该申请。"
        )
    leave = LeaveRequest(
        user_id=user.id,
        duty_date=duty.day,
        shift_id=duty.shift_id,
        kind=LeaveKind.phone,
        reason=text,
        status=LeaveStatus.approved,
        # Recorded by the counselor: never 先斩后奏, whenever it is entered (第六条四 特殊情况).
        after_start=False,
        created_at=at,
        created_by_id=actor.id,
        decided_at=at,
        decided_by_id=actor.id,
        decision_reason="电话请假",
    )
    session.add(leave)
    session.flush()
    _audit(session, actor, "leave.phone", leave, None, at=at, ip=ip)
    return user, duty

"""Leave requests by the assistant (第六条四): ask before the shift starts, cancel while pending.

A request made once the shift has started is still stored, marked after_start (先斩后奏): it
excuses nothing unless the counselor turns it into a phone leave. "Before the start" is strict,
so a request at exactly the start time is already 先斩后奏 (the policy engine compares the
creation time with the start the same way).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.admin_semester import locked_semester
from checkin.me import (
    LEAVE_LATE_LIMIT,
    LEAVE_STATUS_LABELS,
    OPEN_LEAVE,
    XIANZHAN_NOTICE,
    duty_when,
    own_page,
)
from checkin.me_forms import LEAVE_CHOICES, LeaveForm
from data.attendance import current_semester, duties_on
from data.models import LEAVE_LABELS, LeaveKind, LeaveRequest, LeaveStatus
from data.policy.types import Duty
from web import audit, get_session, now

# Larger ids cannot exist and would overflow the database driver's integer type.
MAX_ID = 2**31 - 1


class Refused(Exception):
    """A request that cannot be made; the message is shown to the user as is."""


def parse_duty_ref(day_text: str | None, shift_text: str | None) -> tuple[date, int | None]:
    try:
        day = date.fromisoformat((day_text or "").strip())
    except ValueError:
        raise Refused("值班日期格式不正确。") from None
    shift_text = (shift_text or "").strip()
    if not shift_text:
        return day, None  # a dated extra duty not tied to a weekly shift
    if not shift_text.isdigit() or int(shift_text) > MAX_ID:
        raise Refused("值班班次不正确。")
    return day, int(shift_text)


def find_own_duty(session: Session, day: date, shift_id: int | None) -> Duty:
    """One of the current user's expected duties, or Refused."""
    semester = current_semester(session, current_user.team_id, day)
    if semester is not None:
        for duty in duties_on(session, semester, day, user_id=current_user.id):
            if duty.shift_id == shift_id:
                return duty
    raise Refused("该日期没有你的值班，不能请假。")


def check_requestable(session: Session, duty: Duty, moment: datetime) -> None:
    if duty.end + LEAVE_LATE_LIMIT < moment:
        raise Refused("该值班已结束一天以上，不能再请假；如有特殊情况请联系兼辅老师。")
    existing = session.scalar(
        select(LeaveRequest).where(
            LeaveRequest.user_id == current_user.id,
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


LOCKED_LEAVE = "本学期考核已锁定，不能再请假或撤销申请；如有特殊情况请联系兼辅老师。"


def check_unlocked(session: Session, day: date) -> None:
    """Refuse any leave change for a day of a finalized semester (the same rule as the admin)."""
    if locked_semester(session, current_user.team_id, day) is not None:
        raise Refused(LOCKED_LEAVE)


def _duty_or_refuse(session: Session, day_text: str | None, shift_text: str | None) -> Duty:
    day, shift_id = parse_duty_ref(day_text, shift_text)
    duty = find_own_duty(session, day, shift_id)
    check_unlocked(session, duty.day)
    check_requestable(session, duty, now())
    return duty


def _render_form(form: LeaveForm, duty: Duty, status: int = 200):
    started = now() >= duty.start
    return render_template(
        "leave_form.html",
        form=form,
        duty=duty,
        when=duty_when(duty),
        started=started,
        notice=XIANZHAN_NOTICE,
        kinds=LEAVE_CHOICES,
    ), status


def _back():
    return redirect(url_for("checkin.me") + "#leave")


@bp.get("/me/leave/new")
@own_page
def leave_new():
    session = get_session()
    try:
        duty = _duty_or_refuse(session, request.args.get("date"), request.args.get("shift"))
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    form = LeaveForm(
        formdata=None,
        duty_date=duty.day.isoformat(),
        shift="" if duty.shift_id is None else str(duty.shift_id),
    )
    return _render_form(form, duty)


@bp.post("/me/leave")
@own_page
def leave_create():
    session = get_session()
    form = LeaveForm()
    try:
        duty = _duty_or_refuse(session, form.duty_date.data, form.shift.data)
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    if not form.validate():
        return _render_form(form, duty, 400)
    moment = now()
    # Strict "before": at the start itself the shift has begun (第六条四 不允许先斩后奏).
    after_start = moment >= duty.start
    leave = LeaveRequest(
        user_id=current_user.id,
        duty_date=duty.day,
        shift_id=duty.shift_id,
        kind=LeaveKind(form.kind.data),
        reason=form.reason.data,
        status=LeaveStatus.pending,
        after_start=after_start,
        created_at=moment,
        created_by_id=current_user.id,
    )
    session.add(leave)
    session.flush()
    audit(session, "leave.request", "leave_request", leave.id, None, _snapshot(leave))
    session.commit()
    if after_start:
        flash(f"请假申请已提交，但{XIANZHAN_NOTICE}。", "warning")
    else:
        flash(f"请假申请已提交（{LEAVE_LABELS[leave.kind]}），等待兼辅老师审批。", "success")
    return _back()


@bp.post("/me/leave/<int:leave_id>/cancel")
@own_page
def leave_cancel(leave_id: int):
    session = get_session()
    leave = session.get(LeaveRequest, leave_id) if leave_id <= MAX_ID else None
    # Someone else's request looks exactly like a missing one: ids reveal nothing.
    if leave is None or leave.user_id != current_user.id:
        abort(404)
    if leave.status is not LeaveStatus.pending:
        flash(f"只能撤销待审批的申请（这条{LEAVE_STATUS_LABELS[leave.status]}）。", "danger")
        return _back()
    try:
        # A cancelled 先斩后奏 would change the locked semester's warnings.
        check_unlocked(session, leave.duty_date)
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    before = _snapshot(leave)
    leave.status = LeaveStatus.cancelled
    audit(session, "leave.cancel", "leave_request", leave.id, before, _snapshot(leave))
    session.commit()
    flash("已撤销请假申请。", "success")
    return _back()


def _snapshot(leave: LeaveRequest) -> dict:
    return {
        "duty_date": leave.duty_date.isoformat(),
        "shift_id": leave.shift_id,
        "kind": leave.kind.value,
        "reason": leave.reason,
        "status": leave.status.value,
        "after_start": leave.after_start,
    }

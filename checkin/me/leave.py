"""The assistant's leave requests (第六条四): the form for one duty, the request, the cancel.

The rules (before the start, 先斩后奏, the lock, no duplicates) live in
``data.services.leave_requests``; these views parse, call it and report back.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.common import parse_day, parse_id
from checkin.me.forms import LEAVE_CHOICES, LeaveForm
from checkin.me.page import XIANZHAN_NOTICE, duty_when, own_page
from data.db import write_transaction
from data.models import LEAVE_LABELS, LeaveKind, LeaveRequest, User
from data.policy.types import Duty
from data.services import Refused
from data.services import leave_requests as service
from web import client_ip, get_session, now


def _duty_ref(day_text: str | None, shift_text: str | None) -> tuple[date, int | None]:
    """The duty named by the form or link: its date and shift (empty for a dated extra duty)."""
    day = parse_day(day_text)
    if day is None:
        raise Refused("值班日期格式不正确。")
    if not (shift_text or "").strip():
        return day, None
    shift_id = parse_id(shift_text)
    if shift_id is None:
        raise Refused("值班班次不正确。")
    return day, shift_id


def _duty(day_text: str | None, shift_text: str | None) -> Duty:
    db = get_session()
    day, shift_id = _duty_ref(day_text, shift_text)
    return service.requestable_duty(db, db.get(User, current_user.id), day, shift_id, now())


def _render_form(form: LeaveForm, duty: Duty, status: int = 200):
    return render_template(
        "me/leave_form.html",
        form=form,
        duty=duty,
        when=duty_when(duty),
        started=now() >= duty.start,
        notice=XIANZHAN_NOTICE,
        kinds=LEAVE_CHOICES,
    ), status


def _back():
    return redirect(url_for("checkin.me") + "#leave")


@bp.get("/me/leave/new")
@own_page
def leave_new():
    try:
        duty = _duty(request.args.get("date"), request.args.get("shift"))
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    shift = "" if duty.shift_id is None else str(duty.shift_id)
    form = LeaveForm(formdata=None, duty_date=duty.day.isoformat(), shift=shift)
    return _render_form(form, duty)


@bp.post("/me/leave")
@own_page
def leave_create():
    db, form = get_session(), LeaveForm()
    try:
        duty = _duty(form.duty_date.data, form.shift.data)
        if not form.validate():
            return _render_form(form, duty, 400)
        with write_transaction(db):
            actor, kind = db.get(User, current_user.id), LeaveKind(form.kind.data)
            leave = service.request_leave(
                db, actor, duty.day, duty.shift_id, kind, form.reason.data, at=now(), ip=client_ip()
            )
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    if leave.after_start:
        flash(f"请假申请已提交，但{XIANZHAN_NOTICE}。", "warning")
    else:
        flash(f"请假申请已提交（{LEAVE_LABELS[leave.kind]}），等待兼辅老师审批。", "success")
    return _back()


@bp.post("/me/leave/<int:leave_id>/cancel")
@own_page
def leave_cancel(leave_id: int):
    db = get_session()
    leave = db.get(LeaveRequest, leave_id) if parse_id(leave_id) else None
    # Someone else's request looks exactly like a missing one: ids reveal nothing.
    if leave is None or leave.user_id != current_user.id:
        abort(404)
    try:
        with write_transaction(db):
            service.cancel_leave(
                db, db.get(User, current_user.id), leave_id, at=now(), ip=client_ip()
            )
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    flash("已撤销请假申请。", "success")
    return _back()

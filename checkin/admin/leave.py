"""请假审批 (counselor, 第六条四): the queue, decisions, phone leave; rules in the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import get_own, parse_day, parse_id
from data.db import write_transaction
from data.models import LEAVE_LABELS, LeaveRequest, LeaveStatus, Semester, Shift, User
from data.services import REASON_MAX, Refused
from data.services import leave as service
from data.services.duties import duties_of, duty_when, members, shift_value
from data.services.semesters import LOCKED_MESSAGE
from data.timeutil import to_local
from web import client_ip, get_session, now

HISTORY_SHOWN = 100
STATUS_BADGES = {
    LeaveStatus.pending: "text-bg-warning",
    LeaveStatus.approved: "text-bg-success",
    LeaveStatus.rejected: "text-bg-danger",
    LeaveStatus.cancelled: "text-bg-secondary",
}


# ---------------------------------------------------------------- the queue


@dataclass(frozen=True)
class LeaveRow:
    leave: LeaveRequest
    name: str
    username: str
    when: str
    kind: str
    xianzhan: bool  # 先斩后奏: asked after the start, not (yet) a phone leave
    locked: str | None = None  # the lock message when its semester is finalized: no decision


def _shift_times(leave: LeaveRequest, shifts: dict[int, Shift]) -> str:
    shift = shifts.get(leave.shift_id) if leave.shift_id else None
    if shift is None:
        return duty_when(leave.duty_date, None, None) + (" 临时值班" if not leave.shift_id else "")
    start, end, _place_id = shift.version_on(leave.duty_date)
    return f"{duty_when(leave.duty_date, None, None)} {start:%H:%M}–{end:%H:%M}"


def _rows(db: Session, leaves: list[LeaveRequest]) -> list[LeaveRow]:
    user_ids = {leave.user_id for leave in leaves}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
    shift_ids = {leave.shift_id for leave in leaves if leave.shift_id}
    shifts = {s.id: s for s in db.scalars(select(Shift).where(Shift.id.in_(shift_ids)))}
    finalized = db.scalars(
        select(Semester).where(
            Semester.team_id == current_user.team_id, Semester.finalized_at.is_not(None)
        )
    ).all()

    def locked(day: date) -> str | None:
        # Same rule as ensure_unlocked, read once for the whole queue.
        return LOCKED_MESSAGE if any(s.start <= day <= s.end for s in finalized) else None

    return [
        LeaveRow(
            leave=leave,
            name=users[leave.user_id].name,
            username=users[leave.user_id].username,
            when=_shift_times(leave, shifts),
            kind=LEAVE_LABELS[leave.kind],
            xianzhan=service.is_xianzhan(leave),
            locked=locked(leave.duty_date),
        )
        for leave in leaves
    ]


def _team_leaves() -> Select:
    return (
        select(LeaveRequest)
        .join(User, User.id == LeaveRequest.user_id)
        .where(User.team_id == current_user.team_id)
    )


def _queue(db: Session, status: LeaveStatus | None) -> dict[str, Any]:
    """The pending requests, the decided ones (or those of ``status``) and the counts."""
    pending = db.scalars(
        _team_leaves()
        .where(LeaveRequest.status == LeaveStatus.pending)
        .order_by(LeaveRequest.duty_date, LeaveRequest.created_at)
    )
    history_query = _team_leaves().where(LeaveRequest.status != LeaveStatus.pending)
    if status is not None:
        history_query = _team_leaves().where(LeaveRequest.status == status)
    history = db.scalars(
        history_query.order_by(LeaveRequest.duty_date.desc(), LeaveRequest.id.desc()).limit(
            HISTORY_SHOWN
        )
    )
    counts = db.execute(
        select(LeaveRequest.status, func.count())
        .join(User, User.id == LeaveRequest.user_id)
        .where(User.team_id == current_user.team_id)
        .group_by(LeaveRequest.status)
    ).all()
    return {
        "pending": _rows(db, list(pending)),
        "history": _rows(db, list(history)),
        "counts": dict(counts),
    }


@bp.get("/admin/leave")
@roles_required(*COUNSELOR)
def leave_queue():
    db = get_session()
    status_text = request.args.get("status", "")
    status = LeaveStatus(status_text) if status_text in LeaveStatus.__members__ else None
    return render_template(
        "admin/leave.html",
        **_queue(db, status),
        status=status,
        status_labels=service.STATUS_LABELS,
        status_badges=STATUS_BADGES,
        members=members(db, current_user.team_id),
        today=to_local(now()).date().isoformat(),
        shown=HISTORY_SHOWN,
    )


# ---------------------------------------------------------------- decisions


def _own_leave(db: Session, leave_id: int) -> LeaveRequest:
    """The request if its assistant is in the counselor's team; 404 otherwise."""

    def team_of(leave: LeaveRequest) -> int | None:
        return getattr(db.get(User, leave.user_id), "team_id", None)

    return get_own(db, LeaveRequest, leave_id, team_of=team_of)


def _decision(leave_id: int, decide: Callable[..., User | None], done: str):
    """Apply one decision of the service and flash the outcome; back to the queue."""
    db = get_session()
    leave = _own_leave(db, leave_id)
    try:
        with write_transaction(db):
            owner = decide(
                db, current_user, leave, request.form.get("reason"), at=now(), ip=client_ip()
            )
    except Refused as refused:
        flash(str(refused), "danger")
    else:
        flash(done.format(name=owner.name if owner else ""), "success")
    return redirect(url_for("checkin.leave_queue"))


@bp.post("/admin/leave/<int:leave_id>/approve")
@roles_required(*COUNSELOR)
def leave_approve(leave_id: int):
    return _decision(leave_id, service.approve, "已批准{name}的请假。")


@bp.post("/admin/leave/<int:leave_id>/reject")
@roles_required(*COUNSELOR)
def leave_reject(leave_id: int):
    return _decision(leave_id, service.reject, "已驳回{name}的请假。")


@bp.post("/admin/leave/<int:leave_id>/convert")
@roles_required(*COUNSELOR)
def leave_convert(leave_id: int):
    done = "已将{name}的先斩后奏申请转为电话请假，该次值班记为请假。"
    return _decision(leave_id, service.convert_to_phone, done)


# ---------------------------------------------------------------- phone leave (电话请假)


@bp.get("/admin/leave/phone")
@roles_required(*COUNSELOR)
def phone_leave_form():
    """Step 2 of the no-JS form: the chosen person's duties that day, to pick the shift."""
    db = get_session()
    try:
        # The shift picker is not offered for a locked date: the POST would be refused anyway.
        user, day = service.phone_leave_target(
            db,
            current_user,
            parse_id(request.args.get("user")),
            parse_day(request.args.get("date")),
        )
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    duties = duties_of(db, user, day)
    if not duties:
        flash(f"{user.name}在 {day.isoformat()} 没有值班。", "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    options = [(d, duty_when(d.day, d.start, d.end) + f" {d.place}") for d in duties]
    return render_template(
        "admin/leave_phone.html",
        user=user,
        day=day,
        options=options,
        shift_value=shift_value,
        reason_max=REASON_MAX,
    )


@bp.post("/admin/leave/phone")
@roles_required(*COUNSELOR)
def phone_leave_create():
    db = get_session()
    form = request.form
    try:
        with write_transaction(db):
            user, duty = service.record_phone_leave(
                db,
                current_user,
                parse_id(form.get("user_id")),
                parse_day(form.get("date")),
                form.get("shift"),
                form.get("reason"),
                at=now(),
                ip=client_ip(),
            )
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    when = duty_when(duty.day, duty.start, duty.end)
    flash(f"已为{user.name}登记电话请假：{when}，记为请假。", "success")
    return redirect(url_for("checkin.leave_queue"))

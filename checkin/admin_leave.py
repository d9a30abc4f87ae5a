"""Leave approval by the counselor (第六条四): the queue, decisions, phone leave, 先斩后奏.

Invariant kept with the assistant's side (checkin/leave.py): a duty has at most one open
(pending or approved) request. Phone leave is therefore refused while another open request
exists for the same duty; a 先斩后奏 request is converted in place instead, which keeps its
history (and the assistant sees the same row change on /me).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from checkin.admin_semester import LOCKED_MESSAGE, MAX_ID, Locked, ensure_unlocked
from data.attendance import duties_on
from data.audit import record, snapshot
from data.models import (
    LEAVE_LABELS,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Role,
    Semester,
    Shift,
    User,
)
from data.policy.types import Duty
from data.timeutil import to_local
from web import client_ip, get_session, now

WEEKDAYS = "一二三四五六日"
REASON_MAX = 500
HISTORY_SHOWN = 100
STATUS_LABELS = {
    LeaveStatus.pending: "待审批",
    LeaveStatus.approved: "已批准",
    LeaveStatus.rejected: "已驳回",
    LeaveStatus.cancelled: "已撤销",
}
STATUS_BADGES = {
    LeaveStatus.pending: "text-bg-warning",
    LeaveStatus.approved: "text-bg-success",
    LeaveStatus.rejected: "text-bg-danger",
    LeaveStatus.cancelled: "text-bg-secondary",
}
OPEN = (LeaveStatus.pending, LeaveStatus.approved)
# Members whose duties can be excused: the 团长 is an assistant too (第八条四).
ON_DUTY_ROLES = (Role.assistant, Role.leader)
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


class Refused(Exception):
    """Bad input or a forbidden change; str() is the Chinese message shown to the counselor."""


# ---------------------------------------------------------------- shared with admin_corrections


def parse_id(text: str | None, message: str) -> int:
    text = (text or "").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Refused(message)
    return int(text)


def parse_day(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise Refused("请填写正确的值班日期（年-月-日）。") from None


NO_SHIFT = "extra"  # form value naming a dated duty that has no weekly shift


def parse_shift(text: str | None) -> tuple[int | None, bool]:
    """(shift id or None for a dated duty without a weekly shift, whether the form named one)."""
    text = (text or "").strip()
    if not text:
        return None, False
    if text == NO_SHIFT:
        return None, True
    return parse_id(text, "值班班次不正确。"), True


def shift_value(duty: Duty) -> str:
    return NO_SHIFT if duty.shift_id is None else str(duty.shift_id)


def team_members(session: Session) -> list[User]:
    """The counselor's team members who take duties, for the pickers."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.team_id == current_user.team_id,
                User.role.in_(ON_DUTY_ROLES),
                User.active.is_(True),
            )
            .order_by(User.username)
        )
    )


def team_member(session: Session, user_id: int) -> User:
    """A member of the current user's team; another team's id looks like a missing one."""
    user = session.get(User, user_id) if user_id <= MAX_ID else None
    if user is None or user.team_id != current_user.team_id or user.role not in ON_DUTY_ROLES:
        raise Refused("请选择本团队的助管。")
    return user


def semester_of(session: Session, day: date) -> Semester | None:
    return session.scalar(
        select(Semester).where(
            Semester.team_id == current_user.team_id, Semester.start <= day, Semester.end >= day
        )
    )


def duties_of(session: Session, user: User, day: date) -> list[Duty]:
    semester = semester_of(session, day)
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


def duty_when(day: date, start: datetime | None, end: datetime | None) -> str:
    """'11月25日 周三 08:00–10:00' (times left out when unknown)."""
    text = f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"
    if start is not None and end is not None:
        text += f" {to_local(start):%H:%M}–{to_local(end):%H:%M}"
    return text


def clean_reason(text: str | None, label: str, minimum: int = 1) -> str:
    reason = " ".join((text or "").split())
    if len(reason) < minimum:
        raise Refused(
            f"请填写{label}。" if minimum <= 1 else f"请填写{label}（至少 {minimum} 个字）。"
        )
    if len(reason) > REASON_MAX:
        raise Refused(f"{label}不能超过 {REASON_MAX} 个字。")
    return reason


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


def _rows(session: Session, leaves: list[LeaveRequest]) -> list[LeaveRow]:
    user_ids = {leave.user_id for leave in leaves}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    shift_ids = {leave.shift_id for leave in leaves if leave.shift_id}
    shifts = {s.id: s for s in session.scalars(select(Shift).where(Shift.id.in_(shift_ids)))}
    finalized = session.scalars(
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
            xianzhan=leave.after_start and leave.kind is not LeaveKind.phone,
            locked=locked(leave.duty_date),
        )
        for leave in leaves
    ]


def _team_leaves():
    return (
        select(LeaveRequest)
        .join(User, User.id == LeaveRequest.user_id)
        .where(User.team_id == current_user.team_id)
    )


@bp.get("/admin/leave")
@roles_required(Role.counselor)
def leave_queue():
    session = get_session()
    status_text = request.args.get("status", "")
    status = LeaveStatus(status_text) if status_text in LeaveStatus.__members__ else None
    pending = list(
        session.scalars(
            _team_leaves()
            .where(LeaveRequest.status == LeaveStatus.pending)
            .order_by(LeaveRequest.duty_date, LeaveRequest.created_at)
        )
    )
    history_query = _team_leaves().where(LeaveRequest.status != LeaveStatus.pending)
    if status is not None:
        history_query = _team_leaves().where(LeaveRequest.status == status)
    history = list(
        session.scalars(
            history_query.order_by(LeaveRequest.duty_date.desc(), LeaveRequest.id.desc()).limit(
                HISTORY_SHOWN
            )
        )
    )
    counts = dict(
        session.execute(
            select(LeaveRequest.status, func.count())
            .join(User, User.id == LeaveRequest.user_id)
            .where(User.team_id == current_user.team_id)
            .group_by(LeaveRequest.status)
        ).all()
    )
    return render_template(
        "admin_leave.html",
        pending=_rows(session, pending),
        history=_rows(session, history),
        status=status,
        counts=counts,
        status_labels=STATUS_LABELS,
        status_badges=STATUS_BADGES,
        members=team_members(session),
        today=to_local(now()).date().isoformat(),
        shown=HISTORY_SHOWN,
    )


def _own_leave(session: Session, leave_id: int) -> LeaveRequest:
    """The request if its assistant is in the counselor's team; 404 otherwise."""
    leave = session.get(LeaveRequest, leave_id) if leave_id <= MAX_ID else None
    if leave is None:
        abort(404)
    owner = session.get(User, leave.user_id)
    if owner is None or owner.team_id != current_user.team_id:
        abort(404)
    return leave


def _audit(session: Session, action: str, leave: LeaveRequest, before: dict | None) -> None:
    record(
        session,
        actor_id=current_user.id,
        team_id=current_user.team_id,
        action=action,
        entity="leave_request",
        entity_id=leave.id,
        before=before,
        after=snapshot(leave, FIELDS),
        source_ip=client_ip(),
        at=now(),
    )


def _decide(
    leave_id: int, action: str, status: LeaveStatus, reason_required: bool, kind_phone: bool
) -> str:
    """Apply one decision to a pending (or, for conversion, any open) request; the flash."""
    session = get_session()
    leave = _own_leave(session, leave_id)
    # Up front: a locked semester refuses every decision, whatever else the form holds.
    ensure_unlocked(session, current_user.team_id, leave.duty_date)
    xianzhan = leave.after_start and leave.kind is not LeaveKind.phone
    if kind_phone:
        if not xianzhan:
            raise Refused("只有先斩后奏的申请需要转为电话请假。")
        if leave.status not in OPEN:
            raise Refused(f"这条申请{STATUS_LABELS[leave.status]}，不能转为电话请假。")
    elif leave.status is not LeaveStatus.pending:
        raise Refused(f"这条申请{STATUS_LABELS[leave.status]}，不能再审批。")
    elif status is LeaveStatus.approved and xianzhan:
        # Approving would excuse nothing (第六条四): make the choice explicit instead.
        raise Refused("先斩后奏的申请不能直接批准：请转为电话请假或驳回。")
    reason = clean_reason(request.form.get("reason"), "驳回原因" if reason_required else "说明", 0)
    if reason_required and not reason:
        raise Refused("驳回必须填写原因。")
    before = snapshot(leave, FIELDS)
    if kind_phone:
        leave.kind = LeaveKind.phone
    leave.status = status
    leave.decided_by_id = current_user.id
    leave.decided_at = now()
    leave.decision_reason = reason
    _audit(session, action, leave, before)
    session.commit()
    owner = session.get(User, leave.user_id)
    return owner.name if owner else ""


def _decision_view(leave_id: int, **how) -> str | None:
    """The assistant's name when the decision was made; None after flashing the refusal."""
    try:
        return _decide(leave_id, **how)
    except (Refused, Locked) as refused:
        get_session().rollback()
        flash(str(refused), "danger")
        return None


@bp.post("/admin/leave/<int:leave_id>/approve")
@roles_required(Role.counselor)
def leave_approve(leave_id: int):
    done = _decision_view(
        leave_id,
        action="leave.approve",
        status=LeaveStatus.approved,
        reason_required=False,
        kind_phone=False,
    )
    if done is not None:
        flash(f"已批准{done}的请假。", "success")
    return redirect(url_for("checkin.leave_queue"))


@bp.post("/admin/leave/<int:leave_id>/reject")
@roles_required(Role.counselor)
def leave_reject(leave_id: int):
    done = _decision_view(
        leave_id,
        action="leave.reject",
        status=LeaveStatus.rejected,
        reason_required=True,
        kind_phone=False,
    )
    if done is not None:
        flash(f"已驳回{done}的请假。", "success")
    return redirect(url_for("checkin.leave_queue"))


@bp.post("/admin/leave/<int:leave_id>/convert")
@roles_required(Role.counselor)
def leave_convert(leave_id: int):
    done = _decision_view(
        leave_id,
        action="leave.convert_phone",
        status=LeaveStatus.approved,
        reason_required=False,
        kind_phone=True,
    )
    if done is not None:
        flash(f"已将{done}的先斩后奏申请转为电话请假，该次值班记为请假。", "success")
    return redirect(url_for("checkin.leave_queue"))


# ---------------------------------------------------------------- phone leave (电话请假)


@bp.get("/admin/leave/phone")
@roles_required(Role.counselor)
def phone_leave_form():
    """Step 2 of the no-JS form: the chosen person's duties that day, to pick the shift."""
    session = get_session()
    try:
        user = team_member(session, parse_id(request.args.get("user"), "请选择助管。"))
        day = parse_day(request.args.get("date"))
        # The shift picker is not offered for a locked date: the POST would be refused anyway.
        ensure_unlocked(session, current_user.team_id, day)
    except (Refused, Locked) as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    duties = duties_of(session, user, day)
    if not duties:
        flash(f"{user.name}在 {day.isoformat()} 没有值班。", "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    options = [(d, duty_when(d.day, d.start, d.end) + f" {d.place}") for d in duties]
    return render_template(
        "admin_leave_phone.html",
        user=user,
        day=day,
        options=options,
        shift_value=shift_value,
        reason_max=REASON_MAX,
    )


def _open_leave(session: Session, duty: Duty) -> LeaveRequest | None:
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


def _record_phone_leave(session: Session) -> tuple[User, Duty]:
    form = request.form
    user = team_member(session, parse_id(form.get("user_id"), "请选择助管。"))
    day = parse_day(form.get("date"))
    ensure_unlocked(session, current_user.team_id, day)
    duty = pick_duty(duties_of(session, user, day), *parse_shift(form.get("shift")))
    reason = clean_reason(form.get("reason"), "请假原因")
    existing = _open_leave(session, duty)
    if existing is not None:
        if existing.after_start and existing.kind is not LeaveKind.phone:
            raise Refused("这次值班已有先斩后奏的申请：请在待审批列表中点“转为电话请假”。")
        raise Refused(
            f"这次值班已有{LEAVE_LABELS[existing.kind]}申请（{STATUS_LABELS[existing.status]}），"
            "请直接审批该申请。"
        )
    moment = now()
    leave = LeaveRequest(
        user_id=user.id,
        duty_date=duty.day,
        shift_id=duty.shift_id,
        kind=LeaveKind.phone,
        reason=reason,
        status=LeaveStatus.approved,
        # Recorded by the counselor: never 先斩后奏, whenever it is entered (第六条四 特殊情况).
        after_start=False,
        created_at=moment,
        created_by_id=current_user.id,
        decided_at=moment,
        decided_by_id=current_user.id,
        decision_reason="电话请假",
    )
    session.add(leave)
    session.flush()
    _audit(session, "leave.phone", leave, None)
    session.commit()
    return user, duty


@bp.post("/admin/leave/phone")
@roles_required(Role.counselor)
def phone_leave_create():
    session = get_session()
    try:
        user, duty = _record_phone_leave(session)
    except (Refused, Locked) as refused:
        session.rollback()
        flash(str(refused), "danger")
        return redirect(url_for("checkin.leave_queue") + "#phone")
    flash(
        f"已为{user.name}登记电话请假：{duty_when(duty.day, duty.start, duty.end)}，记为请假。",
        "success",
    )
    return redirect(url_for("checkin.leave_queue"))

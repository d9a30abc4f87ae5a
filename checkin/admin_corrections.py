"""补签 (duty corrections, SPEC §3): set a duty's sign-in/sign-out times and/or its status.

Only the counselor, or the 团长 when the team setting ``leader_can_correct`` is on, with a
mandatory reason; one DutyCorrection per duty (editing updates it), every change audited with
the engine's outcome before and after so the log reads "缺勤 → 正常".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import condition, roles_required
from checkin.admin_leave import (
    MAX_ID,
    Refused,
    clean_reason,
    duties_of,
    duty_when,
    parse_day,
    parse_id,
    parse_shift,
    pick_duty,
    semester_of,
    shift_value,
    team_member,
    team_members,
)
from checkin.admin_semester import Locked, ensure_unlocked
from data.attendance import semester_attendance, team_settings
from data.audit import record, snapshot
from data.models import DutyCorrection, DutyStatus, Role, User
from data.policy.types import IN_PROGRESS, UPCOMING, Duty, DutyOutcome
from data.timeutil import LOCAL_TZ, to_local
from web import client_ip, get_session, now

REASON_MIN = 4
RECENT_SHOWN = 30
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
OUTCOME_BADGES = {
    "normal": "text-bg-success",
    "late": "text-bg-warning",
    "early": "text-bg-warning",
    "late_early": "text-bg-warning",
    "absent": "text-bg-danger",
    "leave": "text-bg-info",
    "missed_sign_out": "text-bg-secondary",
}
FIELDS = ("user_id", "duty_date", "shift_id", "sign_in_at", "sign_out_at", "status", "reason")


def _may_correct() -> bool:
    if current_user.role is Role.counselor:
        return True
    if current_user.role is Role.leader and current_user.team_id is not None:
        return team_settings(get_session(), current_user.team_id).leader_can_correct
    return False


condition("checkin.corrections")(_may_correct)


def _guard() -> None:
    # The 团长 may correct only when the counselor allowed it in the team settings.
    if not _may_correct():
        abort(403)


def outcome_of(session: Session, duty: Duty) -> DutyOutcome | None:
    """The engine's current verdict on one duty (the same numbers as the dashboard and /me)."""
    semester = semester_of(session, duty.day)
    if semester is None:
        return None
    attendance = semester_attendance(session, semester, now(), user_ids={duty.user_id})
    return next((o for o in attendance.outcomes if o.duty.key == duty.key), None)


def outcome_label(outcome: DutyOutcome | None) -> str:
    if outcome is None:
        return "未开始"
    label = OUTCOME_LABELS.get(outcome.status, outcome.status)
    if outcome.late_minutes:
        label += f"（迟到 {outcome.late_minutes} 分钟）"
    return label


def _correction_of(session: Session, duty: Duty) -> DutyCorrection | None:
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


def _parse_time(text: str | None, duty: Duty, label: str) -> datetime | None:
    """'HH:MM' on the duty's day; a shift running past midnight puts earlier times next day."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise Refused(f"{label}格式应为 时:分，如 08:05。") from None
    day = duty.day
    start = to_local(duty.start)
    if to_local(duty.end).date() > duty.day and clock < start.time():
        day += timedelta(days=1)
    return datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=LOCAL_TZ)


def _parse_status(text: str | None) -> DutyStatus | None:
    text = (text or "").strip()
    if not text:
        return None
    if text not in DutyStatus.__members__:
        raise Refused("状态不正确。")
    return DutyStatus(text)


@dataclass(frozen=True)
class DutyView:
    duty: Duty
    when: str
    outcome: str
    badge: str
    sign_in: str
    sign_out: str
    correction: DutyCorrection | None
    started: bool


def _hhmm(moment: datetime | None) -> str:
    return f"{to_local(moment):%H:%M}" if moment else ""


def _duty_views(session: Session, user: User, day: date) -> list[DutyView]:
    views = []
    for duty in duties_of(session, user, day):
        outcome = outcome_of(session, duty)
        views.append(
            DutyView(
                duty=duty,
                when=duty_when(duty.day, duty.start, duty.end) + f" {duty.place}",
                outcome=outcome_label(outcome),
                badge=OUTCOME_BADGES.get(outcome.status, "text-bg-light border")
                if outcome
                else "text-bg-light border",
                sign_in=_hhmm(outcome.sign_in_at) if outcome else "",
                sign_out=_hhmm(outcome.sign_out_at) if outcome else "",
                correction=_correction_of(session, duty),
                started=now() >= duty.start,
            )
        )
    return views


def _recent(session: Session) -> list[tuple[DutyCorrection, str, str]]:
    rows = session.execute(
        select(DutyCorrection, User.name)
        .join(User, User.id == DutyCorrection.user_id)
        .where(User.team_id == current_user.team_id)
        .order_by(DutyCorrection.at.desc(), DutyCorrection.id.desc())
        .limit(RECENT_SHOWN)
    ).all()
    by_ids = {c.by_id for c, _ in rows}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(by_ids))).all())
    return [(c, name, names.get(c.by_id, "")) for c, name in rows]


@bp.get("/admin/corrections")
@roles_required(Role.counselor, Role.leader)
def corrections():
    _guard()
    session = get_session()
    user = day = None
    views: list[DutyView] = []
    if request.args.get("user") or request.args.get("date"):
        try:
            user = team_member(session, parse_id(request.args.get("user"), "请选择助管。"))
            day = parse_day(request.args.get("date"))
        except Refused as refused:
            flash(str(refused), "danger")
            return redirect(url_for("checkin.corrections"))
        views = _duty_views(session, user, day)
    return render_template(
        "admin_corrections.html",
        members=team_members(session),
        user=user,
        day=day,
        views=views,
        recent=_recent(session),
        status_labels=STATUS_LABELS,
        shift_value=shift_value,
        reason_min=REASON_MIN,
        today=to_local(now()).date().isoformat(),
    )


def _apply(session: Session) -> tuple[User, Duty, str, str]:
    """Validate the form and write the correction; (person, duty, outcome before, after)."""
    form = request.form
    user = team_member(session, parse_id(form.get("user_id"), "请选择助管。"))
    if user.id == current_user.id:
        raise Refused("不能为自己补签，请联系兼辅老师。")
    day = parse_day(form.get("date"))
    duty = pick_duty(duties_of(session, user, day), *parse_shift(form.get("shift")))
    if now() < duty.start:
        raise Refused("值班尚未开始，不能补签。")
    sign_in = _parse_time(form.get("sign_in"), duty, "签到时间")
    sign_out = _parse_time(form.get("sign_out"), duty, "签退时间")
    status = _parse_status(form.get("status"))
    if sign_in is None and sign_out is None and status is None:
        raise Refused("请至少填写签到时间、签退时间或状态中的一项。")
    if sign_in and sign_out and sign_out <= sign_in:
        raise Refused("签退时间必须晚于签到时间。")
    if sign_in and sign_in > now():
        raise Refused("签到时间不能晚于现在。")
    if sign_out and sign_out > now():
        raise Refused("签退时间不能晚于现在。")
    reason = clean_reason(form.get("reason"), "补签原因", REASON_MIN)
    ensure_unlocked(session, current_user.team_id, duty.day)

    was = outcome_label(outcome_of(session, duty))
    row = _correction_of(session, duty)
    before = None if row is None else {**snapshot(row, FIELDS), "outcome": was}
    if row is None:
        row = DutyCorrection(user_id=user.id, duty_date=duty.day, shift_id=duty.shift_id)
        session.add(row)
    row.sign_in_at, row.sign_out_at, row.status = sign_in, sign_out, status
    row.reason, row.by_id, row.at = reason, current_user.id, now()
    session.flush()
    became = outcome_label(outcome_of(session, duty))
    record(
        session,
        actor_id=current_user.id,
        team_id=current_user.team_id,
        action="duty.correct",
        entity="duty_correction",
        entity_id=row.id,
        before=before if before is not None else {"outcome": was},
        after={**snapshot(row, FIELDS), "outcome": became},
        source_ip=client_ip(),
        at=now(),
    )
    session.commit()
    return user, duty, was, became


def _back_to(user_id: str | None, day: str | None):
    if user_id and day:
        return redirect(url_for("checkin.corrections", user=user_id, date=day))
    return redirect(url_for("checkin.corrections"))


@bp.post("/admin/corrections")
@roles_required(Role.counselor, Role.leader)
def correction_save():
    _guard()
    session = get_session()
    try:
        user, duty, was, became = _apply(session)
    except (Refused, Locked) as refused:
        session.rollback()
        flash(str(refused), "danger")
        return _back_to(request.form.get("user_id"), request.form.get("date"))
    flash(
        f"已为{user.name}补签 {duty_when(duty.day, duty.start, duty.end)}：{was} → {became}",
        "success",
    )
    return _back_to(str(user.id), duty.day.isoformat())


@bp.post("/admin/corrections/<int:correction_id>/delete")
@roles_required(Role.counselor, Role.leader)
def correction_delete(correction_id: int):
    """Withdraw a wrong correction: the duty goes back to what the door recorded."""
    _guard()
    session = get_session()
    row = session.get(DutyCorrection, correction_id) if correction_id <= MAX_ID else None
    owner = session.get(User, row.user_id) if row is not None else None
    if row is None or owner is None or owner.team_id != current_user.team_id:
        abort(404)
    back = _back_to(str(owner.id), row.duty_date.isoformat())
    try:
        if owner.id == current_user.id:
            raise Refused("不能为自己补签，请联系兼辅老师。")
        reason = clean_reason(request.form.get("reason"), "撤销原因", REASON_MIN)
        ensure_unlocked(session, current_user.team_id, row.duty_date)
    except (Refused, Locked) as refused:
        flash(str(refused), "danger")
        return back
    duty = next(
        (d for d in duties_of(session, owner, row.duty_date) if d.shift_id == row.shift_id), None
    )
    was = outcome_label(outcome_of(session, duty)) if duty else ""
    before = {**snapshot(row, FIELDS), "outcome": was}
    session.delete(row)
    session.flush()
    became = outcome_label(outcome_of(session, duty)) if duty else ""
    record(
        session,
        actor_id=current_user.id,
        team_id=current_user.team_id,
        action="duty.correct_delete",
        entity="duty_correction",
        entity_id=correction_id,
        before=before,
        after={"outcome": became, "reason": reason},
        source_ip=client_ip(),
        at=now(),
    )
    session.commit()
    flash(f"已撤销{owner.name}的补签：{was} → {became}", "success")
    return back

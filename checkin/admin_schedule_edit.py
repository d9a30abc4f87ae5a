"""Dated schedule edits (SPEC §3 "The record holds"): add, remove, retime, import — each
from a date, previewed before it is saved — and the schedule's Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    abort,
    flash,
    make_response,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, roles_required
from checkin.admin_schedule import (
    PREVIEW_ROWS,
    WEEKDAYS,
    assignment_problems,
    back_to_schedule,
    load_shifts,
    names_by_id,
    refuse_locked,
    shift_label,
)
from checkin.common import MAX_ID, REASON_MAX, clean_text, form_semester, parse_id, team_member
from data.importers import parse_clock
from data.models import (
    Place,
    Semester,
    Shift,
    ShiftAssignment,
    User,
)
from data.services import Refused
from data.services.schedule import (
    assign,
    change_times,
    end_person,
    end_shift,
    find_slot,
    parse_from,
    preview,
)
from data.timeutil import local_today
from web import audit, get_session, now


def from_day(semester: Semester) -> date | None:
    """The 生效日期 of the posted form, or None after flashing why it is refused."""
    try:
        return parse_from(semester, request.form.get("from"), local_today(now()))
    except Refused as exc:
        flash(str(exc), "danger")
        return None


def confirmed(
    semester: Semester, day: date, change, summary: str, problems=(), extra: dict | None = None
) -> Any:
    """Show the preview of ``change`` unless the form confirms it; then check the reason.

    Returns a response to send (the preview, or a redirect after a refusal), or the reason
    text (possibly empty) when the change may be saved.
    """
    db = get_session()
    today = local_today(now())
    reason = clean_text(request.form.get("reason"), REASON_MAX)
    if request.form.get("confirm") == "1":
        if day <= today and not reason:
            flash("生效日期不晚于今天，会改变已经发生的值班：请填写原因", "danger")
        else:
            return reason
    try:
        result = preview(db, semester, change, day, today)
    except Refused as exc:
        db.rollback()
        flash(str(exc), "danger")
        return back_to_schedule(semester)
    return make_response(_preview(semester, summary, list(problems), request.path, result, extra))


@bp.post("/admin/schedule/assign")
@roles_required(*EDITORS)
def schedule_assign():
    db = get_session()
    semester = form_semester(db)
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    form = request.form
    user = team_member(db, form.get("user_id"))
    weekday = parse_id(form.get("weekday"))
    start = parse_clock(form.get("start", "").strip())
    end = parse_clock(form.get("end", "").strip())
    place_id = parse_id(form.get("place_id"))
    place = db.get(Place, place_id) if place_id else None
    error = None
    if user is None:
        error = "请选择本团队的助管"
    elif weekday is None or weekday > 7:
        error = "请选择星期"
    elif start is None or end is None:
        error = "时间应为 HH:MM 格式，如 08:00"
    elif start >= end:
        error = "结束时间应晚于开始时间"
    elif place is None or place.team_id != current_user.team_id:
        error = "请选择值班岗位（岗位在“签到海报”页添加）"
    if error:
        flash(error, "danger")
        return back_to_schedule(semester, "#assign")
    day = from_day(semester)
    if day is None:
        return back_to_schedule(semester, "#assign")
    shifts = load_shifts(db, semester)
    names = {place.id: place.name} | {s.place_id: s.place.name for s in shifts}
    existing = find_slot(shifts, (weekday, start, end, place.name), day, names)
    problems = assignment_problems(
        shifts, user, (weekday, start, end), day, existing.id if existing else None
    )
    summary = (
        f"{user.name} → {WEEKDAYS[weekday - 1]} {start:%H:%M}–{end:%H:%M} {place.name}（{day} 起）"
    )
    slot = (weekday, start, end, place)
    outcome = confirmed(
        semester, day, lambda: assign(db, semester, shifts, user, slot, day), summary, problems
    )
    if not isinstance(outcome, str):
        return outcome
    try:
        shift, created = assign(db, semester, load_shifts(db, semester), user, slot, day)
    except Refused as exc:
        db.rollback()
        flash(str(exc), "warning")
        return back_to_schedule(semester)
    db.flush()
    after = _assignment_snapshot(shift, user, day) | {
        "new_shift": created,
        "conflicts": problems,
        "from": day,
        "reason": outcome,
    }
    audit(db, "schedule.assign", "shift", shift.id, None, after)
    db.commit()
    flash(f"已安排：{summary}", "success")
    return back_to_schedule(semester)


def _assignment_snapshot(shift: Shift, user: User, day: date) -> dict:
    start, end, _place_id = shift.version_on(day)
    return {
        "username": user.username,
        "name": user.name,
        "weekday": shift.weekday,
        "start": start,
        "end": end,
        "place": shift.place.name,
    }


def _preview(
    semester: Semester,
    summary: str,
    problems: list[str],
    action: str,
    result=None,
    extra: dict | None = None,
):
    """A change and what it does, shown before anything is saved; confirming posts it again."""
    skip = ("csrf_token", "confirm", "reason", "from")
    fields = {k: v for k, v in request.form.items() if k not in skip} | (extra or {})
    return render_template(
        "admin_schedule_preview.html",
        semester=semester,
        summary=summary,
        problems=problems,
        action=action,
        fields=fields,
        result=result,
        names=names_by_id(get_session()),
        shown=PREVIEW_ROWS,
    )


def _own_assignment(db: Session, assignment_id: int) -> ShiftAssignment:
    assignment = db.get(ShiftAssignment, assignment_id) if assignment_id <= MAX_ID else None
    if assignment is None or assignment.shift.semester.team_id != current_user.team_id:
        abort(404)
    return assignment


@bp.post("/admin/schedule/assignments/<int:assignment_id>/delete")
@roles_required(*EDITORS)
def schedule_unassign(assignment_id: int):
    db = get_session()
    assignment = _own_assignment(db, assignment_id)
    shift = assignment.shift
    semester = shift.semester
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    day = from_day(semester)
    if day is None:
        return back_to_schedule(semester)
    user = db.get(User, assignment.user_id)
    summary = f"取消 {user.name} 的 {shift_label(shift, day)}（{day} 起）"
    problems = []
    if [a.user_id for a in shift.assignments_on(day)] == [user.id]:
        problems.append(f"{shift_label(shift, day)} 将无人值班")
    shift_id, user_id = shift.id, user.id

    def change() -> None:
        target = db.get(Shift, shift_id)
        if not end_person(target, user_id, day, semester):
            raise Refused(f"{user.name} 在 {day} 起已不在该班次中")

    outcome = confirmed(semester, day, change, summary, problems)
    if not isinstance(outcome, str):
        return outcome
    shift = db.get(Shift, shift_id)
    before = _assignment_snapshot(shift, user, day)
    try:
        change()
    except Refused as exc:
        flash(str(exc), "warning")
        return back_to_schedule(semester)
    audit(
        db,
        "schedule.unassign",
        "shift",
        shift.id,
        before,
        {"ended_from": day, "reason": outcome},
    )
    db.commit()
    flash(f"已{summary}", "success")
    return back_to_schedule(semester)


@bp.post("/admin/schedule/shifts/<int:shift_id>/delete")
@roles_required(*EDITORS)
def schedule_shift_delete(shift_id: int):
    db = get_session()
    shift = _own_shift_or_404(db, shift_id)
    semester = shift.semester
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    day = from_day(semester)
    if day is None:
        return back_to_schedule(semester)
    today = local_today(now())
    label = shift_label(shift, day)

    def change() -> None:
        end_shift(db, db.get(Shift, shift_id), day, today, semester)

    outcome = confirmed(semester, day, change, f"删除班次 {label}（{day} 起）")
    if not isinstance(outcome, str):
        return outcome
    start, end, _place_id = shift.version_on(day)
    before = {"weekday": shift.weekday, "start": start, "end": end, "place": shift.place.name}
    try:
        change()
    except Refused as exc:
        flash(str(exc), "danger")
        return back_to_schedule(semester)
    audit(db, "schedule.shift_delete", "shift", shift_id, before, {"from": day, "reason": outcome})
    db.commit()
    flash(f"已删除班次 {label}（{day} 起）", "success")
    return back_to_schedule(semester)


@bp.post("/admin/schedule/shift-times")
@roles_required(*EDITORS)
def schedule_shift_times():
    """A shift's new times/place from a date; the shift keeps its id, so leave follows it."""
    db = get_session()
    shift_id = parse_id(request.form.get("shift")) or 0
    shift = _own_shift_or_404(db, shift_id)
    semester = shift.semester
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    start = parse_clock(request.form.get("start", "").strip())
    end = parse_clock(request.form.get("end", "").strip())
    place_id = parse_id(request.form.get("place_id"))
    place = db.get(Place, place_id) if place_id else None
    if start is None or end is None:
        flash("时间应为 HH:MM 格式，如 08:00", "danger")
        return back_to_schedule(semester)
    if start >= end:
        flash("结束时间应晚于开始时间", "danger")
        return back_to_schedule(semester)
    if place is None or place.team_id != current_user.team_id:
        flash("请选择值班岗位", "danger")
        return back_to_schedule(semester)
    day = from_day(semester)
    if day is None:
        return back_to_schedule(semester)
    label = shift_label(shift, day)
    summary = f"{label} 改为 {start:%H:%M}–{end:%H:%M} {place.name}（{day} 起）"

    def change() -> None:
        change_times(db.get(Shift, shift_id), start, end, place.id, day, semester)

    outcome = confirmed(semester, day, change, summary)
    if not isinstance(outcome, str):
        return outcome
    old_start, old_end, old_place = shift.version_on(day)
    before = {"start": old_start, "end": old_end, "place_id": old_place}
    try:
        change()
    except Refused as exc:
        flash(str(exc), "danger")
        return back_to_schedule(semester)
    after = {"start": start, "end": end, "place_id": place.id, "from": day, "reason": outcome}
    audit(db, "schedule.shift_times", "shift", shift_id, before, after)
    db.commit()
    flash(f"已修改：{summary}", "success")
    return back_to_schedule(semester)


def _own_shift_or_404(db: Session, shift_id: int) -> Shift:
    shift = db.get(Shift, shift_id) if shift_id <= MAX_ID else None
    if shift is None or shift.semester.team_id != current_user.team_id:
        abort(404)
    return shift

"""Dated schedule edits (SPEC §3 "The record holds"): add, remove, retime, import — each
from a date, previewed before it is saved — and the schedule's Excel export."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, time
from typing import Any

from flask import (
    flash,
    make_response,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, roles_required
from checkin.admin.schedule import (
    PREVIEW_ROWS,
    WEEKDAYS,
    assignment_problems,
    back_to_schedule,
    load_shifts,
    names_by_id,
    refuse_locked,
    shift_label,
)
from checkin.common import (
    REASON_MAX,
    clean_text,
    form_semester,
    get_own,
    parse_id,
    team_member,
)
from data.db import write_transaction
from data.inputs import parse_clock
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


def edit(
    semester: Semester,
    day: date,
    summary: str,
    change: Callable[[], object],
    save: Callable[[str], None],
    done: str,
    *,
    problems: Iterable[str] = (),
    extra: dict | None = None,
    refused: str = "danger",
) -> Any:
    """Preview ``change`` unless the form confirms it; then ``save(reason)`` in one write
    transaction and flash ``done`` (or the refusal, in the ``refused`` colour)."""
    outcome = confirmed(semester, day, change, summary, problems, extra)
    if not isinstance(outcome, str):
        return outcome
    db = get_session()
    try:
        with write_transaction(db):
            save(outcome)
    except Refused as exc:
        flash(str(exc), refused)
        return back_to_schedule(semester)
    flash(done, "success")
    return back_to_schedule(semester)


def _slot(db: Session) -> tuple[User, tuple[int, time, time, Place]] | str:
    """(person, (weekday, start, end, place)) of the posted assignment, or why it is refused."""
    form = request.form
    user = team_member(db, form.get("user_id"))
    weekday = parse_id(form.get("weekday"))
    start = parse_clock(form.get("start", "").strip())
    end = parse_clock(form.get("end", "").strip())
    place_id = parse_id(form.get("place_id"))
    place = db.get(Place, place_id) if place_id else None
    if user is None:
        return "请选择本团队的助管"
    if weekday is None or weekday > 7:
        return "请选择星期"
    if start is None or end is None:
        return "时间应为 HH:MM 格式，如 08:00"
    if start >= end:
        return "结束时间应晚于开始时间"
    if place is None or place.team_id != current_user.team_id:
        return "请选择值班岗位（岗位在“签到海报”页添加）"
    return user, (weekday, start, end, place)


def _conflicts(
    shifts: list[Shift], user: User, slot: tuple[int, time, time, Place], day: date
) -> list[str]:
    """Where ``user`` would be twice at once (the slot's own shift aside)."""
    weekday, start, end, place = slot
    names = {place.id: place.name} | {s.place_id: s.place.name for s in shifts}
    existing = find_slot(shifts, (weekday, start, end, place.name), day, names)
    skip = existing.id if existing else None
    return assignment_problems(shifts, user, (weekday, start, end), day, skip)


@bp.post("/admin/schedule/assign")
@roles_required(*EDITORS)
def schedule_assign():
    db = get_session()
    semester = form_semester(db)
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    posted = _slot(db)
    if isinstance(posted, str):
        flash(posted, "danger")
        return back_to_schedule(semester, "#assign")
    if (day := from_day(semester)) is None:
        return back_to_schedule(semester, "#assign")
    user, slot = posted
    shifts = load_shifts(db, semester)
    problems = _conflicts(shifts, user, slot, day)
    weekday, start, end, place = slot
    summary = (
        f"{user.name} → {WEEKDAYS[weekday - 1]} {start:%H:%M}–{end:%H:%M} {place.name}（{day} 起）"
    )

    def save(reason: str) -> None:
        shift, created = assign(db, semester, load_shifts(db, semester), user, slot, day)
        db.flush()
        after = {"new_shift": created, "conflicts": problems, "from": day, "reason": reason}
        audit(
            db,
            "schedule.assign",
            "shift",
            shift.id,
            None,
            _assignment_snapshot(shift, user, day) | after,
        )

    change = lambda: assign(db, semester, shifts, user, slot, day)  # noqa: E731
    done = f"已安排：{summary}"
    return edit(semester, day, summary, change, save, done, problems=problems, refused="warning")


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
        "admin/schedule_preview.html",
        semester=semester,
        summary=summary,
        problems=problems,
        action=action,
        fields=fields,
        result=result,
        names=names_by_id(get_session()),
        shown=PREVIEW_ROWS,
    )


@bp.post("/admin/schedule/assignments/<int:assignment_id>/delete")
@roles_required(*EDITORS)
def schedule_unassign(assignment_id: int):
    db = get_session()
    assignment = get_own(db, ShiftAssignment, assignment_id, lambda a: a.shift.semester.team_id)
    shift, user = assignment.shift, db.get(User, assignment.user_id)
    semester = shift.semester
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    if (day := from_day(semester)) is None:
        return back_to_schedule(semester)
    summary = f"取消 {user.name} 的 {shift_label(shift, day)}（{day} 起）"
    alone = [a.user_id for a in shift.assignments_on(day)] == [user.id]
    problems = [f"{shift_label(shift, day)} 将无人值班"] if alone else []
    shift_id, user_id = shift.id, user.id

    def change() -> None:
        if not end_person(db.get(Shift, shift_id), user_id, day, semester):
            raise Refused(f"{user.name} 在 {day} 起已不在该班次中")

    def save(reason: str) -> None:
        before = _assignment_snapshot(db.get(Shift, shift_id), user, day)
        change()
        after = {"ended_from": day, "reason": reason}
        audit(db, "schedule.unassign", "shift", shift_id, before, after)

    done = f"已{summary}"
    return edit(semester, day, summary, change, save, done, problems=problems, refused="warning")


@bp.post("/admin/schedule/shifts/<int:shift_id>/delete")
@roles_required(*EDITORS)
def schedule_shift_delete(shift_id: int):
    db = get_session()
    shift = _own_shift_or_404(db, shift_id)
    semester = shift.semester
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    if (day := from_day(semester)) is None:
        return back_to_schedule(semester)
    today = local_today(now())
    summary = f"删除班次 {shift_label(shift, day)}（{day} 起）"

    def change() -> None:
        end_shift(db, db.get(Shift, shift_id), day, today, semester)

    def save(reason: str) -> None:
        target = db.get(Shift, shift_id)
        start, end, _place_id = target.version_on(day)
        before = {"weekday": target.weekday, "start": start, "end": end, "place": target.place.name}
        change()
        after = {"from": day, "reason": reason}
        audit(db, "schedule.shift_delete", "shift", shift_id, before, after)

    return edit(semester, day, summary, change, save, f"已{summary}")


def _times(db: Session) -> tuple[time, time, Place] | str:
    """(start, end, place) of a posted time change, or why it is refused."""
    start = parse_clock(request.form.get("start", "").strip())
    end = parse_clock(request.form.get("end", "").strip())
    place_id = parse_id(request.form.get("place_id"))
    place = db.get(Place, place_id) if place_id else None
    if start is None or end is None:
        return "时间应为 HH:MM 格式，如 08:00"
    if start >= end:
        return "结束时间应晚于开始时间"
    if place is None or place.team_id != current_user.team_id:
        return "请选择值班岗位"
    return start, end, place


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
    posted = _times(db)
    if isinstance(posted, str):
        flash(posted, "danger")
        return back_to_schedule(semester)
    if (day := from_day(semester)) is None:
        return back_to_schedule(semester)
    start, end, place = posted
    place_id = place.id
    summary = f"{shift_label(shift, day)} 改为 {start:%H:%M}–{end:%H:%M} {place.name}（{day} 起）"

    def change() -> None:
        change_times(db.get(Shift, shift_id), start, end, place_id, day, semester)

    def save(reason: str) -> None:
        old_start, old_end, old_place = db.get(Shift, shift_id).version_on(day)
        change()
        before = {"start": old_start, "end": old_end, "place_id": old_place}
        after = {"start": start, "end": end, "place_id": place_id, "from": day, "reason": reason}
        audit(db, "schedule.shift_times", "shift", shift_id, before, after)

    return edit(semester, day, summary, change, save, f"已修改：{summary}")


def _own_shift_or_404(db: Session, shift_id: int) -> Shift:
    return get_own(db, Shift, shift_id, lambda s: s.semester.team_id)

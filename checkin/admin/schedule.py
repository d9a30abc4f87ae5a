"""The duty schedule (值班安排, 第八条四) for the 团长 and the counselor.

The weekly grid, adding/removing one assignment (with a preview of conflicts before saving),
import/export in the SPEC §6 schedule format and dated overrides (换班, 临时任务, 取消).
The expected duties are always derived from these tables (``data.attendance``), so an edit here
changes the door and the dashboard at once.

Dated edits live in ``checkin.admin.schedule_edit``, import and export in
``checkin.admin.schedule_import``; the helpers shared with all management pages in
``checkin.common``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, MEMBERS, VIEWERS, roles_required
from checkin.common import (
    REASON_MAX,
    audit,
    clean_text,
    form_semester,
    get_own,
    locked_message,
    parse_day,
    parse_id,
    pick_semester,
    team_member,
    team_semesters,
)
from data.attendance import duties_on
from data.db import write_transaction
from data.inputs import parse_clock
from data.models import (
    OverrideKind,
    Place,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    User,
)
from data.services import Refused
from data.services.schedule import (
    default_from,
    shifts_of,
)
from data.services.swaps import record_swap
from data.services.swaps import snapshot as override_snapshot
from data.timeutil import local_today
from web import client_ip, get_session, now

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
STASH_NAME = re.compile(r"[0-9]{1,10}-[0-9a-f]{32}\.(xlsx|csv)")  # ASCII digits: an id
PREVIEW_ROWS = 60  # duty changes listed one by one in a preview; the rest are counted
UPLOAD_MAX = 2 * 1024 * 1024  # a schedule is a few hundred rows; refuse anything far bigger
OVERRIDE_LABELS = {
    OverrideKind.swap: "换班",
    OverrideKind.extra: "临时任务",
    OverrideKind.cancel: "取消",
}


# --- Schedule reading ---------------------------------------------------------------------


def shift_label(shift: Shift, day: date | None = None) -> str:
    start, end, _place_id = shift.version_on(day) if day else (shift.start, shift.end, 0)
    return f"{WEEKDAYS[shift.weekday - 1]} {start:%H:%M}–{end:%H:%M} {shift.place.name}"


def load_shifts(db: Session, semester: Semester) -> list[Shift]:
    return shifts_of(db, semester)


@dataclass
class GridCell:
    shift: Shift
    assignments: list[ShiftAssignment]


@dataclass
class GridRow:
    start: time
    end: time
    place: str
    cells: list[list[GridCell]]  # one list per weekday 1..7


def build_grid(shifts: list[Shift], day: date, place_names: dict[int, str]) -> list[GridRow]:
    """Rows = (time slot, place), columns = weekdays: the schedule in force on ``day``."""
    rows: dict[tuple, GridRow] = {}
    for shift in shifts:
        if not shift.in_force(day):
            continue
        start, end, place_id = shift.version_on(day)
        key = (start, end, place_names.get(place_id, ""))
        row = rows.setdefault(key, GridRow(*key, cells=[[] for _ in WEEKDAYS]))
        people = sorted(shift.assignments_on(day), key=lambda a: a.user_id)
        row.cells[shift.weekday - 1].append(GridCell(shift, people))
    return [rows[k] for k in sorted(rows)]


def _overlaps(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    return a_start < b_end and b_start < a_end


def assignment_problems(
    shifts: list[Shift],
    user: User,
    slot: tuple[int, time, time],
    day: date,
    skip: int | None,
) -> list[str]:
    """The same person at overlapping times on the same weekday from ``day`` on."""
    weekday, start, end = slot
    problems = []
    for shift in shifts:
        if shift.id == skip or shift.weekday != weekday or not shift.in_force(day):
            continue
        other_start, other_end, _place = shift.version_on(day)
        if any(a.user_id == user.id for a in shift.assignments_on(day)) and _overlaps(
            start, end, other_start, other_end
        ):
            problems.append(f"{user.name} 已安排在 {shift_label(shift, day)}，时间重叠")
    return problems


def empty_shifts(shifts: list[Shift], day: date) -> list[Shift]:
    return [s for s in shifts if s.in_force(day) and not s.assignments_on(day)]


def planned_changes(shifts: list[Shift], day: date, names: dict[int, str]) -> list[str]:
    """Changes that take effect after ``day``: so the grid never hides what is coming."""
    lines: list[tuple[date, str]] = []
    for shift in shifts:
        label = shift_label(shift, day) if shift.in_force(day) else shift_label(shift)
        for a in shift.assignments:
            who = names.get(a.user_id, "?")
            if a.valid_from is not None and a.valid_from > day:
                lines.append((a.valid_from, f"{a.valid_from} 起 {who} 加入 {label}"))
            if a.valid_to is not None and a.valid_to >= day and a.covers(day):
                lines.append((a.valid_to, f"{a.valid_to} 后 {who} 不再值 {label}"))
        for version in shift.versions:
            if version.valid_from > day:
                text = f"{version.start:%H:%M}–{version.end:%H:%M}"
                lines.append((version.valid_from, f"{version.valid_from} 起 {label} 改为 {text}"))
        if shift.valid_from is not None and shift.valid_from > day:
            lines.append((shift.valid_from, f"{shift.valid_from} 起新增班次 {label}"))
    return [text for _day, text in sorted(lines)]


def names_by_id(db: Session) -> dict[int, str]:
    query = select(User.id, User.name).where(User.team_id == current_user.team_id)
    return dict(db.execute(query).all())


# --- Pages --------------------------------------------------------------------------------


def _page(db: Session, semester: Semester) -> dict[str, Any]:
    """The grid on the chosen day, what is planned after it, overrides and tomorrow's duties."""
    today = local_today(now())
    shifts = load_shifts(db, semester)
    names = names_by_id(db)
    view_day = schedule_view_day(semester, request.args.get("on"), today)
    tomorrow = today + timedelta(days=1)
    overrides = db.scalars(
        select(ShiftOverride)
        .where(ShiftOverride.semester_id == semester.id)
        .order_by(ShiftOverride.on.desc(), ShiftOverride.id.desc())
    ).all()
    places = db.scalars(
        select(Place).where(Place.team_id == current_user.team_id).order_by(Place.name)
    ).all()
    place_names = {p.id: p.name for p in places}
    return {
        "grid": build_grid(shifts, view_day, place_names),
        "view_day": view_day,
        "default_from": default_from(semester, today),
        "shifts": [s for s in shifts if s.in_force(view_day)],
        "empty": empty_shifts(shifts, view_day),
        "planned": planned_changes(shifts, view_day, names),
        "names": names,
        "places": places,
        "place_names": place_names,
        "members": _members(db),
        "overrides": [_override_row(o, shifts, names) for o in overrides],
        "tomorrow": tomorrow,
        "tomorrow_duties": sorted(
            duties_on(db, semester, tomorrow), key=lambda d: (d.start, d.place, d.user_id)
        ),
        "locked": locked_message(db, semester),
    }


def _members(db: Session) -> list[User]:
    """Who can be put on duty: the team's active assistants and 团长."""
    query = (
        select(User)
        .where(
            User.team_id == current_user.team_id,
            User.active.is_(True),
            User.role.in_(MEMBERS),
        )
        .order_by(User.username)
    )
    return list(db.scalars(query))


@bp.get("/admin/schedule")
@roles_required(*VIEWERS)
def schedule():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        context.update(_page(db, semester))
    return render_template(
        "admin/schedule.html",
        weekdays=WEEKDAYS,
        can_edit=current_user.role in EDITORS,
        labels=OVERRIDE_LABELS,
        **context,
    )


def schedule_view_day(semester: Semester, raw: str | None, today: date) -> date:
    """``?on=`` inside the semester, else the day changes take effect by default (tomorrow)."""
    day = parse_day(raw)
    if day is not None and semester.start <= day <= semester.end:
        return day
    return default_from(semester, today)


def _override_row(o: ShiftOverride, shifts: list[Shift], names: dict[int, str]) -> dict:
    shift = next((s for s in shifts if s.id == o.shift_id), None)
    where = shift_label(shift, o.on) if shift else ""
    if o.kind is OverrideKind.swap:
        detail = f"{where}：{names.get(o.replaced_user_id, '?')} → {names.get(o.user_id, '?')}"
    elif o.kind is OverrideKind.extra:
        times = f"{o.start:%H:%M}–{o.end:%H:%M}" if o.start and o.end else where
        detail = f"{names.get(o.user_id, '?')} {times}"
    else:
        detail = where or "全天所有班次"
    return {
        "item": o,
        "label": OVERRIDE_LABELS[o.kind],
        "weekday": WEEKDAYS[o.on.weekday()],
        "detail": detail,
        "approved_by": names.get(o.approved_by_id, ""),
    }


def back_to_schedule(semester: Semester, anchor: str = ""):
    return redirect(url_for("checkin.schedule", semester=semester.id) + anchor)


def refuse_locked(db: Session, semester: Semester):
    message = locked_message(db, semester)
    if message:
        flash(message, "danger")
        return back_to_schedule(semester)
    return None


# --- Dated overrides ----------------------------------------------------------------------


def _own_shift(shifts: list[Shift], raw: Any) -> Shift | None:
    shift_id = parse_id(raw)
    return next((s for s in shifts if s.id == shift_id), None)


def _override_error(kind: str, day: date | None, semester: Semester) -> str | None:
    if kind not in OverrideKind.__members__:
        return "请选择调整类型"
    if day is None:
        return "请填写日期（YYYY-MM-DD）"
    if not semester.start <= day <= semester.end:
        return f"日期应在本学期内（{semester.start} 至 {semester.end}）"
    return None


@bp.post("/admin/schedule/overrides")
@roles_required(*EDITORS)
def schedule_override_create():
    db = get_session()
    semester = form_semester(db)
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    form = request.form
    kind, day = form.get("kind", ""), parse_day(form.get("on"))
    error = _override_error(kind, day, semester)
    if error is None and kind == OverrideKind.swap.value:
        error = _record_swap(db, semester, day, form)
        if error is None:
            flash(f"已添加换班：{day:%Y-%m-%d}", "success")
            return back_to_schedule(semester, "#overrides")
    if error is None:
        shifts = load_shifts(db, semester)
        override, error = _build_override(db, OverrideKind(kind), day, shifts, form)
    if error:
        flash(error, "danger")
        return back_to_schedule(semester, "#overrides")
    with write_transaction(db):
        override.semester_id, override.on = semester.id, day
        override.reason = clean_text(form.get("reason"), REASON_MAX)
        override.approved_by_id, override.created_at = current_user.id, now()
        db.add(override)
        db.flush()
        after = _override_snapshot(override)
        audit(db, f"schedule.{kind}", "shift_override", override.id, None, after)
    flash(f"已添加{OVERRIDE_LABELS[override.kind]}：{day:%Y-%m-%d}", "success")
    return back_to_schedule(semester, "#overrides")


def _record_swap(db: Session, semester: Semester, day: date, form: Any) -> str | None:
    """The one swap rule, shared with approved swap requests (data.services.swaps)."""
    try:
        with write_transaction(db):
            record_swap(
                db,
                db.get(User, current_user.id),
                semester,
                day,
                parse_id(form.get("shift_id")),
                parse_id(form.get("user_id")),
                parse_id(form.get("replaced_user_id")),
                form.get("reason"),
                at=now(),
                ip=client_ip(),
            )
    except Refused as refusal:
        return str(refusal)
    return None


def _build_override(
    db: Session, kind: OverrideKind, day: date, shifts: list[Shift], form: Any
) -> tuple[ShiftOverride | None, str | None]:
    """A validated (not yet added) extra or cancel override, or the reason it is refused."""
    shift = _own_shift(shifts, form.get("shift_id"))
    if shift is not None and not shift.in_force(day):
        return None, f"所选班次在 {day:%Y-%m-%d} 不在值班表中"
    if kind is OverrideKind.cancel:
        if form.get("shift_id") and shift is None:
            return None, "请选择本学期的班次"
        if shift is not None and shift.weekday != day.isoweekday():
            return None, f"{day:%Y-%m-%d} 是{WEEKDAYS[day.weekday()]}，与所选班次的星期不符"
        return ShiftOverride(kind=kind, shift_id=shift.id if shift else None), None
    user = team_member(db, form.get("user_id"))
    if user is None:
        return None, "请选择本团队的助管"
    start = parse_clock((form.get("start") or "").strip())
    end = parse_clock((form.get("end") or "").strip())
    place_id = parse_id(form.get("place_id"))
    place = db.get(Place, place_id) if place_id else None
    if start is None or end is None:
        return None, "临时任务的时间应为 HH:MM 格式"
    if start >= end:
        return None, "结束时间应晚于开始时间"
    if place is None or place.team_id != current_user.team_id:
        return None, "请选择值班岗位"
    return ShiftOverride(kind=kind, user_id=user.id, start=start, end=end, place_id=place.id), None


def _override_snapshot(o: ShiftOverride) -> dict:
    return override_snapshot(o)  # the same audit fields as a swap's (data.services.swaps)


@bp.post("/admin/schedule/overrides/<int:override_id>/delete")
@roles_required(*EDITORS)
def schedule_override_delete(override_id: int):
    db = get_session()
    override = get_own(
        db, ShiftOverride, override_id, lambda o: db.get(Semester, o.semester_id).team_id
    )
    semester = db.get(Semester, override.semester_id)
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    with write_transaction(db):
        before = _override_snapshot(override)
        action = f"schedule.{override.kind.value}_delete"
        audit(db, action, "shift_override", override.id, before, None)
        db.delete(override)
    flash("已删除该调整", "success")
    return back_to_schedule(semester, "#overrides")

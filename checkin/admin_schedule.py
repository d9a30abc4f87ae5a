"""The duty schedule (值班安排, 第八条四) for the 团长 and the counselor.

The weekly grid, adding/removing one assignment (with a preview of conflicts before saving),
import/export in the SPEC §6 schedule format and dated overrides (换班, 临时任务, 取消).
The expected duties are always derived from these tables (``data.attendance``), so an edit here
changes the door and the dashboard at once.

The small helpers at the top (semester picking, audit, Excel download, lock check) are shared
with the other management pages of this group (meetings, directory, assessment, stipend).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkin import bp
from checkin.admin_nav import section
from data.attendance import current_semester, duties_on
from data.importers import SCHEDULE_COLUMNS, ImportFileError, import_schedule, parse_clock
from data.models import (
    OverrideKind,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    User,
)
from data.timeutil import local_today
from web import audit, get_session, now, roles_required

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow the driver's integer type
REASON_MAX = 500
UPLOAD_MAX = 2 * 1024 * 1024  # a schedule is a few hundred rows; refuse anything far bigger
EDITORS = (Role.leader, Role.counselor)
VIEWERS = (Role.leader, Role.counselor, Role.leadership)
MEMBER_ROLES = (Role.assistant, Role.leader)  # who can be put on duty
OVERRIDE_LABELS = {
    OverrideKind.swap: "换班",
    OverrideKind.extra: "临时任务",
    OverrideKind.cancel: "取消",
}

section("checkin.schedule", "值班安排", roles=("leader", "counselor", "leadership"))


# --- Helpers shared by this group's management pages --------------------------------------


def parse_id(raw: Any) -> int | None:
    """A positive database id from form/query text, or None."""
    text = str(raw or "").strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def team_semesters(db: Session) -> list[Semester]:
    if current_user.team_id is None:
        return []
    query = select(Semester).where(Semester.team_id == current_user.team_id)
    return list(db.scalars(query.order_by(Semester.start.desc())))


def pick_semester(db: Session, raw: str | None) -> Semester | None:
    """``?semester=<id>`` of the user's team (404 for others), else the current or latest one."""
    if raw:
        semester_id = parse_id(raw)
        semester = db.get(Semester, semester_id) if semester_id else None
        if semester is None or semester.team_id != current_user.team_id:
            abort(404)
        return semester
    today = local_today(now())
    semester = current_semester(db, current_user.team_id, today)
    if semester is not None:
        return semester
    semesters = team_semesters(db)
    return semesters[0] if semesters else None


def form_semester(db: Session) -> Semester:
    """The semester named by a POSTed form; 404 unless it is the user's team's."""
    semester = pick_semester(db, request.form.get("semester") or "0")
    assert semester is not None  # pick_semester aborts on a missing/foreign id
    return semester


def team_member(db: Session, raw: Any, roles: tuple[Role, ...] = MEMBER_ROLES) -> User | None:
    """An active user of the current team with one of ``roles``, or None."""
    user_id = parse_id(raw)
    user = db.get(User, user_id) if user_id else None
    if user is None or user.team_id != current_user.team_id or not user.active:
        return None
    return user if user.role in roles else None


def locked_message(db: Session, semester: Semester) -> str | None:
    """The lock message when the semester's assessment is finalized, else None."""
    try:
        from checkin.admin_semester import Locked, ensure_unlocked
    except ImportError:  # the finalize page is optional; the column alone still decides
        return "本学期考核已锁定，不能再修改" if semester.finalized_at else None
    try:
        ensure_unlocked(db, semester.team_id, semester.start)
    except Locked as exc:
        return str(exc)
    return None


def xlsx_response(sheets: dict[str, pd.DataFrame], filename: str) -> Response:
    """A workbook download; the UTF-8 file name is given the RFC 5987 way for Chinese names."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column) + 4
                sheet.column_dimensions[column[0].column_letter].width = min(width * 1.6, 50)
            sheet.freeze_panes = "A2"
    response = Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"  # personal data
    return response


def clean_text(raw: Any, limit: int) -> str:
    return " ".join(str(raw or "").split())[:limit]


# --- Schedule reading ---------------------------------------------------------------------


def shift_label(shift: Shift) -> str:
    return f"{WEEKDAYS[shift.weekday - 1]} {shift.start:%H:%M}–{shift.end:%H:%M} {shift.place.name}"


def load_shifts(db: Session, semester: Semester) -> list[Shift]:
    query = (
        select(Shift)
        .where(Shift.semester_id == semester.id)
        .options(selectinload(Shift.assignments), selectinload(Shift.place))
        .order_by(Shift.start, Shift.end, Shift.weekday, Shift.id)
    )
    return list(db.scalars(query))


@dataclass
class GridRow:
    start: time
    end: time
    place: str
    cells: list[list[Shift]]  # one list per weekday 1..7


def build_grid(shifts: list[Shift]) -> list[GridRow]:
    """Rows = (time slot, place), columns = weekdays."""
    rows: dict[tuple, GridRow] = {}
    for shift in shifts:
        key = (shift.start, shift.end, shift.place.name)
        row = rows.setdefault(key, GridRow(*key, cells=[[] for _ in WEEKDAYS]))
        row.cells[shift.weekday - 1].append(shift)
    return [rows[k] for k in sorted(rows)]


def _overlaps(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    return a_start < b_end and b_start < a_end


def assignment_problems(
    shifts: list[Shift], user: User, weekday: int, start: time, end: time, skip: int | None
) -> list[str]:
    """The same person at overlapping times on the same weekday (another shift than ``skip``)."""
    problems = []
    for shift in shifts:
        if shift.id == skip or shift.weekday != weekday:
            continue
        if any(a.user_id == user.id for a in shift.assignments) and _overlaps(
            start, end, shift.start, shift.end
        ):
            problems.append(f"{user.name} 已安排在 {shift_label(shift)}，时间重叠")
    return problems


def empty_shifts(shifts: list[Shift]) -> list[Shift]:
    return [s for s in shifts if not s.assignments]


def _names(db: Session) -> dict[int, str]:
    query = select(User.id, User.name).where(User.team_id == current_user.team_id)
    return dict(db.execute(query).all())


# --- Pages --------------------------------------------------------------------------------


@bp.get("/admin/schedule")
@roles_required(*VIEWERS)
def schedule():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        shifts = load_shifts(db, semester)
        names = _names(db)
        tomorrow = local_today(now()) + timedelta(days=1)
        overrides = db.scalars(
            select(ShiftOverride)
            .where(ShiftOverride.semester_id == semester.id)
            .order_by(ShiftOverride.on.desc(), ShiftOverride.id.desc())
        ).all()
        places = db.scalars(
            select(Place).where(Place.team_id == current_user.team_id).order_by(Place.name)
        ).all()
        members = db.scalars(
            select(User)
            .where(
                User.team_id == current_user.team_id,
                User.active.is_(True),
                User.role.in_(MEMBER_ROLES),
            )
            .order_by(User.username)
        ).all()
        context.update(
            grid=build_grid(shifts),
            shifts=shifts,
            empty=empty_shifts(shifts),
            names=names,
            places=places,
            place_names={p.id: p.name for p in places},
            members=members,
            overrides=[_override_row(o, shifts, names) for o in overrides],
            tomorrow=tomorrow,
            tomorrow_duties=sorted(
                duties_on(db, semester, tomorrow), key=lambda d: (d.start, d.place, d.user_id)
            ),
            locked=locked_message(db, semester),
        )
    can_edit = current_user.role in EDITORS
    return render_template(
        "admin_schedule.html",
        weekdays=WEEKDAYS,
        can_edit=can_edit,
        labels=OVERRIDE_LABELS,
        **context,
    )


def _override_row(o: ShiftOverride, shifts: list[Shift], names: dict[int, str]) -> dict:
    shift = next((s for s in shifts if s.id == o.shift_id), None)
    where = shift_label(shift) if shift else ""
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


def _back(semester: Semester, anchor: str = ""):
    return redirect(url_for("checkin.schedule", semester=semester.id) + anchor)


def _refuse_locked(db: Session, semester: Semester):
    message = locked_message(db, semester)
    if message:
        flash(message, "danger")
        return _back(semester)
    return None


@bp.post("/admin/schedule/assign")
@roles_required(*EDITORS)
def schedule_assign():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refuse_locked(db, semester)) is not None:
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
        return _back(semester, "#assign")
    shifts = load_shifts(db, semester)
    shift = next(
        (
            s
            for s in shifts
            if (s.weekday, s.start, s.end, s.place_id) == (weekday, start, end, place.id)
        ),
        None,
    )
    if shift is not None and any(a.user_id == user.id for a in shift.assignments):
        flash(f"{user.name} 已在 {shift_label(shift)} 班次中", "warning")
        return _back(semester)
    problems = assignment_problems(shifts, user, weekday, start, end, shift.id if shift else None)
    summary = f"{user.name} → {WEEKDAYS[weekday - 1]} {start:%H:%M}–{end:%H:%M} {place.name}"
    if problems and form.get("confirm") != "1":
        return _preview(semester, summary, problems, url_for("checkin.schedule_assign"))
    created = shift is None
    if shift is None:
        shift = Shift(semester_id=semester.id, weekday=weekday, start=start, end=end, place=place)
        db.add(shift)
    shift.assignments.append(ShiftAssignment(user_id=user.id))
    db.flush()
    after = _assignment_snapshot(shift, user) | {"new_shift": created, "conflicts": problems}
    audit(db, "schedule.assign", "shift", shift.id, None, after)
    db.commit()
    flash(f"已安排：{summary}", "success")
    return _back(semester)


def _assignment_snapshot(shift: Shift, user: User) -> dict:
    return {
        "username": user.username,
        "name": user.name,
        "weekday": shift.weekday,
        "start": shift.start,
        "end": shift.end,
        "place": shift.place.name,
    }


def _preview(semester: Semester, summary: str, problems: list[str], action: str):
    """The conflicts of a change, shown before anything is saved; confirming posts it again."""
    fields = {k: v for k, v in request.form.items() if k not in ("csrf_token", "confirm")}
    return render_template(
        "admin_schedule_preview.html",
        semester=semester,
        summary=summary,
        problems=problems,
        action=action,
        fields=fields,
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
    if (refused := _refuse_locked(db, semester)) is not None:
        return refused
    user = db.get(User, assignment.user_id)
    summary = f"取消 {user.name} 的 {shift_label(shift)}"
    if len(shift.assignments) == 1 and request.form.get("confirm") != "1":
        problems = [f"{shift_label(shift)} 将无人值班"]
        action = url_for("checkin.schedule_unassign", assignment_id=assignment_id)
        return _preview(semester, summary, problems, action)
    before = _assignment_snapshot(shift, user)
    shift.assignments.remove(assignment)
    audit(db, "schedule.unassign", "shift", shift.id, before, None)
    db.commit()
    flash(f"已{summary}", "success")
    return _back(semester)


@bp.post("/admin/schedule/shifts/<int:shift_id>/delete")
@roles_required(*EDITORS)
def schedule_shift_delete(shift_id: int):
    db = get_session()
    shift = db.get(Shift, shift_id) if shift_id <= MAX_ID else None
    if shift is None or shift.semester.team_id != current_user.team_id:
        abort(404)
    semester = shift.semester
    if (refused := _refuse_locked(db, semester)) is not None:
        return refused
    if shift.assignments:
        flash("班次中还有值班人员，请先取消安排", "danger")
        return _back(semester)
    label = shift_label(shift)
    before = {"weekday": shift.weekday, "start": shift.start, "end": shift.end}
    audit(
        db, "schedule.shift_delete", "shift", shift.id, before | {"place": shift.place.name}, None
    )
    db.delete(shift)
    db.commit()
    flash(f"已删除空班次 {label}", "success")
    return _back(semester)


# --- Import / export ----------------------------------------------------------------------


def _schedule_rows(db: Session, semester: Semester) -> list[list[str]]:
    usernames = dict(
        db.execute(select(User.id, User.username).where(User.team_id == semester.team_id)).all()
    )
    rows = []
    for shift in load_shifts(db, semester):
        for a in sorted(shift.assignments, key=lambda a: usernames.get(a.user_id, "")):
            rows.append(
                [
                    usernames.get(a.user_id, ""),
                    WEEKDAYS[shift.weekday - 1],
                    shift.start.strftime("%H:%M"),
                    shift.end.strftime("%H:%M"),
                    shift.place.name,
                ]
            )
    return sorted(rows, key=lambda r: (WEEKDAYS.index(r[1]), r[2], r[4], r[0]))


@bp.get("/admin/schedule/export.xlsx")
@roles_required(*VIEWERS)
def schedule_export():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        abort(404)
    frame = pd.DataFrame(_schedule_rows(db, semester), columns=list(SCHEDULE_COLUMNS))
    return xlsx_response({"值班表": frame}, f"{semester.name}-值班表.xlsx")


@bp.post("/admin/schedule/import")
@roles_required(*EDITORS)
def schedule_import():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refuse_locked(db, semester)) is not None:
        return refused
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or not upload.filename:
        flash("请选择要导入的值班表文件（.xlsx 或 .csv）", "danger")
        return _back(semester, "#import")
    if suffix not in (".xlsx", ".csv"):
        flash("只支持 .xlsx 或 .csv 文件", "danger")
        return _back(semester, "#import")
    body = upload.read(UPLOAD_MAX + 1)
    if len(body) > UPLOAD_MAX:
        flash("文件过大（最大 2 MB）", "danger")
        return _back(semester, "#import")
    skip_bad = request.form.get("skip_bad") == "1"
    before = _schedule_rows(db, semester)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"schedule{suffix}"
        path.write_bytes(body)
        try:
            report = import_schedule(db, path, semester=semester, skip_bad=skip_bad)
        except ImportFileError as exc:
            db.rollback()
            flash(f"导入失败：{exc}", "danger")
            return _back(semester, "#import")
        except Exception:  # a corrupt workbook must not become a 500
            db.rollback()
            flash("导入失败：文件无法读取，请确认是 Excel（.xlsx）或 CSV 文件", "danger")
            return _back(semester, "#import")
    if report.rejected:
        db.rollback()
        return render_template(
            "admin_schedule_import.html", semester=semester, report=report, written=False
        )
    db.flush()
    after = _schedule_rows(db, semester)
    audit(db, "schedule.import", "semester", semester.id, {"rows": before}, {"rows": after})
    db.commit()
    return render_template(
        "admin_schedule_import.html", semester=semester, report=report, written=True
    )


# --- Dated overrides ----------------------------------------------------------------------


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _own_shift(shifts: list[Shift], raw: Any) -> Shift | None:
    shift_id = parse_id(raw)
    return next((s for s in shifts if s.id == shift_id), None)


@bp.post("/admin/schedule/overrides")
@roles_required(*EDITORS)
def schedule_override_create():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refuse_locked(db, semester)) is not None:
        return refused
    form = request.form
    kind = form.get("kind", "")
    day = _parse_day(form.get("on"))
    reason = clean_text(form.get("reason"), REASON_MAX)
    shifts = load_shifts(db, semester)
    if kind not in OverrideKind.__members__:
        error = "请选择调整类型"
    elif day is None:
        error = "请填写日期（YYYY-MM-DD）"
    elif not semester.start <= day <= semester.end:
        error = f"日期应在本学期内（{semester.start} 至 {semester.end}）"
    else:
        override, error = _build_override(db, OverrideKind(kind), day, shifts, form)
    if error:
        flash(error, "danger")
        return _back(semester, "#overrides")
    override.semester_id = semester.id
    override.on = day
    override.reason = reason
    override.approved_by_id = current_user.id
    override.created_at = now()
    db.add(override)
    db.flush()
    audit(db, f"schedule.{kind}", "shift_override", override.id, None, _override_snapshot(override))
    db.commit()
    flash(f"已添加{OVERRIDE_LABELS[override.kind]}：{day:%Y-%m-%d}", "success")
    return _back(semester, "#overrides")


def _build_override(
    db: Session, kind: OverrideKind, day: date, shifts: list[Shift], form: Any
) -> tuple[ShiftOverride | None, str | None]:
    """A validated (not yet added) override, or the reason it is refused."""
    shift = _own_shift(shifts, form.get("shift_id"))
    if kind is OverrideKind.cancel:
        if form.get("shift_id") and shift is None:
            return None, "请选择本学期的班次"
        if shift is not None and shift.weekday != day.isoweekday():
            return None, f"{day:%Y-%m-%d} 是{WEEKDAYS[day.weekday()]}，与所选班次的星期不符"
        return ShiftOverride(kind=kind, shift_id=shift.id if shift else None), None
    user = team_member(db, form.get("user_id"))
    if user is None:
        return None, "请选择本团队的助管"
    if kind is OverrideKind.swap:
        replaced = team_member(db, form.get("replaced_user_id"))
        if shift is None:
            return None, "请选择要换班的班次"
        if shift.weekday != day.isoweekday():
            return None, f"{day:%Y-%m-%d} 是{WEEKDAYS[day.weekday()]}，与所选班次的星期不符"
        if replaced is None or all(a.user_id != replaced.id for a in shift.assignments):
            return None, "原值班人不在所选班次中"
        if replaced.id == user.id:
            return None, "换班双方不能是同一人"
        if any(a.user_id == user.id for a in shift.assignments):
            return None, f"{user.name} 本来就在该班次中"
        override = ShiftOverride(
            kind=kind, shift_id=shift.id, user_id=user.id, replaced_user_id=replaced.id
        )
        return override, None
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
    fields = ("on", "kind", "shift_id", "user_id", "replaced_user_id", "start", "end", "place_id")
    return {name: getattr(o, name) for name in fields} | {"reason": o.reason}


@bp.post("/admin/schedule/overrides/<int:override_id>/delete")
@roles_required(*EDITORS)
def schedule_override_delete(override_id: int):
    db = get_session()
    override = db.get(ShiftOverride, override_id) if override_id <= MAX_ID else None
    semester = db.get(Semester, override.semester_id) if override else None
    if semester is None or semester.team_id != current_user.team_id:
        abort(404)
    if (refused := _refuse_locked(db, semester)) is not None:
        return refused
    before = _override_snapshot(override)
    audit(db, f"schedule.{override.kind.value}_delete", "shift_override", override.id, before, None)
    db.delete(override)
    db.commit()
    flash("已删除该调整", "success")
    return _back(semester, "#overrides")

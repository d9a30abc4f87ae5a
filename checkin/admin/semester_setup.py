"""学期设置 (counselor): create and edit semesters, college breaks and 调休 make-up days.

A change that reaches duties of today or earlier is previewed (which duties appear, go or
move) and saved only with a reason, like the schedule's dated edits; the rules are in
``data.services.semester_setup``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.admin.schedule import PREVIEW_ROWS, names_by_id
from checkin.common import (
    clean_text,
    get_own,
    parse_day,
    parse_id,
    perform,
    pick_semester,
    team_semesters,
    today,
)
from data.models import Semester, SemesterBreak, SemesterMakeupDay
from data.policy.duties import makeup_workdays
from data.services import REASON_MAX, Refused
from data.services import semester_setup as service
from data.services.schedule import preview
from web import get_session

FORM_ONLY = {"csrf_token", "confirm", "reason"}


def _days(*fields: str) -> list[date]:
    """The posted YYYY-MM-DD dates of ``fields``; Refused (nothing written) if one is bad."""
    days = [parse_day(request.form.get(name)) for name in fields]
    if any(day is None for day in days):
        raise Refused("请填写有效的日期（YYYY-MM-DD）")
    return days  # type: ignore[return-value]


def _back(semester: Semester | None = None) -> Response:
    return redirect(url_for("checkin.semester_setup", semester=semester.id if semester else None))


def _own(semester_id: int) -> Semester:
    return get_own(get_session(), Semester, semester_id, team_of=lambda s: s.team_id)


def _change(semester: Semester, planner) -> Any:
    """Preview a change that reaches today or earlier unless confirmed; else save it."""
    db = get_session()
    try:
        plan = planner()
    except Refused as exc:
        db.rollback()
        flash(str(exc), "danger")
        return _back(semester)
    if plan.past(today()) and request.form.get("confirm") != "1":
        result = preview(db, semester, plan.make, plan.day, today())
        fields = {k: v for k, v in request.form.items() if k not in FORM_ONLY}
        return render_template(
            "admin/semester_preview.html",
            semester=semester,
            summary=plan.summary,
            result=result,
            names=names_by_id(db),
            shown=PREVIEW_ROWS,
            fields=fields,
            action=request.path,
            reason_max=REASON_MAX,
        )
    saved = perform(service.save, planner, request.form.get("reason", ""))
    if saved is not None:
        flash(f"已保存：{saved.summary}", "success")
    return _back(semester)


@bp.get("/admin/semester-setup")
@roles_required(*COUNSELOR)
def semester_setup():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    official = sorted(makeup_workdays(semester.start, semester.end)) if semester else []
    return render_template(
        "admin/semester_setup.html",
        semesters=team_semesters(db),
        semester=semester,
        official=official,
        declared={m.on for m in semester.makeup_days} if semester else set(),
        weekdays=service.WEEKDAYS,
        today=today(),
    )


@bp.post("/admin/semester-setup/new")
@roles_required(*COUNSELOR)
def semester_create():
    name = clean_text(request.form.get("name"), 200)
    try:
        start, end = _days("start", "end")
    except Refused as exc:
        flash(str(exc), "danger")
        return _back()
    semester = perform(service.create, name, start, end)
    if semester is None:
        return _back()
    flash(f"已创建学期“{semester.name}”（{start} 至 {end}）。下一步：导入名单和值班表。", "success")
    return _back(semester)


@bp.post("/admin/semester-setup/<int:semester_id>/edit")
@roles_required(*COUNSELOR)
def semester_edit(semester_id: int):
    semester = _own(semester_id)
    name = clean_text(request.form.get("name"), 200)

    def planner() -> service.Plan:
        start, end = _days("start", "end")
        return service.plan_update(get_session(), semester, name, start, end)

    return _change(semester, planner)


@bp.post("/admin/semester-setup/<int:semester_id>/breaks")
@roles_required(*COUNSELOR)
def semester_break_add(semester_id: int):
    semester = _own(semester_id)
    name = clean_text(request.form.get("name"), 200)

    def planner() -> service.Plan:
        start, end = _days("start", "end")
        return service.plan_break(get_session(), semester, name, start, end)

    return _change(semester, planner)


@bp.post("/admin/semester-setup/<int:semester_id>/breaks/<int:item_id>/delete")
@roles_required(*COUNSELOR)
def semester_break_delete(semester_id: int, item_id: int):
    semester = _own(semester_id)
    item = get_own(get_session(), SemesterBreak, item_id, team_of=lambda b: b.semester.team_id)
    if item.semester_id != semester.id:
        return _back(semester)
    return _change(semester, lambda: service.plan_break_delete(get_session(), semester, item))


@bp.post("/admin/semester-setup/<int:semester_id>/makeup")
@roles_required(*COUNSELOR)
def semester_makeup_add(semester_id: int):
    semester = _own(semester_id)
    weekday = parse_id(request.form.get("weekday")) or 0

    def planner() -> service.Plan:
        (on,) = _days("on")
        return service.plan_makeup(get_session(), semester, on, weekday)

    return _change(semester, planner)


@bp.post("/admin/semester-setup/<int:semester_id>/makeup/<int:item_id>/delete")
@roles_required(*COUNSELOR)
def semester_makeup_delete(semester_id: int, item_id: int):
    semester = _own(semester_id)
    db = get_session()
    item = get_own(db, SemesterMakeupDay, item_id, team_of=lambda m: m.semester.team_id)
    if item.semester_id != semester.id:
        return _back(semester)
    return _change(semester, lambda: service.plan_makeup_delete(db, semester, item))

"""嘉奖 (第七条三, counselor): record and delete commendations; the rules are in
``data.services.commendations``, the bonus and the reason reach the report from the table."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import (
    REASON_MAX,
    clean_block,
    get_own,
    parse_day,
    parse_id,
    perform,
    pick_semester,
    team_id,
    team_semesters,
    today,
)
from data.facts import members_of
from data.models import Commendation, Semester, User
from data.services import commendations as service
from web import get_session


@bp.get("/admin/commendations")
@roles_required(*COUNSELOR)
def commendations():
    db = get_session()
    team_id()
    semester = pick_semester(db, request.args.get("semester"))
    default_day = min(max(today(), semester.start), semester.end) if semester else today()
    return render_template(
        "admin/commendations.html",
        semester=semester,
        semesters=team_semesters(db),
        rows=service.of_semester(db, semester) if semester else [],
        people=members_of(db, semester) if semester else [],
        default_day=default_day,
        bonus_max=service.BONUS_MAX,
    )


@bp.post("/admin/commendations")
@roles_required(*COUNSELOR)
def commendation_add():
    db = get_session()
    person_id = parse_id(request.form.get("user"))
    person = db.get(User, person_id) if person_id else None
    form = request.form
    reason = clean_block(form.get("reason"), REASON_MAX + 1)
    on = parse_day(form.get("on"))
    added = perform(service.add, person, on, reason, form.get("bonus", ""))
    if added is None:
        return redirect(url_for("checkin.commendations", semester=parse_id(form.get("semester"))))
    flash(f"已记录 {person.name} 的嘉奖（奖励 {added.bonus} 元，计入补贴）", "success")
    return redirect(url_for("checkin.commendations", semester=added.semester_id))


@bp.post("/admin/commendations/<int:commendation_id>/delete")
@roles_required(*COUNSELOR)
def commendation_delete(commendation_id: int):
    db = get_session()
    item = get_own(
        db, Commendation, commendation_id, lambda c: db.get(Semester, c.semester_id).team_id
    )
    semester_id = item.semester_id
    name = perform(service.delete, item)
    if name is not None:
        flash(f"已删除 {name} 的一条嘉奖", "success")
    return redirect(url_for("checkin.commendations", semester=semester_id))

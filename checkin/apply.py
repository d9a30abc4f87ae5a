"""The applicant's own form (第四条 "学生本人直接向学院提出申请").

Any assistant account of the team that has no appointment for the running (or next) semester
applies here: experience, a 学习成绩 note, and confirms the profile fields the review ranks by.
The application is an 已报名 appointment with its first history event and one audit entry.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from checkin import bp
from checkin.access import roles_required
from checkin.admin_recruit import (
    DEGREES,
    POLITICAL,
    audit,
    clean_text,
    target_semester,
    today,
)
from data.audit import snapshot
from data.models import STAGE_LABELS, Appointment, AppointmentEvent, Role, Stage, User
from web import get_session, now

PROFILE = ("degree_level", "grade", "political_status", "hardship")
EXPERIENCE_MAX = 2000
GRADES_NOTE_MAX = 200
GRADE_MAX = 20


def _form_errors(form: dict[str, str]) -> list[str]:
    errors = []
    if form["degree_level"] not in DEGREES:
        errors.append("请选择学历层次")
    if not form["grade"]:
        errors.append("请填写年级，如 2023级")
    elif len(form["grade"]) > GRADE_MAX:
        errors.append(f"年级最多 {GRADE_MAX} 个字")
    if form["political_status"] not in (*POLITICAL, "其他"):
        errors.append("请选择政治面貌")
    if form["hardship"] not in ("yes", "no"):
        errors.append("请选择是否家庭经济困难")
    if not form["grades_note"]:
        errors.append("请填写学习成绩情况")
    elif len(form["grades_note"]) > GRADES_NOTE_MAX:
        errors.append(f"学习成绩最多 {GRADES_NOTE_MAX} 个字")
    if len(form["experience"]) > EXPERIENCE_MAX:
        errors.append(f"工作经历最多 {EXPERIENCE_MAX} 个字")
    return errors


@bp.route("/apply", methods=["GET", "POST"])
@roles_required(Role.assistant, Role.leader)
def apply():
    db = get_session()
    user = db.get(User, current_user.id)
    semester = target_semester(db, user.team_id, today()) if user.team_id else None
    existing = (
        db.scalar(
            select(Appointment).where(
                Appointment.user_id == user.id, Appointment.semester_id == semester.id
            )
        )
        if semester
        else None
    )
    form = {
        "degree_level": user.degree_level,
        "grade": user.grade,
        "political_status": user.political_status,
        "hardship": "yes" if user.hardship else "no",
        "grades_note": "",
        "experience": "",
    }
    errors: list[str] = []
    if request.method == "POST" and semester is not None and existing is None:
        form = {k: " ".join((request.form.get(k) or "").split()) for k in form}
        form["experience"] = (request.form.get("experience") or "").strip()  # keep line breaks
        errors = _form_errors(form)
        if not errors:
            existing = _submit(user, semester.id, form)
            if existing is not None:
                flash(f"已提交 {semester.name} 的助管报名，请等待学院审核。", "success")
                return redirect(url_for("checkin.apply"))
            errors = ["你已经提交过本学期的报名。"]
    elif request.method == "POST":
        flash("当前不能报名。", "warning")
        return redirect(url_for("checkin.apply"))
    return render_template(
        "apply.html",
        semester=semester,
        existing=existing,
        form=form,
        errors=errors,
        degrees=DEGREES,
        political=(*POLITICAL, "其他"),
        stage_labels=STAGE_LABELS,
    ), (400 if errors else 200)


def _submit(user: User, semester_id: int, form: dict[str, str]) -> Appointment | None:
    db = get_session()
    before = snapshot(user, PROFILE)
    user.degree_level = form["degree_level"]
    user.grade = form["grade"]
    user.political_status = form["political_status"]
    user.hardship = form["hardship"] == "yes"
    appointment = Appointment(
        user_id=user.id,
        semester_id=semester_id,
        applied_on=today(),
        grades_note=clean_text(form["grades_note"], GRADES_NOTE_MAX),
        experience=clean_text(form["experience"], EXPERIENCE_MAX),
    )
    appointment.stage = Stage.applied
    db.add(appointment)
    db.add(
        AppointmentEvent(
            appointment=appointment,
            from_stage=None,
            to_stage=Stage.applied,
            on=today(),
            at=now(),
            by_id=user.id,
            reason="本人提交报名表",
        )
    )
    try:
        db.flush()
    except IntegrityError:  # a second tab submitted first
        db.rollback()
        return None
    after = {
        **snapshot(user, PROFILE),
        "stage": Stage.applied,
        "semester_id": semester_id,
        "grades_note": appointment.grades_note,
        "experience": appointment.experience,
    }
    audit(db, "appointment.apply", "appointment", appointment.id, {**before, "stage": None}, after)
    db.commit()
    return appointment

"""The applicant's own form (第四条 "学生本人直接向学院提出申请"); the rules live in
``data.services.applications``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import ON_DUTY, roles_required
from checkin.common import today
from data.db import write_transaction
from data.models import STAGE_LABELS, Appointment, Semester, User
from data.services import Refused
from data.services import applications as service
from web import client_ip, get_session, now


def _profile(user: User) -> dict[str, str]:
    """The form as first shown: the profile fields the user already has."""
    return {
        "degree_level": user.degree_level,
        "grade": user.grade,
        "political_status": user.political_status,
        "hardship": "yes" if user.hardship else "no",
        "grades_note": "",
        "experience": "",
    }


def _page(semester: Semester | None, existing: Appointment | None, form: dict, errors: list):
    return render_template(
        "me/apply.html",
        semester=semester,
        existing=existing,
        form=form,
        errors=errors,
        degrees=service.DEGREES,
        political=service.POLITICAL_CHOICES,
        stage_labels=STAGE_LABELS,
    ), (400 if errors else 200)


@bp.route("/apply", methods=["GET", "POST"])
@roles_required(*ON_DUTY)
def apply():
    db = get_session()
    semester, existing = service.open_application(db, db.get(User, current_user.id), today())
    if request.method == "GET":
        return _page(semester, existing, _profile(db.get(User, current_user.id)), [])
    if semester is None or existing is not None:
        flash("当前不能报名。", "warning")
        return redirect(url_for("checkin.apply"))
    form = service.clean_form(request.form)
    try:
        with write_transaction(db):
            actor = db.get(User, current_user.id)
            service.apply(db, actor, form, today=today(), at=now(), ip=client_ip())
    except service.Invalid as invalid:
        return _page(semester, existing, form, invalid.errors)
    except Refused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("checkin.apply"))
    flash(f"已提交 {semester.name} 的助管报名，请等待学院审核。", "success")
    return redirect(url_for("checkin.apply"))

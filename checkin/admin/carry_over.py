"""Carry over (续聘): the previous semester's 可续聘 list, all ticked, appointed in one click.

The list is built and confirmed by ``data.services.carry_over``; it can be confirmed only once
the previous semester's assessment is published, before that it is a read-only 预估.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import (
    parse_ids,
    perform,
    pick_semester,
    team_id,
    team_semesters,
    today,
)
from data.importers import default_appointment_day
from data.models import Semester
from data.services import carry_over as service
from web import get_session, now


def _target(db: Session) -> Semester | None:
    """``?semester=<id>`` of the team (404 for others), else the semester after the last ended."""
    raw = request.values.get("semester")
    return pick_semester(db, raw) if raw else service.default_target(db, team_id(), today())


@bp.get("/admin/carry-over")
@roles_required(*COUNSELOR)
def carry_over():
    db = get_session()
    target = _target(db)
    plan = service.carry_over(db, target, now()) if target else None
    return render_template(
        "admin/carry_over.html",
        plan=plan,
        semester=target,
        # Newest first; the oldest semester follows none, so nothing can be carried into it.
        semesters=team_semesters(db)[:-1],
        on=default_appointment_day(target, today()) if target else None,
    )


@bp.post("/admin/carry-over")
@roles_required(*COUNSELOR)
def carry_over_confirm():
    """Appoint the ticked 可续聘 people for the chosen semester."""
    target = _target(get_session())
    if target is None:
        flash("还没有可续聘的新学期，请先创建学期", "danger")
        return redirect(url_for("checkin.carry_over"))
    result = perform(service.confirm, target, parse_ids(request.form.getlist("user")))
    if result is not None:
        flash("续聘完成：" + result.message(), "success")
    return redirect(url_for("checkin.carry_over", semester=target.id))

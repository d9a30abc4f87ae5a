"""The assistant's own page (the full version arrives with the door flow)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from checkin import bp
from data.models import CheckAction, CheckEvent, Semester
from data.timeutil import local_today, to_local
from web import get_session, now


@bp.get("/me")
@login_required
def me():
    session = get_session()
    today = local_today(now())
    semester = session.scalar(
        select(Semester)
        .where(Semester.team_id == current_user.team_id, Semester.start <= today)
        .order_by(Semester.start.desc())
        .limit(1)
    )
    recent = session.scalars(
        select(CheckEvent)
        .where(CheckEvent.user_id == current_user.id)
        .order_by(CheckEvent.at.desc())
        .limit(10)
    ).all()
    sign_ins = 0
    if semester is not None:
        sign_ins = session.scalar(
            select(func.count(CheckEvent.id)).where(
                CheckEvent.user_id == current_user.id,
                CheckEvent.action == CheckAction.sign_in,
                CheckEvent.duty_date.between(semester.start, semester.end),
            )
        )
    return render_template(
        "me.html", semester=semester, recent=recent, sign_ins=sign_ins, to_local=to_local
    )

"""学期锁定 (counselor): finalize / unlock a semester's assessment; the rule is in the service."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import get_own
from data import facts
from data.db import write_transaction
from data.models import Semester
from data.services import REASON_MAX, Refused
from data.services import semesters as service
from data.timeutil import local_today
from web import client_ip, get_session, now


@bp.get("/admin/semester")
@roles_required(*COUNSELOR)
def semesters():
    db = get_session()
    rows = facts.team_semesters(db, current_user.team_id)
    today = local_today(now())
    return render_template(
        "admin/semesters.html",
        semesters=rows,
        refusals={s.id: service.finalize_refusal(s, today) for s in rows},
        history=service.lock_history(db, current_user.team_id),
        names={str(s.id): s.name for s in rows},
        reason_min=service.UNLOCK_REASON_MIN,
        reason_max=REASON_MAX,
    )


def _own_semester(semester_id: int) -> Semester:
    """The semester if it belongs to the counselor's team; 404 otherwise (no existence leak)."""
    return get_own(get_session(), Semester, semester_id, team_of=lambda s: s.team_id)


@bp.post("/admin/semester/<int:semester_id>/finalize")
@roles_required(*COUNSELOR)
def semester_finalize(semester_id: int):
    db = get_session()
    semester = _own_semester(semester_id)
    try:
        with write_transaction(db):
            done = service.finalize(db, current_user, semester, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.semesters"))
    if done:
        flash(f"已结束“{semester.name}”的考核并锁定：考勤、请假与补签不能再修改。", "success")
    else:
        flash(f"“{semester.name}”已经锁定，无需重复操作。", "warning")
    return redirect(url_for("checkin.semesters"))


@bp.post("/admin/semester/<int:semester_id>/unlock")
@roles_required(*COUNSELOR)
def semester_unlock(semester_id: int):
    db = get_session()
    semester = _own_semester(semester_id)
    reason = request.form.get("reason") or ""
    try:
        with write_transaction(db):
            done = service.unlock(db, current_user, semester, reason, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.semesters"))
    if done:
        flash(f"已解锁“{semester.name}”：修改完成后请重新锁定。", "success")
    else:
        flash(f"“{semester.name}”尚未锁定。", "warning")
    return redirect(url_for("checkin.semesters"))

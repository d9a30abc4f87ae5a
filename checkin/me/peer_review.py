"""同学互评 (第九条二): the rating form; the rules live in ``data.services.peer_review``.

No page shows who gave which score: the counselor sees only the mean and the number of ratings.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import ON_DUTY, roles_required
from checkin.common import locked_message, parse_id
from data.db import write_transaction
from data.models import Role, User
from data.services import Refused
from data.services import peer_review as service
from web import client_ip, get_session, now


def _render(values: dict[int, str] | None = None, status: int = 200):
    """The form of the open semester, with the posted ``values`` or else the rater's own scores."""
    db = get_session()
    current = service.ballot(db, db.get(User, current_user.id))
    if values is None:
        values = {subject_id: f"{e.score:g}" for subject_id, e in current.mine.items()}
    page = render_template(
        "me/peer_review.html",
        semester=current.semester,
        subjects=current.subjects,
        values=values,
        layout="admin_base.html" if current_user.role is Role.leader else "base.html",
        locked=locked_message(db, current.semester) if current.semester else None,
    )
    return page, status


@bp.get("/peer-review")
@roles_required(*ON_DUTY)
def peer_review():
    return _render()


@bp.post("/peer-review")
@roles_required(*ON_DUTY)
def peer_review_save():
    db = get_session()
    scores = {
        subject_id: text.strip()
        for key, text in request.form.items()
        if key.startswith("score-") and (subject_id := parse_id(key.removeprefix("score-")))
    }
    try:
        with write_transaction(db):
            actor = db.get(User, current_user.id)
            saved = service.save_peer_scores(db, actor, scores, at=now(), ip=client_ip())
    except service.BadScore as bad:
        flash(str(bad), "danger")
        return _render(scores, 400)
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.peer_review"))
    if not saved.changed:
        flash("评分没有变化", "info")
        return redirect(url_for("checkin.peer_review"))
    flash(f"已保存互评（已评 {saved.rated}/{saved.total} 人），期末定稿前可以修改", "success")
    return redirect(url_for("checkin.peer_review"))

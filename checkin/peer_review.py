"""同学互评 (第九条二): each assistant rates every other team member 0–10, never themselves.

Ratings are anonymous: no page shows who gave which score (the counselor sees only the mean
and the number of ratings), and the audit entry of a submission records how many ratings
changed, not the scores. Editable while the counselor keeps the assessment open and until the
semester is finalized.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from checkin.admin_assessment import assessment_open, parse_score
from checkin.common import audit, locked_message, team_semesters
from data.models import Evaluation, EvaluationKind, Role, Semester, User
from data.report import members_of
from web import get_session, now

PEER_MAX = 10
RATERS = (Role.assistant, Role.leader)  # the 团长 is an assistant too


def open_semester(db: Session) -> Semester | None:
    """The latest semester of the user's team whose assessment is open (finalized included,
    so a late submission is told the semester is locked rather than that nothing is open)."""
    for semester in team_semesters(db):
        if assessment_open(db, semester):
            return semester
    return None


def _context(db: Session) -> tuple[Semester | None, list[User], dict[int, Evaluation]]:
    semester = open_semester(db)
    if semester is None:
        return None, [], {}
    members = members_of(db, semester)
    if all(m.id != current_user.id for m in members):
        return semester, [], {}
    subjects = [m for m in members if m.id != current_user.id]
    mine = {
        e.subject_id: e
        for e in db.scalars(
            select(Evaluation).where(
                Evaluation.semester_id == semester.id,
                Evaluation.rater_id == current_user.id,
                Evaluation.kind == EvaluationKind.peer,
            )
        )
    }
    return semester, subjects, mine


@bp.get("/peer-review")
@roles_required(*RATERS)
def peer_review():
    db = get_session()
    semester, subjects, mine = _context(db)
    values = {s.id: _shown(mine.get(s.id)) for s in subjects}
    return _render(semester, subjects, values)[0]


def _shown(evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return ""
    return f"{evaluation.score:g}"


def _render(semester: Semester | None, subjects: list[User], values: dict, status: int = 200):
    layout = "admin_base.html" if current_user.role is Role.leader else "base.html"
    locked = locked_message(get_session(), semester) if semester else None
    page = render_template(
        "peer_review.html",
        semester=semester,
        subjects=subjects,
        values=values,
        layout=layout,
        locked=locked,
    )
    return page, status


@bp.post("/peer-review")
@roles_required(*RATERS)
def peer_review_save():
    db = get_session()
    semester, subjects, mine = _context(db)
    if semester is None:
        flash("目前没有进行中的同学互评", "danger")
        return redirect(url_for("checkin.peer_review"))
    if not subjects:
        flash("你不在本学期的助管名单中，不能参加互评", "danger")
        return redirect(url_for("checkin.peer_review"))
    if (message := locked_message(db, semester)) is not None:
        flash(message, "danger")
        return redirect(url_for("checkin.peer_review"))
    values = {s.id: (request.form.get(f"score-{s.id}") or "").strip() for s in subjects}
    wanted: dict[int, float | None] = {}
    for subject in subjects:
        try:
            wanted[subject.id] = (
                parse_score(values[subject.id], PEER_MAX) if values[subject.id] else None
            )
        except ValueError:
            flash(f"给 {subject.name} 的评分应为 0–10 之间的数（最多一位小数）", "danger")
            return _render(semester, subjects, values, 400)
    changed = 0
    for subject in subjects:
        row, new = mine.get(subject.id), wanted[subject.id]
        old = row.score if row else None
        if old == new:
            continue
        changed += 1
        if new is None:
            db.delete(row)
        elif row is None:
            db.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=subject.id,
                    rater_id=current_user.id,
                    kind=EvaluationKind.peer,
                    score=new,
                    created_at=now(),
                )
            )
        else:
            row.score = new
    if not changed:
        flash("评分没有变化", "info")
        return redirect(url_for("checkin.peer_review"))
    rated = sum(1 for v in wanted.values() if v is not None)
    # Counts only: the scores stay out of the audit log so the rating stays anonymous.
    audit(
        db,
        "evaluation.peer",
        "semester",
        semester.id,
        {"rated": len(mine)},
        {"rated": rated, "changed": changed},
    )
    db.commit()
    flash(f"已保存互评（已评 {rated}/{len(subjects)} 人），期末定稿前可以修改", "success")
    return redirect(url_for("checkin.peer_review"))

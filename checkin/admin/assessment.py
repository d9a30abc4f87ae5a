"""The end-of-term assessment (第九条) for the counselor.

Scores and grades always come from the engine (``data.report.build_report``); this page shows
them with their inputs (counselor evaluations; peers rate on /peer-review) and hands the
counselor's changes — scores, overrides with a written reason, publication — to
``data.services.assessment``. Peer ratings are anonymous: only their mean and count appear here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, RESULTS, roles_required
from checkin.common import (
    clean_text,
    form_semester,
    locked_message,
    parse_id,
    perform,
    pick_semester,
    team_semesters,
    xlsx_response,
)
from data.export import report_frames
from data.models import (
    GRADE_LABELS,
    Assessment,
    Evaluation,
    EvaluationKind,
    Role,
    Semester,
    User,
)
from data.report import build_report
from data.services import assessment as service
from data.services.assessment import REASON_MAX, assessment_open
from web import get_session, now

SCORE_FIELD = "counselor-"  # one form field per member: counselor-<user id>


def _back(semester: Semester, anchor: str = ""):
    return redirect(url_for("checkin.assessment", semester=semester.id) + anchor)


def _anchor(db: Session, semester: Semester) -> str:
    """Where a refused edit lands: the scores, unless the whole page is locked."""
    return "" if locked_message(db, semester) else "#scores"


def _page(db: Session, semester: Semester) -> dict[str, Any]:
    """The report with its stored results, counselor scores and anonymous peer counts."""
    stored = {
        a.user_id: a
        for a in db.scalars(select(Assessment).where(Assessment.semester_id == semester.id))
    }
    counselor = dict(
        db.execute(
            select(Evaluation.subject_id, Evaluation.score).where(
                Evaluation.semester_id == semester.id,
                Evaluation.kind == EvaluationKind.counselor,
            )
        ).all()
    )
    peer_rows = db.execute(
        select(Evaluation.subject_id, Evaluation.rater_id).where(
            Evaluation.semester_id == semester.id, Evaluation.kind == EvaluationKind.peer
        )
    ).all()
    return {
        "report": build_report(db, semester, now()),
        "stored": stored,
        "counselor": counselor,
        # Counts only: who rated whom is never shown (anonymous peer evaluation).
        "peer_counts": Counter(subject for subject, rater in peer_rows if subject != rater),
        "raters": len({rater for _, rater in peer_rows}),
        "overriders": _names(db, [a.overridden_by_id for a in stored.values()]),
        "is_open": assessment_open(db, semester),
        "locked": locked_message(db, semester),
        "published": any(a.published for a in stored.values()),
    }


@bp.get("/admin/assessment")
@roles_required(*RESULTS)
def assessment():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        context.update(_page(db, semester))
    return render_template(
        "admin/assessment.html",
        grades=GRADE_LABELS,
        can_edit=current_user.role is Role.counselor,
        **context,
    )


def _names(db: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


@bp.post("/admin/assessment/open")
@roles_required(*COUNSELOR)
def assessment_toggle():
    db = get_session()
    semester = form_semester(db)
    want_open = request.form.get("open") == "1"
    changed = perform(service.set_open, semester, want_open)
    if changed:
        flash("已开启考核，助管现在可以填写同学互评" if want_open else "已关闭同学互评", "success")
    elif changed is not None:
        flash("考核尚未开启" if not want_open else "考核已经开启", "info")
    return _back(semester)


@bp.post("/admin/assessment/counselor")
@roles_required(*COUNSELOR)
def assessment_counselor_scores():
    db = get_session()
    semester = form_semester(db)
    raw = {
        user_id: value
        for key, value in request.form.items()
        if key.startswith(SCORE_FIELD) and (user_id := parse_id(key.removeprefix(SCORE_FIELD)))
    }
    changed = perform(service.counselor_scores, semester, raw)
    if changed is None:
        return _back(semester, _anchor(db, semester))
    if changed:
        flash(f"已保存 {changed} 人的兼辅评价", "success")
    else:
        flash("兼辅评价没有变化", "info")
    return _back(semester, "#scores")


@bp.post("/admin/assessment/override")
@roles_required(*COUNSELOR)
def assessment_override():
    db = get_session()
    semester = form_semester(db)
    user_id = parse_id(request.form.get("user_id"))
    grade = clean_text(request.form.get("grade"), 20)
    reason = clean_text(request.form.get("reason"), REASON_MAX + 1)
    done = perform(service.override, semester, user_id, grade, reason)
    if done is None:
        return _back(semester, _anchor(db, semester))
    flash(f"已将 {done[0]} 的等级调整为“{done[1]}”", "success")
    return _back(semester, "#scores")


@bp.post("/admin/assessment/publish")
@roles_required(*COUNSELOR)
def assessment_publish():
    db = get_session()
    semester = form_semester(db)
    count = perform(service.publish, semester)
    if count is not None:
        flash(f"已发布 {count} 名助管的考核结果，助管可在“我的”页面查看", "success")
    return _back(semester)


@bp.get("/admin/assessment/report.xlsx")
@roles_required(*RESULTS)
def assessment_report():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        flash("还没有学期", "danger")
        return redirect(url_for("checkin.assessment"))
    frames = report_frames(build_report(db, semester, now()))
    return xlsx_response(frames, f"{semester.name}-学生助管考核报表.xlsx")

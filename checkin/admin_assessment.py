"""The end-of-term assessment (第九条) for the counselor.

Scores and grades always come from the engine (``data.report.build_report``); this page only
collects its inputs (counselor evaluations; peers rate on /peer-review), lets the counselor
override a grade with a written reason, and publishes the result as ``Assessment`` rows that
/me shows. Peer ratings are anonymous: only their mean and count appear here.

Whether peers may rate is the "open" state of the semester's assessment. It is kept as the
audit trail itself (the latest ``assessment.open``/``assessment.close`` entry), so opening is
attributed and dated without a schema change.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from checkin.common import (
    audit,
    clean_text,
    form_semester,
    locked_message,
    parse_id,
    pick_semester,
    team_semesters,
    xlsx_response,
)
from data.audit import snapshot
from data.export import report_frames
from data.models import (
    GRADE_LABELS,
    Assessment,
    AuditLog,
    Evaluation,
    EvaluationKind,
    Grade,
    Role,
    Semester,
    User,
)
from data.report import MemberReport, build_report, members_of
from web import get_session, now

READERS = (Role.counselor, Role.leadership)
OPEN_ACTIONS = ("assessment.open", "assessment.close")
REASON_MIN = 4
REASON_MAX = 500
OVERRIDE_FIELDS = ("grade", "override_grade", "override_reason", "overridden_by_id")


def assessment_open(db: Session, semester: Semester) -> bool:
    """True when the counselor has opened the semester's assessment (and not closed it)."""
    latest = db.scalar(
        select(AuditLog.action)
        .where(
            AuditLog.entity == "semester",
            AuditLog.entity_id == str(semester.id),
            AuditLog.action.in_(OPEN_ACTIONS),
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    return latest == "assessment.open"


def parse_score(raw: Any, top: float) -> float | None:
    """A score 0–top with at most one decimal; raises ValueError for anything else."""
    text = str(raw).strip().replace("，", ".")
    value = float(text)
    if not math.isfinite(value) or not 0 <= value <= top or round(value, 1) != value:
        raise ValueError(text)
    return value


def _back(semester: Semester, anchor: str = ""):
    return redirect(url_for("checkin.assessment", semester=semester.id) + anchor)


def _refused(db: Session, semester: Semester):
    message = locked_message(db, semester)
    if message:
        flash(message, "danger")
        return _back(semester)
    return None


@bp.get("/admin/assessment")
@roles_required(*READERS)
def assessment():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        report = build_report(db, semester, now())
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
        # Counts only: who rated whom is never shown (anonymous peer evaluation).
        peer_counts = Counter(subject for subject, rater in peer_rows if subject != rater)
        raters = len({rater for _, rater in peer_rows})
        overriders = _names(db, [a.overridden_by_id for a in stored.values()])
        context.update(
            report=report,
            stored=stored,
            counselor=counselor,
            peer_counts=peer_counts,
            raters=raters,
            overriders=overriders,
            is_open=assessment_open(db, semester),
            locked=locked_message(db, semester),
            published=any(a.published for a in stored.values()),
        )
    return render_template(
        "admin_assessment.html",
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
@roles_required(Role.counselor)
def assessment_toggle():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refused(db, semester)) is not None:
        return refused
    want_open = request.form.get("open") == "1"
    was_open = assessment_open(db, semester)
    if want_open == was_open:
        flash("考核已经开启" if was_open else "考核尚未开启", "info")
        return _back(semester)
    action = "assessment.open" if want_open else "assessment.close"
    audit(db, action, "semester", semester.id, {"open": was_open}, {"open": want_open})
    db.commit()
    flash("已开启考核，助管现在可以填写同学互评" if want_open else "已关闭同学互评", "success")
    return _back(semester)


@bp.post("/admin/assessment/counselor")
@roles_required(Role.counselor)
def assessment_counselor_scores():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refused(db, semester)) is not None:
        return refused
    members = members_of(db, semester)
    existing = {
        e.subject_id: e
        for e in db.scalars(
            select(Evaluation).where(
                Evaluation.semester_id == semester.id, Evaluation.kind == EvaluationKind.counselor
            )
        )
    }
    wanted: dict[int, float | None] = {}
    for member in members:
        raw = (request.form.get(f"counselor-{member.id}") or "").strip()
        try:
            wanted[member.id] = parse_score(raw, 20) if raw else None
        except ValueError:
            flash(f"{member.name} 的兼辅评价应为 0–20 之间的数（最多一位小数）：{raw}", "danger")
            return _back(semester, "#scores")
    before, after = {}, {}
    for member in members:
        row = existing.get(member.id)
        old = row.score if row else None
        new = wanted[member.id]
        if old == new:
            continue
        before[member.username], after[member.username] = old, new
        if new is None:
            db.delete(row)
        elif row is None:
            db.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=member.id,
                    rater_id=current_user.id,
                    kind=EvaluationKind.counselor,
                    score=new,
                    created_at=now(),
                )
            )
        else:
            row.score, row.rater_id = new, current_user.id
    if not after:
        flash("兼辅评价没有变化", "info")
        return _back(semester, "#scores")
    audit(db, "evaluation.counselor", "semester", semester.id, before, after)
    db.commit()
    flash(f"已保存 {len(after)} 人的兼辅评价", "success")
    return _back(semester, "#scores")


def _member_report(db: Session, semester: Semester, user_id: int | None) -> MemberReport | None:
    if user_id is None:
        return None
    report = build_report(db, semester, now())
    return next((m for m in report.members if m.user_id == user_id), None)


def _new_assessment(semester: Semester, member: MemberReport) -> Assessment:
    row = Assessment(semester_id=semester.id, user_id=member.user_id)
    _fill(row, member)
    return row


def _fill(row: Assessment, member: MemberReport) -> None:
    """The engine's parts, total, grade and reasons (the override stays as it is)."""
    result = member.assessment
    row.attendance_score = result.attendance
    row.records_score = result.records
    row.meetings_score = result.meetings
    row.counselor_score = result.counselor
    row.peer_score = result.peer
    row.total = result.total
    row.grade = Grade(result.grade)
    row.reasons = "；".join(result.reasons)
    row.computed_at = now()


@bp.post("/admin/assessment/override")
@roles_required(Role.counselor)
def assessment_override():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refused(db, semester)) is not None:
        return refused
    member = _member_report(db, semester, parse_id(request.form.get("user_id")))
    raw_grade = request.form.get("grade", "")
    reason = clean_text(request.form.get("reason"), REASON_MAX + 1)
    error = None
    if member is None:
        error = "请选择本学期在岗的助管"
    elif raw_grade and raw_grade not in Grade.__members__:
        error = "请选择等级"
    elif len(reason) < REASON_MIN:
        error = f"调整等级必须填写理由（至少 {REASON_MIN} 个字）"
    elif len(reason) > REASON_MAX:
        error = f"理由不能超过 {REASON_MAX} 个字"
    if error:
        flash(error, "danger")
        return _back(semester, "#scores")
    row = db.scalar(
        select(Assessment).where(
            Assessment.semester_id == semester.id, Assessment.user_id == member.user_id
        )
    )
    before = snapshot(row, OVERRIDE_FIELDS) if row else None
    if row is None:
        row = _new_assessment(semester, member)
        db.add(row)
    row.override_grade = Grade(raw_grade) if raw_grade else None
    row.override_reason = reason
    row.overridden_by_id = current_user.id
    db.flush()
    audit(db, "assessment.override", "assessment", row.id, before, snapshot(row, OVERRIDE_FIELDS))
    db.commit()
    label = GRADE_LABELS[Grade(raw_grade)] if raw_grade else "按计算结果"
    flash(f"已将 {member.name} 的等级调整为“{label}”", "success")
    return _back(semester, "#scores")


@bp.post("/admin/assessment/publish")
@roles_required(Role.counselor)
def assessment_publish():
    db = get_session()
    semester = form_semester(db)
    if (refused := _refused(db, semester)) is not None:
        return refused
    # Published grades are final: a missing evaluation counts 0 instead of being scaled out.
    report = build_report(db, semester, now(), estimate=False)
    if not report.assessed:
        flash(f"学期尚未结束（{semester.end} 结束），期末才能发布考核结果", "danger")
        return _back(semester)
    if not report.members:
        flash("本学期没有在岗的助管", "danger")
        return _back(semester)
    stored = {
        a.user_id: a
        for a in db.scalars(select(Assessment).where(Assessment.semester_id == semester.id))
    }
    fields = ("total", "grade", "override_grade", "published")
    before, after = {}, {}
    for member in report.members:
        row = stored.get(member.user_id)
        if row is not None:
            before[member.username] = snapshot(row, fields)
            _fill(row, member)
        else:
            row = _new_assessment(semester, member)
            db.add(row)
        row.published = True
        after[member.username] = snapshot(row, fields)
    audit(db, "assessment.publish", "semester", semester.id, before, after)
    db.commit()
    flash(f"已发布 {len(after)} 名助管的考核结果，助管可在“我的”页面查看", "success")
    return _back(semester)


@bp.get("/admin/assessment/report.xlsx")
@roles_required(*READERS)
def assessment_report():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        flash("还没有学期", "danger")
        return redirect(url_for("checkin.assessment"))
    frames = report_frames(build_report(db, semester, now()))
    return xlsx_response(frames, f"{semester.name}-学生助管考核报表.xlsx")

"""The end-of-term assessment (第九条): peer rating open/closed, counselor scores, grade
overrides with a written reason, and publication as ``Assessment`` rows.

Scores and grades always come from the engine (``data.report.build_report``); this module only
stores its inputs and its published result. Whether peers may rate is the "open" state of the
semester's assessment, kept as the audit trail itself (the latest ``assessment.open``/
``assessment.close`` entry), so opening is attributed and dated without a schema change.
Every write is refused while the semester is finalized (locked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.inputs import as_text, clean_text, parse_float, shorten
from data.models import (
    GRADE_LABELS,
    Assessment,
    AuditLog,
    Evaluation,
    EvaluationKind,
    Grade,
    Semester,
    User,
)
from data.report import MemberReport, build_report, members_of
from data.services import Refused, audit
from data.services.semesters import ensure_unlocked

OPEN_ACTIONS = ("assessment.open", "assessment.close")
REASON_MIN = 4
REASON_MAX = 500
COUNSELOR_MAX = 20
OVERRIDE_FIELDS = ("grade", "override_grade", "override_reason", "overridden_by_id")
PUBLISH_FIELDS = ("total", "grade", "override_grade", "published")


def assessment_open(session: Session, semester: Semester) -> bool:
    """True when the counselor has opened the semester's assessment (and not closed it)."""
    latest = session.scalar(
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
    value = parse_float(as_text(raw).strip().replace("，", "."), 0, top)
    if value is None or round(value, 1) != value:
        raise ValueError("not a score")
    return value


def set_open(
    session: Session,
    actor: User,
    semester: Semester,
    want_open: bool,
    *,
    at: datetime,
    ip: str = "",
) -> bool:
    """Open or close peer rating; False when it already was in that state (nothing written)."""
    ensure_unlocked(session, semester.team_id, semester.start)
    was_open = assessment_open(session, semester)
    if want_open == was_open:
        return False
    action = "assessment.open" if want_open else "assessment.close"
    before, after = {"open": was_open}, {"open": want_open}
    audit(session, actor, action, "semester", semester.id, before, after, at=at, ip=ip)
    return True


def counselor_scores(
    session: Session,
    actor: User,
    semester: Semester,
    raw: dict[int, str],
    *,
    at: datetime,
    ip: str = "",
) -> int:
    """Store the counselor's 0–20 scores (user id → text; blank removes); returns how many changed."""
    ensure_unlocked(session, semester.team_id, semester.start)
    members = members_of(session, semester)
    wanted: dict[int, float | None] = {}
    for member in members:
        text = as_text(raw.get(member.id)).strip()
        try:
            wanted[member.id] = parse_score(text, COUNSELOR_MAX) if text else None
        except ValueError:
            raise Refused(
                f"{member.name} 的兼辅评价应为 0–20 之间的数（最多一位小数）：{shorten(text, 20)}"
            ) from None
    existing = {
        e.subject_id: e
        for e in session.scalars(
            select(Evaluation).where(
                Evaluation.semester_id == semester.id, Evaluation.kind == EvaluationKind.counselor
            )
        )
    }
    before, after = {}, {}
    for member in members:
        row = existing.get(member.id)
        old, new = (row.score if row else None), wanted[member.id]
        if old == new:
            continue
        before[member.username], after[member.username] = old, new
        if new is None:
            session.delete(row)
        elif row is None:
            session.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=member.id,
                    rater_id=actor.id,
                    kind=EvaluationKind.counselor,
                    score=new,
                    created_at=at,
                )
            )
        else:
            row.score, row.rater_id = new, actor.id
    if after:
        audit(
            session,
            actor,
            "evaluation.counselor",
            "semester",
            semester.id,
            before,
            after,
            at=at,
            ip=ip,
        )
    return len(after)


def _fill(row: Assessment, member: MemberReport, at: datetime) -> None:
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
    row.computed_at = at


def _new_assessment(semester: Semester, member: MemberReport, at: datetime) -> Assessment:
    row = Assessment(semester_id=semester.id, user_id=member.user_id)
    _fill(row, member, at)
    return row


def override(
    session: Session,
    actor: User,
    semester: Semester,
    user_id: int | None,
    grade: str,
    reason: Any,
    *,
    at: datetime,
    ip: str = "",
) -> tuple[str, str]:
    """Override one member's grade ('' = back to the computed one) with a written reason.

    Returns (the member's name, the grade's label)."""
    ensure_unlocked(session, semester.team_id, semester.start)
    report = build_report(session, semester, at) if user_id is not None else None
    member = next((m for m in report.members if m.user_id == user_id), None) if report else None
    if member is None:
        raise Refused("请选择本学期在岗的助管")
    if grade and grade not in Grade.__members__:
        raise Refused("请选择等级")
    reason = clean_text(reason, REASON_MAX + 1)  # one more: too long is refused, not cut
    if len(reason) < REASON_MIN:
        raise Refused(f"调整等级必须填写理由（至少 {REASON_MIN} 个字）")
    if len(reason) > REASON_MAX:
        raise Refused(f"理由不能超过 {REASON_MAX} 个字")
    row = session.scalar(
        select(Assessment).where(
            Assessment.semester_id == semester.id, Assessment.user_id == member.user_id
        )
    )
    before = snapshot(row, OVERRIDE_FIELDS) if row else None
    if row is None:
        row = _new_assessment(semester, member, at)
        session.add(row)
    row.override_grade = Grade(grade) if grade else None
    row.override_reason = reason
    row.overridden_by_id = actor.id
    session.flush()
    after = snapshot(row, OVERRIDE_FIELDS)
    audit(session, actor, "assessment.override", "assessment", row.id, before, after, at=at, ip=ip)
    return member.name, GRADE_LABELS[Grade(grade)] if grade else "按计算结果"


def publish(
    session: Session, actor: User, semester: Semester, *, at: datetime, ip: str = ""
) -> int:
    """Store the engine's final grades as published ``Assessment`` rows; returns how many."""
    ensure_unlocked(session, semester.team_id, semester.start)
    # Published grades are final: a missing evaluation counts 0 instead of being scaled out.
    report = build_report(session, semester, at, estimate=False)
    if not report.assessed:
        raise Refused(f"学期尚未结束（{semester.end} 结束），期末才能发布考核结果")
    if not report.members:
        raise Refused("本学期没有在岗的助管")
    stored = {
        a.user_id: a
        for a in session.scalars(select(Assessment).where(Assessment.semester_id == semester.id))
    }
    before, after = {}, {}
    for member in report.members:
        row = stored.get(member.user_id)
        if row is not None:
            before[member.username] = snapshot(row, PUBLISH_FIELDS)
            _fill(row, member, at)
        else:
            row = _new_assessment(semester, member, at)
            session.add(row)
        row.published = True
        after[member.username] = snapshot(row, PUBLISH_FIELDS)
    audit(
        session, actor, "assessment.publish", "semester", semester.id, before, after, at=at, ip=ip
    )
    return len(after)

"""考核 inputs: stored overrides and publication, grade counts, the grades of every semester."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.tables.semesters import started_semesters
from data.export import StoredAssessment
from data.models import GRADE_LABELS, Assessment, Grade, Semester
from data.report import SemesterReport, grade_label
from data.report_cache import cached_report
from data.timeutil import local_today

GRADES = (Grade.excellent.value, Grade.qualified.value, Grade.unqualified.value)
ESTIMATE_NOTE = "学期尚未结束，以下为截至目前的预估"
UNPUBLISHED_NOTE = "考核结果尚未发布，以下为预估"


def estimate_note(report: SemesterReport) -> str:
    """Why the grades on a page are 预估: the term still runs, or it ended unpublished."""
    return UNPUBLISHED_NOTE if report.assessed else ESTIMATE_NOTE


def risk_count_text(report: SemesterReport) -> str:
    """Before publication meetings see how many are at risk, never who (SPEC §3 Assessment)."""
    failing = sum(1 for m in report.members if m.final_grade == Grade.unqualified)
    return f"不合格风险 {failing} 人" if failing else "没有不合格风险的助管"


def stored_assessments(session: Session, semester_id: int) -> dict[int, StoredAssessment]:
    """Stored Assessment rows of one semester by user id, in one query."""
    rows = session.execute(
        select(
            Assessment.user_id,
            Assessment.grade,
            Assessment.override_grade,
            Assessment.override_reason,
            Assessment.published,
        ).where(Assessment.semester_id == semester_id)
    ).all()
    return {
        uid: StoredAssessment(
            str(grade), str(override) if override else None, reason or "", published
        )
        for uid, grade, override, reason, published in rows
    }


def grade_counts(report: SemesterReport) -> dict[str, int]:
    """Final grades (override included) of the semester, keyed by the Chinese label, in order."""
    counts = Counter(m.final_grade for m in report.members)
    return {grade_label(g): counts[g] for g in GRADES}


def unqualified_reasons(report: SemesterReport, stored: dict[int, StoredAssessment]) -> list[str]:
    """Why each 不合格 member is 不合格: the engine's reasons, or the override's written reason."""
    out = []
    for m in report.members:
        if m.final_grade != Grade.unqualified:
            continue
        override = stored.get(m.user_id)
        if override and override.override_grade and m.assessment.grade != Grade.unqualified:
            out.append(f"兼辅改判：{override.override_reason or '（未填写说明）'}")
        else:
            out.append("；".join(m.assessment.reasons) or "—")
    return out


def published_grades(session: Session, semester_ids: list[int]) -> dict[int, dict[str, int]]:
    """Published final grades per semester, as Chinese label → count."""
    final = func.coalesce(Assessment.override_grade, Assessment.grade)
    grades: dict[int, dict[str, int]] = {}
    for sid, grade, count in session.execute(
        select(Assessment.semester_id, final, func.count(Assessment.id))
        .where(Assessment.semester_id.in_(semester_ids), Assessment.published.is_(True))
        .group_by(Assessment.semester_id, final)
    ):
        grades.setdefault(sid, {label: 0 for label in GRADE_LABELS.values()})
        grades[sid][GRADE_LABELS[Grade(str(grade))]] += count
    return grades


def grade_history(
    session: Session, semester: Semester, report: SemesterReport | None, now: datetime
) -> pd.DataFrame:
    """Final-grade counts per semester of the team: columns semester, grade, count, estimate.

    Finalized semesters read their stored Assessment rows (one grouped query for all of them);
    the others run the engine, reusing ``report`` for the chosen semester.
    """
    today = local_today(now)
    semesters = started_semesters(session, semester.team_id, today)
    if semester.id not in {s.id for s in semesters}:
        semesters.append(semester)
    published = published_grades(session, [s.id for s in semesters])
    rows = []
    for s in semesters:
        # A past semester's published results are what was reported (第九条一); reading them
        # is far cheaper than re-running the engine over every semester.
        if s.id in published and (s.finalized_at is not None or s.end < today):
            counts, estimate = published[s.id], False
        else:
            mine = report is not None and s.id == report.semester.id
            r = report if mine else cached_report(session, s, now)
            counts, estimate = grade_counts(r), r.estimate
        label = s.name + ("（预估）" if estimate else "")
        rows += [(label, grade_label(g), counts.get(grade_label(g), 0), estimate) for g in GRADES]
    return pd.DataFrame(rows, columns=["semester", "grade", "count", "estimate"])

"""A finished semester summarised once: per (person, teaching week, month) counts and grades.

Finalize (and relock, and ``flask summarize``) stores what ``build_report`` says, grouped by
``summarize`` — the read model's one definition of every count — plus the team's running
totals through each week, added up from those rows by ``figures_of``. 学期对比 reads one
running-total row per past semester instead of re-running the engine. Unlock deletes them all:
a semester that can change again has no summary, and 学期对比 computes it (``figures_of`` over
a fresh report, so the numbers are the same).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from data.models import (
    Grade,
    Semester,
    SemesterMemberSummary,
    SemesterSummary,
    SemesterWeekTotal,
)
from data.policy.classify import summarize
from data.policy.stipend import hours_of
from data.policy.types import AttendanceSummary, DutyOutcome
from data.report import SemesterReport, build_report
from data.timeutil import local_to_utc

COUNTS = tuple(f.name for f in fields(AttendanceSummary))


def semester_week(start: date, day: date) -> int:
    """The week of the semester ``day`` falls in: week 1 is the Monday–Sunday holding ``start``."""
    return (day - (start - timedelta(days=start.weekday()))).days // 7 + 1


def week_end(start: date, end: date, week: int) -> date:
    """The Sunday ending week ``week`` of a semester, or its last day if it is shorter."""
    monday = start - timedelta(days=start.weekday())
    return min(monday + timedelta(days=7 * week - 1), end)


@dataclass(frozen=True)
class WeekRow:
    """One person's counts over the duties of one teaching week in one calendar month."""

    user_id: int
    week: int
    month: str  # YYYY-MM
    counts: AttendanceSummary


@dataclass(frozen=True)
class Figures:
    """What 学期对比 reads of a semester (up to a week): totals, 工时, members and grades."""

    total: AttendanceSummary  # every outcome of the team, members or not (like report.total())
    hours: float  # members' 工时 as build_report adds it: each month rounded (hours_of)
    assistants: int
    grades: dict[str, int]  # final grade value → members with it
    estimate: bool  # the grades are 预估


def week_rows(semester: Semester, outcomes: Iterable[DutyOutcome]) -> list[WeekRow]:
    """The outcomes grouped per (person, week, month), each group counted by ``summarize``."""
    groups: dict[tuple[int, int, str], list[DutyOutcome]] = defaultdict(list)
    for outcome in outcomes:
        day = outcome.duty.day
        key = (outcome.duty.user_id, semester_week(semester.start, day), day.strftime("%Y-%m"))
        groups[key].append(outcome)
    return [WeekRow(u, w, m, summarize(items)) for (u, w, m), items in sorted(groups.items())]


def add_counts(summaries: Iterable[AttendanceSummary]) -> AttendanceSummary:
    """Field-wise sum: ``summarize`` counts each outcome once, so counts of groups add up."""
    totals = dict.fromkeys(COUNTS, 0)
    for summary in summaries:
        for name in COUNTS:
            totals[name] += getattr(summary, name)
    return AttendanceSummary(**totals)


def figures_of(
    rows: list[WeekRow], grades: dict[int, str], estimate: bool, week: int | None = None
) -> Figures:
    """The figures of ``rows`` up to ``week`` (None = the whole term); ``grades`` per member."""
    kept = [r for r in rows if week is None or r.week <= week]
    minutes: dict[int, Counter] = {u: Counter() for u in grades}
    for row in kept:
        if row.user_id in grades:
            minutes[row.user_id][row.month] += row.counts.credited_minutes
    # Like MemberReport.hours: a member's months rounded and added, then the members added.
    per_member = (float(sum(map(hours_of, m.values()), 0)) for m in minutes.values())
    counts = Counter(grades.values())
    return Figures(
        total=add_counts(r.counts for r in kept),
        hours=round(sum(per_member), 2),
        assistants=len(grades),
        grades={g.value: counts[g.value] for g in Grade},
        estimate=estimate,
    )


def report_rows(report: SemesterReport) -> tuple[list[WeekRow], dict[int, str]]:
    """A report's week rows and its members' final grades: exactly what gets stored."""
    grades = {m.user_id: m.final_grade for m in report.members}
    return week_rows(report.semester, report.attendance.outcomes), grades


def delete_summaries(session: Session, semester: Semester) -> None:
    """Remove the semester's stored summary (unlock: it may change again)."""
    for model in (SemesterSummary, SemesterMemberSummary, SemesterWeekTotal):
        session.execute(delete(model).where(model.semester_id == semester.id))


def store_summaries(session: Session, semester: Semester, now: datetime) -> int:
    """(Re)write the semester's summary from ``build_report`` as of ``now``; the member count."""
    delete_summaries(session, semester)
    # Finalize may run minutes after the last duty: judge every duty as settled (its sign-out
    # window, at most a day, is over), as 学期对比 would later, not as still under way.
    settled = local_to_utc(semester.end + timedelta(days=2), time(0))
    report = build_report(session, semester, max(now, settled))
    rows, grades = report_rows(report)
    if rows:
        session.execute(
            insert(SemesterSummary),
            [
                dict(semester_id=semester.id, user_id=r.user_id, week=r.week, month=r.month)
                | {name: getattr(r.counts, name) for name in COUNTS}
                for r in rows
            ],
        )
    if grades:
        session.execute(
            insert(SemesterMemberSummary),
            [
                dict(semester_id=semester.id, user_id=u, grade=g, estimate=report.estimate)
                for u, g in grades.items()
            ],
        )
    last = semester_week(semester.start, semester.end)
    totals = []
    for week in range(1, last + 1):
        figures = figures_of(rows, grades, report.estimate, week)
        counts = {name: getattr(figures.total, name) for name in COUNTS}
        totals.append(dict(semester_id=semester.id, week=week, hours=figures.hours) | counts)
    session.execute(insert(SemesterWeekTotal), totals)
    return len(grades)


def stored_figures(
    session: Session, semester_ids: list[int], week: int | None = None
) -> dict[int, Figures]:
    """Stored figures of those semesters that have a summary, through ``week`` (None = all)."""
    if not semester_ids:
        return {}
    total = SemesterWeekTotal
    upto = select(total.semester_id, func.max(total.week).label("week")).where(
        total.semester_id.in_(semester_ids)
    )
    if week is not None:
        upto = upto.where(total.week <= week)
    upto = upto.group_by(total.semester_id).subquery()
    rows = session.execute(
        select(total.semester_id, total.hours, *[getattr(total, n) for n in COUNTS]).join(
            upto, (total.semester_id == upto.c.semester_id) & (total.week == upto.c.week)
        )
    ).all()
    if not rows:
        return {}
    grades: dict[int, Counter] = defaultdict(Counter)
    estimates: dict[int, bool] = {}
    member = SemesterMemberSummary
    for sid, grade, estimate, count in session.execute(
        select(member.semester_id, member.grade, member.estimate, func.count(member.id))
        .where(member.semester_id.in_([r[0] for r in rows]))
        .group_by(member.semester_id, member.grade, member.estimate)
    ):
        grades[sid][Grade(grade).value] += count
        estimates[sid] = estimate
    return {
        sid: Figures(
            total=AttendanceSummary(*counts),
            hours=hours,
            assistants=sum(grades[sid].values()),
            grades={g.value: grades[sid][g.value] for g in Grade},
            estimate=estimates.get(sid, True),
        )
        for sid, hours, *counts in rows
    }

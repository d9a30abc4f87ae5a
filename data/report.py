"""The semester's numbers per assistant, built once from the policy engine.

``build_report`` is what the dashboard pages and ``export-report`` both read, so a number in the
workbook is the number on the screen.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.attendance import SemesterAttendance, semester_attendance, service_windows
from data.facts import after_start_requests, members_of, weekly_summary_weeks
from data.models import (
    GRADE_LABELS,
    Assessment,
    AuditLog,
    Commendation,
    CourseFailure,
    Evaluation,
    EvaluationKind,
    Grade,
    Meeting,
    MeetingAttendance,
    Presence,
    Semester,
    Violation,
    WorkRecord,
)
from data.policy.assessment import AssessmentInput, AssessmentResult, apply_excellent_quota, assess
from data.policy.classify import summarize
from data.policy.lifecycle import MeetingProgress, meeting_progress
from data.policy.settings import PolicySettings, SettingsHistory
from data.policy.stipend import StipendResult, compute_stipend
from data.policy.tasks import TaskCounts, counts_by_user
from data.policy.types import EXTRA, AttendanceSummary, DutyOutcome
from data.policy.warnings import WarningResult, assess_warnings
from data.tasks import task_rows
from data.timeutil import LOCAL_TZ, local_today

WORKED = {"normal", "late", "early", "late_early", "missed_sign_out", EXTRA}


@dataclass(frozen=True)
class MemberReport:
    user_id: int
    username: str
    name: str
    attendance: AttendanceSummary
    records: int
    record_rate: float  # worked duties with a work record / worked duties
    weekly_summaries: int
    weeks_without_summary: int
    warning: WarningResult
    assessment: AssessmentResult
    final_grade: str  # the counselor's override when there is one
    stipend: StipendResult
    estimate: bool = False  # 预估: grade and stipend are not published yet
    # Set by data.monthly.window_report: the hours of the window's months or days only.
    window_hours: float | None = None
    tasks: TaskCounts = TaskCounts()  # 交办任务 (data.policy.tasks.task_counts)

    @property
    def hours(self) -> float:
        """工时(小时): the sum of the months' hours, each rounded to 0.01 h (``hours_of``)."""
        if self.window_hours is not None:
            return self.window_hours
        return float(sum(credited for credited, _ in self.stipend.monthly.values()))


@dataclass(frozen=True)
class MeetingRow:
    held_on: date
    topic: str
    present: int
    excused: int
    absent: int
    has_minutes: bool


@dataclass(frozen=True)
class SemesterReport:
    semester: Semester
    as_of: datetime
    members: list[MemberReport]
    meetings: list[MeetingRow]
    meeting_progress: MeetingProgress
    attendance: SemesterAttendance
    # Not published as of ``as_of``: every grade is 预估 (SPEC §3 Assessment).
    estimate: bool = True

    @property
    def assessed(self) -> bool:
        """The term is over, so the assessment may be published (第九条一: 每学期末考核)."""
        return local_today(self.as_of) > self.semester.end

    def grade_text(self, member: MemberReport) -> str:
        """The member's grade label, with （预估） until the assessment is published."""
        return grade_label(member.final_grade) + ("（预估）" if self.estimate else "")


def _completed_weeks(
    semester: Semester, today: date, window: tuple[date, date] | None = None
) -> list[date]:
    """Mondays of the semester's weeks that ended before today (and meet ``window``, if given)."""
    monday = semester.start - timedelta(days=semester.start.weekday())
    weeks = []
    while monday + timedelta(days=6) < min(today, semester.end + timedelta(days=1)):
        if window is None or (window[0] <= monday + timedelta(days=6) and monday <= window[1]):
            weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def summary_weeks(
    session: Session, semester: Semester, today: date, user_ids: set[int]
) -> dict[int, list[date]]:
    """Per person, the completed weeks that need a 周总结: only weeks while in post (SPEC §3).

    A week counts when any of its days falls between the trial/appointment date and the
    leaving date; someone without an appointment row is taken as in post all semester.
    """
    windows = service_windows(session, semester, user_ids)
    whole = (semester.start, semester.end)
    weeks: dict[tuple[date, date], list[date]] = {}  # most people share one window
    for user_id in user_ids:
        window = windows.get(user_id, whole)
        if window not in weeks:
            weeks[window] = _completed_weeks(semester, today, window)
    return {u: weeks[windows.get(u, whole)] for u in user_ids}


@dataclass(frozen=True)
class MemberFacts:
    """What the warnings need besides attendance (第六条四、六, 第七条一)."""

    weekly_written: int = 0  # completed weeks in post with a 周总结
    weeks_missing: int = 0  # completed weeks in post without one
    after_start_leaves: int = 0  # 先斩后奏: len(after_start_requests) for the person
    meetings_present: int = 0
    meetings_absent: int = 0  # unexcused (例会旷到)
    tasks: TaskCounts = TaskCounts()  # 交办任务 as of the moment asked (task_counts)


def member_facts(
    session: Session,
    semester: Semester,
    today: date,
    user_ids: set[int] | None = None,
    now: datetime | None = None,
) -> dict[int, MemberFacts]:
    """Per-user facts for warnings and assessment; one query each, optionally for some users.

    ``now`` judges task deadlines; without it, the end of ``today`` (college time).
    """

    def only(query, column):
        return query if user_ids is None else query.where(column.in_(user_ids))

    weekly = weekly_summary_weeks(session, semester, user_ids)
    after_start = Counter(r.user_id for r in after_start_requests(session, semester, user_ids))
    query = (
        select(MeetingAttendance.user_id, MeetingAttendance.status)
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(Meeting.semester_id == semester.id, Meeting.held_on <= today)
    )
    presence: dict[int, Counter] = defaultdict(Counter)
    for user_id, status in session.execute(only(query, MeetingAttendance.user_id)):
        presence[user_id][status] += 1
    moment = now or datetime.combine(today, time.max, tzinfo=LOCAL_TZ)
    tasks = counts_by_user(task_rows(session, semester, user_ids), moment)
    ids = user_ids if user_ids is not None else set(weekly) | set(after_start) | set(presence)
    ids = ids if user_ids is not None else set(ids) | set(tasks)
    due = summary_weeks(session, semester, today, set(ids))
    return {
        user_id: MemberFacts(
            weekly_written=sum(1 for w in due[user_id] if w in weekly[user_id]),
            weeks_missing=sum(1 for w in due[user_id] if w not in weekly[user_id]),
            after_start_leaves=after_start[user_id],
            meetings_present=presence[user_id][Presence.present],
            meetings_absent=presence[user_id][Presence.absent],
            tasks=tasks.get(user_id, TaskCounts()),
        )
        for user_id in ids
    }


def member_warning(
    summary: AttendanceSummary, facts: MemberFacts, settings: PolicySettings
) -> WarningResult:
    return assess_warnings(
        summary,
        weeks_without_summary=facts.weeks_missing,
        after_start_leaves=facts.after_start_leaves,
        unexcused_meeting_absences=facts.meetings_absent,
        overdue_tasks=facts.tasks.overdue,
        sent_back_tasks=facts.tasks.sent_back,
        settings=settings,
    )


def published_at(session: Session, semester: Semester) -> datetime | None:
    """When the semester's assessment was first published (aware UTC), or None.

    The publish audit entry dates it; rows published without one (the demo, older data) are
    dated by their computation time.
    """
    first = session.scalar(
        select(func.min(AuditLog.at)).where(
            AuditLog.entity == "semester",
            AuditLog.entity_id == str(semester.id),
            AuditLog.action == "assessment.publish",
        )
    )
    if first is None:
        first = session.scalar(
            select(func.min(Assessment.computed_at)).where(
                Assessment.semester_id == semester.id, Assessment.published.is_(True)
            )
        )
    if first is None:
        return None
    return first.replace(tzinfo=UTC) if first.tzinfo is None else first


def is_estimate(session: Session, semester: Semester, now: datetime) -> bool:
    """True unless the assessment was published by ``now`` (``--as-of`` reads the past)."""
    moment = published_at(session, semester)
    if moment is None:
        return True
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    return moment > now


def build_report(
    session: Session,
    semester: Semester,
    now: datetime,
    *,
    estimate: bool | None = None,
    settings: SettingsHistory | None = None,
) -> SemesterReport:
    """The semester as of ``now``; ``estimate`` None means: 预估 unless published by then.

    Publishing passes ``estimate=False``: the published grade counts missing evaluations as 0.
    ``settings`` replaces the stored settings (the settings page previews a change with it).
    """
    today = local_today(now)
    if estimate is None:
        estimate = is_estimate(session, semester, now)
    members = members_of(session, semester)
    attendance = semester_attendance(session, semester, now, settings=settings)
    settings = attendance.settings
    outcomes = attendance.by_user()

    record = WorkRecord.__table__.c  # table columns: thousands of rows skip the ORM's loading
    record_keys = set(
        session.connection()
        .execute(
            select(record.user_id, record.duty_date, record.shift_id).where(
                record.duty_date.between(semester.start, semester.end)
            )
        )
        .all()
    )
    facts = member_facts(session, semester, today, {m.id for m in members}, now)
    meetings = session.scalars(
        select(Meeting).where(Meeting.semester_id == semester.id).order_by(Meeting.held_on)
    ).all()
    meeting_rows = []
    for meeting in meetings:
        counts = Counter(a.status for a in meeting.attendance)
        meeting_rows.append(
            MeetingRow(
                meeting.held_on,
                meeting.topic,
                counts[Presence.present],
                counts[Presence.excused],
                counts[Presence.absent],
                bool(meeting.minutes.strip()),
            )
        )
    held_meetings = [m for m in meetings if m.held_on <= today]

    failures = _count_by_user(session, CourseFailure, semester.id)
    violations = _count_by_user(session, Violation, semester.id)
    bonuses: Counter = Counter()  # 嘉奖: its bonus goes to the stipend, its reason to the reasons
    praised: dict[int, list[str]] = defaultdict(list)
    for uid, reason, bonus in session.execute(
        select(Commendation.user_id, Commendation.reason, Commendation.bonus)
        .where(Commendation.semester_id == semester.id)
        .order_by(Commendation.on, Commendation.id)
    ):
        bonuses[uid] += bonus
        praised[uid].append(reason)
    counselor_scores, peer_scores = _evaluations(session, semester.id)
    overrides = dict(
        session.execute(
            select(Assessment.user_id, Assessment.override_grade).where(
                Assessment.semester_id == semester.id, Assessment.override_grade.is_not(None)
            )
        ).all()
    )

    months: dict[date, str] = {}  # day → "YYYY-MM": strftime per duty was a tenth of the build
    partial: dict[int, dict] = {}
    results: dict[int, AssessmentResult] = {}
    for member in members:
        items = outcomes.get(member.id, [])
        summary = summarize(items)
        worked = [o for o in items if o.status in WORKED]
        with_record = sum(1 for o in worked if _has_record(o, record_keys))
        record_rate = with_record / len(worked) if worked else 0.0
        fact = facts[member.id]
        warning = member_warning(summary, fact, settings)
        results[member.id] = assess(
            AssessmentInput(
                late=summary.late,
                absent=summary.absent,
                missed_sign_out=summary.missed_sign_out,
                early=summary.early,
                record_compliance=record_rate,
                meetings_total=len(held_meetings),
                meetings_attended=fact.meetings_present,
                unexcused_meeting_absences=fact.meetings_absent,
                counselor_score=counselor_scores.get(member.id),
                peer_scores=peer_scores.get(member.id, []),
                course_failures=failures[member.id],
                violations=violations[member.id],
                estimate=estimate,
                commendations=tuple(praised[member.id]),
                overdue_tasks=fact.tasks.overdue,
                task_line=task_evidence(fact.tasks, settings),
            ),
            settings,
        )
        partial[member.id] = dict(
            summary=summary,
            records=with_record,
            record_rate=record_rate,
            weekly=fact.weekly_written,
            missing=fact.weeks_missing,
            warning=warning,
            items=items,
            tasks=fact.tasks,
        )
    results = apply_excellent_quota(results, settings)

    reports = []
    for member in members:
        p = partial[member.id]
        result = results[member.id]
        grade = overrides.get(member.id)
        final = grade.value if grade else result.grade
        by_month: Counter = Counter()
        for o in p["items"]:
            by_month[_month_of(o.duty.day, months)] += o.credited_minutes
        stipend = compute_stipend(
            dict(by_month), final, Decimal(bonuses.get(member.id) or 0), settings
        )
        reports.append(
            MemberReport(
                user_id=member.id,
                username=member.username,
                name=member.name,
                attendance=p["summary"],
                records=p["records"],
                record_rate=p["record_rate"],
                weekly_summaries=p["weekly"],
                weeks_without_summary=p["missing"],
                warning=p["warning"],
                assessment=result,
                final_grade=final,
                stipend=stipend,
                estimate=estimate,
                tasks=p["tasks"],
            )
        )
    progress = meeting_progress(
        [(m.held_on, bool(m.minutes.strip())) for m in meetings], settings, today, semester.end
    )
    return SemesterReport(semester, now, reports, meeting_rows, progress, attendance, estimate)


def _month_of(day: date, months: dict[date, str]) -> str:
    month = months.get(day)
    if month is None:
        month = months[day] = day.strftime("%Y-%m")
    return month


def task_evidence(counts: TaskCounts, settings: PolicySettings) -> str:
    """The assessment's evidence line for 交办任务; empty when no task was given."""
    if not counts.given:
        return ""
    points = settings.overdue_task_deduction * counts.overdue
    return counts.line() + (f"（工作记录分扣 {points:g} 分）" if points else "")


def _has_record(outcome: DutyOutcome, record_keys: set) -> bool:
    return (outcome.duty.user_id, outcome.duty.day, outcome.duty.shift_id) in record_keys


def _count_by_user(session: Session, model, semester_id: int) -> Counter:
    return Counter(
        dict(
            session.execute(
                select(model.user_id, func.count(model.id))
                .where(model.semester_id == semester_id)
                .group_by(model.user_id)
            ).all()
        )
    )


def _evaluations(session: Session, semester_id: int) -> tuple[dict[int, float], dict[int, list]]:
    counselor: dict[int, float] = {}
    peers: dict[int, list[float]] = defaultdict(list)
    for subject, rater, kind, score in session.execute(
        select(Evaluation.subject_id, Evaluation.rater_id, Evaluation.kind, Evaluation.score).where(
            Evaluation.semester_id == semester_id
        )
    ):
        if kind is EvaluationKind.counselor:
            counselor[subject] = score
        elif rater != subject:  # peers never rate themselves (第九条二)
            peers[subject].append(score)
    return counselor, peers


def grade_label(grade: str) -> str:
    return GRADE_LABELS[Grade(grade)]

"""What the reminder triggers need, read through the read model and turned into plain values.

Attendance comes from ``data.attendance.semester_attendance`` (the one classification),
lates from ``counts_late``/``summarize``, 先斩后奏 and 周总结 from ``data.facts``, so a reminder
says what /me and the dashboard say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.attendance import (
    current_semester,
    duties_on,
    makeup_days,
    semester_attendance,
    service_windows,
    team_settings,
)
from data.facts import after_start_requests, members_of, weekly_summary_weeks
from data.models import (
    Appointment,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    Role,
    Semester,
    SemesterBreak,
    Stage,
    Task,
    TaskAssignment,
    User,
)
from data.policy.classify import counts_late
from data.policy.duties import makeup_workdays, non_duty_days
from data.policy.lifecycle import MEETING_WARN_DAYS, meeting_progress, trial_due
from data.policy.reminders import (
    LEAVE_DECISION_DAYS,
    NEW_TASK_DAYS,
    DigestFacts,
    DutyFact,
    LeaveDecision,
    TaskFact,
)
from data.policy.settings import PolicySettings
from data.policy.tasks import TaskState
from data.policy.types import DutyOutcome, DutyStatus
from data.timeutil import local_today, to_local

# Resigned people still on the roster get a digest line this many days before leaving.
RESIGNATION_DAYS = 7


@dataclass
class TeamFacts:
    """Everything the triggers of one team need at one moment."""

    team_id: int
    settings: PolicySettings
    names: dict[int, str] = field(default_factory=dict)
    semester_id: int | None = None
    duties: list[DutyFact] = field(default_factory=list)  # yesterday's and today's
    late_counts: dict[int, int] = field(default_factory=dict)
    digest: DigestFacts | None = None
    teaching_days: list[date] = field(default_factory=list)  # this week's
    without_summary: list[int] = field(default_factory=list)
    decisions: list[LeaveDecision] = field(default_factory=list)
    tomorrow: list[DutyFact] = field(default_factory=list)
    tasks: list[TaskFact] = field(default_factory=list)  # 交办任务 to announce or remind of


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def duty_fact(outcome: DutyOutcome) -> DutyFact:
    """One outcome of the read model as the triggers see it."""
    d = outcome.duty
    return DutyFact(
        user_id=d.user_id,
        day=d.day,
        shift_id=d.shift_id,
        start=d.start,
        end=d.end,
        place=d.place,
        signed_in=outcome.sign_in_at is not None,
        signed_out=outcome.sign_out_at is not None,
        on_leave=outcome.excused,
    )


def team_facts(session: Session, team_id: int, now: datetime) -> TeamFacts:
    """Read one team's facts as of ``now``."""
    settings = team_settings(session, team_id)
    today = local_today(now)
    names = dict(session.execute(select(User.id, User.name).where(User.team_id == team_id)).all())
    facts = TeamFacts(team_id, settings, names, decisions=leave_decisions(session, team_id, now))
    facts.tasks = task_facts(session, team_id, now)
    semester = current_semester(session, team_id, today)
    if semester is not None:
        _semester_facts(session, semester, now, facts)
    tomorrow = today + timedelta(days=1)
    later = semester if semester and tomorrow <= semester.end else None
    later = later or current_semester(session, team_id, tomorrow)
    if later is not None:
        facts.tomorrow = tomorrow_duties(session, later, tomorrow)
    return facts


def _semester_facts(session: Session, semester: Semester, now: datetime, facts: TeamFacts) -> None:
    today = local_today(now)
    yesterday = today - timedelta(days=1)
    attendance = semester_attendance(session, semester, now)
    scheduled = [o for o in attendance.outcomes if not o.duty.extra]
    facts.semester_id = semester.id
    facts.duties = [duty_fact(o) for o in scheduled if o.duty.day >= yesterday]
    facts.late_counts = {u: s.late for u, s in attendance.summaries().items() if s.late}
    facts.digest = digest_facts(session, semester, yesterday, scheduled, facts)
    facts.teaching_days = teaching_days(session, semester, today)
    facts.without_summary = without_weekly_summary(session, semester, today)


def digest_facts(
    session: Session,
    semester: Semester,
    day: date,
    outcomes: list[DutyOutcome],
    facts: TeamFacts,
) -> DigestFacts:
    """Yesterday's lates, absences, missed sign-outs and 先斩后奏, and today's open matters."""
    names = facts.names
    of_day = [o for o in outcomes if o.duty.day == day]

    def who(selected: list[DutyOutcome]) -> tuple[str, ...]:
        return tuple(names.get(o.duty.user_id, str(o.duty.user_id)) for o in selected)

    after = [
        r
        for r in after_start_requests(session, semester)
        if to_local(_aware(r.created_at)).date() == day
    ]
    today = day + timedelta(days=1)
    return DigestFacts(
        day=day,
        lates=who([o for o in of_day if counts_late(o)]),
        absences=who([o for o in of_day if o.status == DutyStatus.absent]),
        missed_sign_outs=who([o for o in of_day if o.status == DutyStatus.missed_sign_out]),
        after_start_leaves=tuple(names.get(r.user_id, str(r.user_id)) for r in after),
        leave_waiting=leave_waiting(session, semester.team_id),
        trials_due=trials_due(session, semester, today, facts.settings, names),
        resignations_due=resignations_due(session, semester, today, names),
        meetings_short=meetings_short(session, semester, today, facts.settings),
    )


def leave_waiting(session: Session, team_id: int) -> int:
    """Pending leave requests of the team (待审批)."""
    query = (
        select(func.count(LeaveRequest.id))
        .join(User, User.id == LeaveRequest.user_id)
        .where(User.team_id == team_id, LeaveRequest.status == LeaveStatus.pending)
    )
    return session.scalar(query) or 0


def trials_due(
    session: Session,
    semester: Semester,
    today: date,
    settings: PolicySettings,
    names: dict[int, str],
) -> tuple[str, ...]:
    """People in trial whose trial is complete (the recruitment page's 待考核)."""
    query = select(Appointment.user_id, Appointment.trial_start).where(
        Appointment.semester_id == semester.id, Appointment.stage == Stage.trial
    )
    return tuple(
        names.get(user_id, str(user_id))
        for user_id, start in session.execute(query)
        if start is not None and trial_due(start, today, settings)
    )


def resignations_due(
    session: Session, semester: Semester, today: date, names: dict[int, str]
) -> tuple[str, ...]:
    """Resigned people leaving within ``RESIGNATION_DAYS`` (duties to hand over)."""
    query = select(Appointment.user_id).where(
        Appointment.semester_id == semester.id,
        Appointment.stage == Stage.resigned,
        Appointment.ended_on.between(today, today + timedelta(days=RESIGNATION_DAYS)),
    )
    return tuple(names.get(user_id, str(user_id)) for user_id in session.scalars(query))


def meetings_short(
    session: Session, semester: Semester, today: date, settings: PolicySettings
) -> str:
    """ "例会 1/2 次" when the term ends within four weeks and meetings are short, else ""."""
    if today < semester.end - timedelta(days=MEETING_WARN_DAYS):
        return ""
    rows = session.execute(
        select(Meeting.held_on, Meeting.minutes).where(Meeting.semester_id == semester.id)
    )
    progress = meeting_progress(
        [(held_on, bool(minutes.strip())) for held_on, minutes in rows],
        settings,
        today,
        semester.end,
    )
    if progress.held >= progress.required:
        return ""
    return f"临近期末，本学期例会 {progress.held}/{progress.required} 次"


def teaching_days(session: Session, semester: Semester, today: date) -> list[date]:
    """This week's working days inside the semester (weekdays and 调休上班, minus days off)."""
    monday = today - timedelta(days=today.weekday())
    start, end = max(monday, semester.start), min(monday + timedelta(days=6), semester.end)
    if end < start:
        return []
    breaks = [
        (b.start, b.end)
        for b in session.scalars(
            select(SemesterBreak).where(SemesterBreak.semester_id == semester.id)
        )
    ]
    off = non_duty_days(start, end, breaks)
    workdays = makeup_workdays(start, end) | set(makeup_days(session, semester))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in days if d not in off and (d.isoweekday() <= 5 or d in workdays)]


def without_weekly_summary(session: Session, semester: Semester, today: date) -> list[int]:
    """Assistants in post today (active) with no 周总结 for this week yet."""
    monday = today - timedelta(days=today.weekday())
    members = [
        u
        for u in members_of(session, semester)
        if u.active and u.role in (Role.assistant, Role.leader)
    ]
    windows = service_windows(session, semester, {u.id for u in members})
    whole = (semester.start, semester.end)
    written = weekly_summary_weeks(session, semester, {u.id for u in members})
    return [
        u.id
        for u in members
        if windows.get(u.id, whole)[0] <= today <= windows.get(u.id, whole)[1]
        and monday not in written[u.id]
    ]


def leave_decisions(session: Session, team_id: int, now: datetime) -> list[LeaveDecision]:
    """Leave requests of the team decided in the last few days (the trigger keeps recent ones)."""
    since = now - timedelta(days=LEAVE_DECISION_DAYS)
    query = (
        select(LeaveRequest)
        .join(User, User.id == LeaveRequest.user_id)
        .where(
            User.team_id == team_id,
            LeaveRequest.status.in_((LeaveStatus.approved, LeaveStatus.rejected)),
            LeaveRequest.decided_at.is_not(None),
            LeaveRequest.decided_at >= since,
        )
    )
    return [
        LeaveDecision(
            r.id, r.user_id, r.duty_date, r.status.value, _aware(r.decided_at), r.decision_reason
        )
        for r in session.scalars(query)
    ]


def tomorrow_duties(session: Session, semester: Semester, day: date) -> list[DutyFact]:
    """Tomorrow's expected duties (the schedule page's list), approved leave marked."""
    duties = duties_on(session, semester, day)
    query = select(LeaveRequest.user_id, LeaveRequest.shift_id).where(
        LeaveRequest.duty_date == day, LeaveRequest.status == LeaveStatus.approved
    )
    leave = set(session.execute(query).all())
    return [
        DutyFact(
            d.user_id,
            d.day,
            d.shift_id,
            d.start,
            d.end,
            d.place,
            on_leave=(d.user_id, d.shift_id) in leave,
        )
        for d in duties
    ]


def task_facts(session: Session, team_id: int, now: datetime) -> list[TaskFact]:
    """Live tasks still ahead of their deadline: given lately, or due within two days."""
    query = (
        select(Task, TaskAssignment)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(
            Task.team_id == team_id,
            Task.cancelled_at.is_(None),
            Task.deadline > now,
            (Task.created_at >= now - timedelta(days=NEW_TASK_DAYS))
            | (Task.deadline <= now + timedelta(days=2)),
        )
        .order_by(Task.id, TaskAssignment.user_id)
    )
    return [
        TaskFact(
            assignment_id=a.id,
            user_id=a.user_id,
            title=task.title,
            deadline=_aware(task.deadline),
            created_at=_aware(task.created_at),
            open=a.state in (TaskState.open, TaskState.sent_back),
        )
        for task, a in session.execute(query)
    ]

"""The assistant's own page ``/me`` (SPEC §4): lates "2/3", hours, duties, leave, records, results.

Everything here is about ``current_user`` only: every query filters by ``current_user.id`` and no
other user's id ever comes from the request. The numbers come from ``data.attendance`` (the one
place the rules are applied) and the warning from ``data.policy.warnings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from flask import redirect, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import ON_DUTY
from checkin.me.forms import CancelLeaveForm, SummaryForm
from data.attendance import (
    current_semester,
    semester_attendance,
    semester_duties,
    service_windows,
)
from data.models import (
    GRADE_LABELS,
    LEAVE_LABELS,
    Assessment,
    LeaveRequest,
    LeaveStatus,
    Semester,
    Stipend,
    StipendStatus,
    Summary,
    SummaryKind,
    User,
    WorkRecord,
)
from data.policy.classify import counts_late
from data.policy.types import IN_PROGRESS, UPCOMING, AttendanceSummary, Duty, DutyOutcome
from data.report import member_facts, member_warning
from data.services.commendations import of_user as own_commendations
from data.services.election_reads import card_now as election_card
from data.services.leave_requests import LEAVE_LATE_LIMIT, LEAVE_STATUS_LABELS, OPEN_LEAVE
from data.services.summaries import DAILY_MIN, WEEKLY_MIN, monday_of, own_summary
from data.services.swap_reads import card as swap_card
from data.tasks import own_tasks
from data.timeutil import local_today, to_local
from web import get_session, now

UPCOMING_DAYS = 14
RECORDS_SHOWN = 20
LEAVES_SHOWN = 30
XIANZHAN_NOTICE = "已开始的值班请假属于先斩后奏，不能免除缺勤，请尽快电话联系兼辅老师"

WEEKDAYS = "一二三四五六日"
STATUS_LABELS = {
    "normal": "正常",
    "late": "迟到",
    "early": "早退",
    "late_early": "迟到+早退",
    "absent": "缺勤",
    "leave": "请假",
    "missed_sign_out": "漏签退",
    "extra": "加班",
    UPCOMING: "未开始",
    IN_PROGRESS: "进行中",
}
STATUS_BADGES = {
    "normal": "text-bg-success",
    "late": "text-bg-warning",
    "early": "text-bg-warning",
    "late_early": "text-bg-warning",
    "absent": "text-bg-danger",
    "leave": "text-bg-info",
    "missed_sign_out": "text-bg-secondary",
    "extra": "text-bg-primary",
    UPCOMING: "text-bg-light border",
    IN_PROGRESS: "text-bg-primary",
}
LEAVE_STATUS_BADGES = {
    LeaveStatus.pending: "text-bg-warning",
    LeaveStatus.approved: "text-bg-success",
    LeaveStatus.rejected: "text-bg-danger",
    LeaveStatus.cancelled: "text-bg-secondary",
}
LEVEL_ALERTS = {"info": "alert-info", "warning": "alert-warning", "critical": "alert-danger"}
STIPEND_LABELS = {StipendStatus.approved: "已批准", StipendStatus.paid: "已发放"}


# ---------------------------------------------------------------- shared by leave.py, summaries.py


def own_page(view: Callable) -> Callable:
    """Login required; staff without an own page (the 团长 keeps one, 第八条四) go to the dashboard."""

    @login_required
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if current_user.role not in ON_DUTY:
            return redirect("/dashboard/")
        return view(*args, **kwargs)

    return wrapped


def duty_when(duty: Duty) -> str:
    """'11月26日 周四 14:00–16:00'."""
    start, end = to_local(duty.start), to_local(duty.end)
    return (
        f"{duty.day.month}月{duty.day.day}日 周{WEEKDAYS[duty.day.weekday()]} "
        f"{start:%H:%M}–{end:%H:%M}"
    )


def open_leaves(session: Session, user_id: int) -> dict[tuple[date, int | None], LeaveRequest]:
    """The user's pending or approved request per duty (there is at most one by construction)."""
    rows = session.scalars(
        select(LeaveRequest).where(
            LeaveRequest.user_id == user_id, LeaveRequest.status.in_(OPEN_LEAVE)
        )
    )
    return {(r.duty_date, r.shift_id): r for r in rows}


# ---------------------------------------------------------------- the page


@dataclass(frozen=True)
class DutyRow:
    outcome: DutyOutcome
    when: str
    label: str
    badge: str
    detail: list[str]
    leave: LeaveRequest | None
    can_leave: bool  # started within the last day, not excused: a (先斩后奏) request is possible


@dataclass(frozen=True)
class UpcomingRow:
    duty: Duty
    when: str
    leave: LeaveRequest | None


@dataclass(frozen=True)
class WeekRow:
    monday: date
    done: bool
    current: bool


@dataclass(frozen=True)
class Result:
    """A published assessment of one semester with its approved or paid stipend rows."""

    semester: Semester
    assessment: Assessment
    grade_label: str
    stipend_total: Stipend | None
    stipend_months: list[Stipend]


def status_label(outcome: DutyOutcome) -> str:
    """The badge; a late sign-in shows at once, also on a duty under way or missing its sign-out."""
    if outcome.status == "late":
        return f"迟到 {outcome.late_minutes} 分钟"
    label = STATUS_LABELS.get(outcome.status, outcome.status)
    if outcome.status in (IN_PROGRESS, "missed_sign_out") and counts_late(outcome):
        return f"迟到+{label}"
    return label


def status_badge(outcome: DutyOutcome) -> str:
    if outcome.status == IN_PROGRESS and counts_late(outcome):
        return STATUS_BADGES["late"]
    return STATUS_BADGES.get(outcome.status, "text-bg-light")


def _detail(outcome: DutyOutcome) -> list[str]:
    parts = []
    if outcome.duty.place:
        parts.append(outcome.duty.place)
    if outcome.sign_in_at:
        parts.append(f"签到 {to_local(outcome.sign_in_at):%H:%M}")
    if outcome.sign_out_at and outcome.sign_out_at != outcome.sign_in_at:
        parts.append(f"签退 {to_local(outcome.sign_out_at):%H:%M}")
    if outcome.status == "late_early":
        parts.append(f"迟到 {outcome.late_minutes} 分钟、早退 {outcome.early_minutes} 分钟")
    elif outcome.status != "late" and counts_late(outcome):
        parts.append(f"迟到 {outcome.late_minutes} 分钟")
    elif outcome.status == "early":
        parts.append(f"早退 {outcome.early_minutes} 分钟")
    if outcome.credited_minutes:
        parts.append(f"{outcome.credited_minutes / 60:.1f} 小时")
    if outcome.after_start_leave:
        parts.append("先斩后奏请假")
    return parts


def _duty_rows(
    outcomes: list[DutyOutcome],
    leaves: dict[tuple[date, int | None], LeaveRequest],
    moment: datetime,
) -> list[DutyRow]:
    rows = []
    for outcome in sorted(outcomes, key=lambda o: o.duty.start, reverse=True):
        if outcome.status == UPCOMING:
            continue  # listed with the upcoming duties, where leave can be asked properly
        duty = outcome.duty
        leave = None if duty.extra else leaves.get((duty.day, duty.shift_id))
        can_leave = (
            not duty.extra
            and leave is None
            and not outcome.excused
            and outcome.sign_in_at is None
            and duty.end + LEAVE_LATE_LIMIT >= moment
        )
        when = duty_when(duty) if not duty.extra else duty_when(duty).rsplit(" ", 1)[0]
        rows.append(
            DutyRow(
                outcome=outcome,
                when=when,
                label=status_label(outcome),
                badge=status_badge(outcome),
                detail=_detail(outcome),
                leave=leave,
                can_leave=can_leave,
            )
        )
    return rows


def _upcoming(
    session: Session,
    user: User,
    moment: datetime,
    leaves: dict[tuple[date, int | None], LeaveRequest],
) -> list[UpcomingRow]:
    """The user's duties starting in the next UPCOMING_DAYS days, also across a semester change."""
    today = local_today(moment)
    horizon = today + timedelta(days=UPCOMING_DAYS)
    semesters = session.scalars(
        select(Semester).where(
            Semester.team_id == user.team_id, Semester.start <= horizon, Semester.end >= today
        )
    ).all()
    rows = []
    for semester in semesters:
        for duty in semester_duties(session, semester, until=horizon):
            if duty.user_id == user.id and duty.start > moment:
                leave = leaves.get((duty.day, duty.shift_id))
                rows.append(UpcomingRow(duty, duty_when(duty), leave))
    rows.sort(key=lambda r: r.duty.start)
    return rows


def _weeks(
    semester: Semester, today: date, written: set[date], window: tuple[date, date]
) -> list[WeekRow]:
    """Semester weeks in post up to the current one, newest first (as the report counts them)."""
    this_monday = monday_of(min(today, semester.end, window[1]))
    rows = []
    monday = monday_of(max(semester.start, window[0]))
    while monday <= this_monday:
        rows.append(WeekRow(monday, monday in written, monday == monday_of(today)))
        monday += timedelta(days=7)
    return rows[::-1]


def published_result(session: Session, user_id: int, semester: Semester) -> Result | None:
    assessment = session.scalar(
        select(Assessment).where(
            Assessment.user_id == user_id,
            Assessment.semester_id == semester.id,
            Assessment.published.is_(True),
        )
    )
    if assessment is None:
        return None
    stipends = session.scalars(
        select(Stipend)
        .where(
            Stipend.user_id == user_id,
            Stipend.semester_id == semester.id,
            Stipend.status.in_((StipendStatus.approved, StipendStatus.paid)),
        )
        .order_by(Stipend.month)
    ).all()
    total = next((s for s in stipends if s.month == ""), None)
    return Result(
        semester=semester,
        assessment=assessment,
        grade_label=GRADE_LABELS[assessment.final_grade],
        stipend_total=total,
        stipend_months=[s for s in stipends if s.month],
    )


def _previous_semester(session: Session, user: User, before: date) -> Semester | None:
    return session.scalar(
        select(Semester)
        .where(Semester.team_id == user.team_id, Semester.end < before)
        .order_by(Semester.end.desc())
        .limit(1)
    )


def build_page(session: Session, user: User, moment: datetime) -> dict[str, Any]:
    """Everything /me shows, for ``user`` only."""
    today = local_today(moment)
    semester = current_semester(session, user.team_id, today)
    leaves = open_leaves(session, user.id)
    summaries = session.scalars(
        select(Summary).where(Summary.user_id == user.id, Summary.kind == SummaryKind.weekly)
    ).all()
    written = {s.period_start for s in summaries}
    page: dict[str, Any] = {"semester": semester, "today": today}

    if semester is not None:
        attendance = semester_attendance(session, semester, moment, user_ids={user.id})
        summary = attendance.summaries().get(user.id) or AttendanceSummary()
        # The same facts and rule as the dashboard's warning list and the report (data.report).
        facts = member_facts(session, semester, today, {user.id}, moment)[user.id]
        window = service_windows(session, semester, {user.id}).get(
            user.id, (semester.start, semester.end)
        )
        page.update(
            settings=attendance.settings,
            summary=summary,
            facts=facts,
            hours=round(summary.credited_minutes / 60, 1),
            warning=member_warning(summary, facts, attendance.settings),
            duty_rows=_duty_rows(attendance.outcomes, leaves, moment),
            weeks=_weeks(semester, today, written, window),
            current_result=published_result(session, user.id, semester),
            tasks=own_tasks(
                session, user.id, semester, moment, attendance.settings.task_due_soon_hours
            ),
        )
    previous = _previous_semester(session, user, semester.start if semester else today)
    page["previous_result"] = published_result(session, user.id, previous) if previous else None
    page["upcoming"] = _upcoming(session, user, moment, leaves)
    page["leave_requests"] = session.scalars(
        select(LeaveRequest)
        .where(LeaveRequest.user_id == user.id)
        .order_by(LeaveRequest.duty_date.desc(), LeaveRequest.id.desc())
        .limit(LEAVES_SHOWN)
    ).all()
    page["commendations"] = own_commendations(session, user.id)  # 嘉奖, newest first
    page["records"] = session.scalars(
        select(WorkRecord)
        .where(WorkRecord.user_id == user.id)
        .order_by(WorkRecord.duty_date.desc(), WorkRecord.id.desc())
        .limit(RECORDS_SHOWN)
    ).all()
    page["weekly"] = own_summary(session, user.id, SummaryKind.weekly, monday_of(today))
    page["daily"] = own_summary(session, user.id, SummaryKind.daily, today)
    page["election"] = election_card(session, user, moment)  # 团长选举 (checkin/me/election.py)
    page["swaps"] = swap_card(session, user, moment)  # 换班申请 (data.services.swap_reads)
    return page


@bp.get("/me")
@own_page
def me():
    session = get_session()
    user = session.get(User, current_user.id)
    page = build_page(session, user, now())
    weekly_form = SummaryForm(formdata=None, kind="weekly")
    weekly_form.content.data = page["weekly"].content if page["weekly"] else ""
    daily_form = SummaryForm(formdata=None, kind="daily")
    daily_form.content.data = page["daily"].content if page["daily"] else ""
    return render_template(
        "me/me.html",
        **page,
        weekly_form=weekly_form,
        daily_form=daily_form,
        cancel_form=CancelLeaveForm(),
        weekly_min=WEEKLY_MIN,
        daily_min=DAILY_MIN,
        monday=monday_of(page["today"]),
        labels={
            "leave_kind": LEAVE_LABELS,
            "leave_status": LEAVE_STATUS_LABELS,
            "leave_badge": LEAVE_STATUS_BADGES,
            "level_alert": LEVEL_ALERTS,
            "stipend": STIPEND_LABELS,
        },
        to_local=to_local,
        duty_when_of=_leave_when,
    )


def _leave_when(leave: LeaveRequest) -> str:
    day = leave.duty_date
    return f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"

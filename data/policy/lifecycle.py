"""Appointment lifecycle (第四条、第八条二、第九条四五) and meetings (第七条一)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from data.policy.settings import PolicySettings
from data.policy.types import DismissalReason, Grade

DISMISSAL_LABELS = {
    DismissalReason.course_failure: "课程考试不及格",
    DismissalReason.violation: "违反学校规章制度",
    DismissalReason.poor_performance: "工作表现不佳",
    DismissalReason.duties_unfulfilled: "未能履行规定工作职责",
    DismissalReason.unqualified: "考核为不合格",
}
# Meetings short of the minimum are flagged this close to the semester end.
MEETING_WARN_DAYS = 28


def trial_end(trial_start: date, settings: PolicySettings) -> date:
    """The day the trial (试用一个月, default 30 days) is complete and its review is due."""
    return trial_start + timedelta(days=settings.trial_days)


def trial_due(trial_start: date, today: date, settings: PolicySettings) -> bool:
    return today >= trial_end(trial_start, settings)


def resignation_notice_ok(requested_on: date, leaving_on: date, settings: PolicySettings) -> bool:
    """Written notice at least resignation_notice_days (提前一个月) before the leaving date."""
    return (leaving_on - requested_on).days >= settings.resignation_notice_days


def dismissal_proposals(
    course_failures: int,
    violations: int,
    grade: str | None,
    *,
    poor_performance: bool = False,
    duties_unfulfilled: bool = False,
) -> list[str]:
    """Reasons (第九条四) to propose 解聘; the counselor decides. Empty list = nothing to propose."""
    reasons = []
    if course_failures > 0:
        reasons.append(f"{DISMISSAL_LABELS[DismissalReason.course_failure]} {course_failures} 门")
    if violations > 0:
        reasons.append(f"{DISMISSAL_LABELS[DismissalReason.violation]} {violations} 次")
    if poor_performance:
        reasons.append(DISMISSAL_LABELS[DismissalReason.poor_performance])
    if duties_unfulfilled:
        reasons.append(DISMISSAL_LABELS[DismissalReason.duties_unfulfilled])
    if grade == Grade.unqualified:
        reasons.append(DISMISSAL_LABELS[DismissalReason.unqualified])
    return reasons


class MeetingProgress(NamedTuple):
    held: int
    required: int
    missing_minutes: int
    warn: bool


def meeting_progress(
    meetings: Iterable[tuple[date, bool]],
    settings: PolicySettings,
    today: date,
    semester_end: date,
) -> MeetingProgress:
    """例会 held so far / required; warn in the last 4 weeks when short, or when minutes are missing."""
    held_meetings = [has_minutes for held_on, has_minutes in meetings if held_on <= today]
    held = len(held_meetings)
    missing = sum(1 for has_minutes in held_meetings if not has_minutes)
    near_end = today >= semester_end - timedelta(days=MEETING_WARN_DAYS)
    short = held < settings.meetings_required
    return MeetingProgress(
        held, settings.meetings_required, missing, (near_end and short) or missing > 0
    )


def training_ok(attended_count: int, settings: PolicySettings) -> bool:
    """At least trainings_required trainings (第八条二) during the appointment."""
    return attended_count >= settings.trainings_required

"""The only SQL for inputs many pages share: the team's semesters, the one containing a day,
who served in a semester, 先斩后奏 requests and the weeks with a 周总结.

Counts (lates, absences, hours) are never derived here: they come from the read model
(``data.attendance`` → ``data.report``), which has the one definition of each.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from data.models import (
    Appointment,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Semester,
    Stage,
    Summary,
    SummaryKind,
    User,
)

# Resigned assistants left before the end-of-term assessment (第九条五), so they are not assessed.
SERVED_STAGES = (Stage.trial, Stage.appointed, Stage.ended, Stage.dismissed)


def team_semesters(session: Session, team_id: int | None) -> list[Semester]:
    """The team's semesters, newest first."""
    if team_id is None:
        return []
    query = select(Semester).where(Semester.team_id == team_id).order_by(Semester.start.desc())
    return list(session.scalars(query))


def semester_on(session: Session, team_id: int | None, day: date) -> Semester | None:
    """The team's semester that contains ``day``, if any."""
    if team_id is None:
        return None
    return session.scalar(select(Semester).where(semester_containing(team_id, day)))


def semester_containing(team_id: Any, day: date) -> ColumnElement[bool]:
    """The condition "the team's semester containing ``day``", for queries that join it in."""
    return and_(Semester.team_id == team_id, Semester.start <= day, Semester.end >= day)


def members_of(session: Session, semester: Semester) -> list[User]:
    """Everyone who served in the semester (trial, appointed, or left during it)."""
    return list(
        session.scalars(
            select(User)
            .join(Appointment, Appointment.user_id == User.id)
            .where(Appointment.semester_id == semester.id, Appointment.stage.in_(SERVED_STAGES))
            .order_by(User.username)
        )
    )


def after_start_requests(
    session: Session, semester: Semester, user_ids: set[int] | None = None
) -> list[LeaveRequest]:
    """先斩后奏 (第六条四): the only query for them, behind the warning level, evidence and table.

    An assistant's own request made after the shift start, for a duty of the semester, by a
    member of its team; a cancelled one, or one the counselor turned into phone leave, is none.
    """
    query = (
        select(LeaveRequest)
        .join(User, User.id == LeaveRequest.user_id)
        .where(
            User.team_id == semester.team_id,
            LeaveRequest.duty_date.between(semester.start, semester.end),
            LeaveRequest.after_start.is_(True),
            LeaveRequest.kind != LeaveKind.phone,
            LeaveRequest.status != LeaveStatus.cancelled,
        )
        .order_by(LeaveRequest.duty_date.desc(), LeaveRequest.id.desc())
    )
    if user_ids is not None:
        query = query.where(LeaveRequest.user_id.in_(user_ids))
    return list(session.scalars(query))


def weekly_summary_weeks(
    session: Session, semester: Semester, user_ids: set[int] | None = None
) -> dict[int, set[date]]:
    """Per person, the Mondays of the weeks they wrote a 周总结 for (everyone when None).

    A defaultdict: someone without one maps to an empty set.
    """
    query = select(Summary.user_id, Summary.period_start).where(
        Summary.kind == SummaryKind.weekly,
        Summary.period_start.between(semester.start - timedelta(days=6), semester.end),
    )
    if user_ids is not None:
        query = query.where(Summary.user_id.in_(user_ids))
    weeks: dict[int, set[date]] = defaultdict(set)
    for user_id, monday in session.execute(query):
        weeks[user_id].add(monday)
    return weeks

"""SQL → plain values / pandas for the dashboard pages. Figures are built in ``figures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import CheckAction, CheckEvent, Semester, Team, User
from data.policy.types import IN_PROGRESS, UPCOMING, DutyOutcome
from data.timeutil import local_to_utc

UNDECIDED = (UPCOMING, IN_PROGRESS)


@dataclass(frozen=True)
class SemesterOption:
    id: int
    label: str
    start: date
    end: date


def semesters_for(session: Session, user: User) -> list[SemesterOption]:
    """Semesters the user may look at: their team's, or every team's for university leaders."""
    query = select(Semester.id, Semester.name, Semester.start, Semester.end, Team.name).join(Team)
    if user.team_id is not None:
        query = query.where(Semester.team_id == user.team_id)
    rows = session.execute(query.order_by(Semester.start.desc(), Team.name)).all()
    scoped = user.team_id is not None
    return [
        SemesterOption(id=i, label=name if scoped else f"{team} · {name}", start=start, end=end)
        for i, name, start, end, team in rows
    ]


def semester_from_search(search: str | None) -> int | None:
    values = parse_qs((search or "").lstrip("?")).get("semester")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def default_semester(semesters: list[SemesterOption], today: date) -> int | None:
    """The semester containing today, else the latest that has started, else the first."""
    for option in semesters:
        if option.start <= today <= option.end:
            return option.id
    started = [s for s in semesters if s.start <= today]
    if started:
        return max(started, key=lambda s: s.start).id
    return semesters[0].id if semesters else None


def semester_visible(session: Session, user: User, semester_id: int | None) -> Semester | None:
    """The semester if the user may see it (server-side check for every callback)."""
    if semester_id is None:
        return None
    semester = session.get(Semester, semester_id)
    if semester is None or (user.team_id is not None and semester.team_id != user.team_id):
        return None
    return semester


def weekly_statuses(outcomes: list[DutyOutcome]) -> pd.DataFrame:
    """Decided duties per week (Monday) and status."""
    rows = [
        (o.duty.day - timedelta(days=o.duty.day.weekday()), o.status)
        for o in outcomes
        if o.status not in UNDECIDED
    ]
    frame = pd.DataFrame(rows, columns=["week", "status"])
    if frame.empty:
        return pd.DataFrame(columns=["week", "status", "count"])
    return frame.groupby(["week", "status"]).size().reset_index(name="count")


def sign_in_count(session: Session, semester: Semester, now: datetime) -> int:
    """Sign-ins by the team's members during the semester, scheduled or extra."""
    return (
        session.scalar(
            select(func.count(CheckEvent.id))
            .join(User, User.id == CheckEvent.user_id)
            .where(
                User.team_id == semester.team_id,
                CheckEvent.action == CheckAction.sign_in,
                CheckEvent.at >= local_to_utc(semester.start, time(0, 0)),
                CheckEvent.at <= min(now, local_to_utc(semester.end, time(23, 59, 59))),
            )
        )
        or 0
    )

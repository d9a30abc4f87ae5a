"""Which semesters a user may see, and the ``?semester=`` of a dashboard URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import facts
from data.inputs import as_text, parse_id
from data.models import Semester, Team, User


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


def semester_from_search(search: object) -> int | None:
    """The id in a URL query's ``semester=``, or None when missing or not an id."""
    values = parse_qs(as_text(search).lstrip("?")).get("semester")
    return parse_id(values[0]) if values else None


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


def started_semesters(session: Session, team_id: int, today: date) -> list[Semester]:
    """The team's semesters that have started, oldest first (the comparison's x axis)."""
    return [s for s in reversed(facts.team_semesters(session, team_id)) if s.start <= today]

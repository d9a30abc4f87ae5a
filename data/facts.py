"""The only SQL for inputs many pages share: the team's semesters and the one containing a day.

Counts (lates, absences, hours) are never derived here: they come from the read model
(``data.attendance`` → ``data.report``), which has the one definition of each.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Semester


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
    return session.scalar(
        select(Semester).where(
            Semester.team_id == team_id, Semester.start <= day, Semester.end >= day
        )
    )

"""Small, explicit test data builders (the demo generator is tested separately)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy.orm import Session

from data.models import (
    Appointment,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    Stage,
    Team,
    User,
)

PASSWORD = "correct-horse-9"


@dataclass(frozen=True)
class SmallTeam:
    team_id: int
    semester_id: int
    place_id: int
    counselor: str
    leader: str
    leadership: str
    assistants: tuple[str, ...]


def user(session: Session, team: Team | None, username: str, name: str, role: Role) -> User:
    person = User(team=team, username=username, name=name, role=role)
    person.set_password(PASSWORD)
    session.add(person)
    return person


def small_team(
    session: Session,
    semester_start: date = date(2026, 9, 7),
    semester_end: date = date(2027, 1, 15),
) -> SmallTeam:
    team = Team(name="数学与物理学院助管团", college="数学与物理学院")
    session.add(team)
    counselor = user(session, team, "T001", "王老师", Role.counselor)
    leader = user(session, team, "2023001", "李团长", Role.leader)
    leadership = user(session, team, "L001", "赵书记", Role.leadership)
    assistants = [
        user(session, team, f"20231{i:02d}", name, Role.assistant)
        for i, name in enumerate(["张三", "李四", "王五"], start=1)
    ]
    semester = Semester(team=team, name="2026秋", start=semester_start, end=semester_end)
    place = Place(team=team, name="学工办")
    session.add_all([semester, place])
    session.flush()
    for weekday, person in zip((1, 3, 5, 2), [leader, *assistants], strict=True):
        shift = Shift(semester=semester, weekday=weekday, start=time(8, 0), end=time(10, 0))
        shift.place = place
        shift.assignments.append(ShiftAssignment(user_id=person.id))
        session.add(shift)
        session.add(
            Appointment(
                user_id=person.id,
                semester_id=semester.id,
                stage=Stage.appointed,
                applied_on=semester_start,
                trial_start=semester_start,
                appointed_on=semester_start,
            )
        )
    session.flush()
    return SmallTeam(
        team_id=team.id,
        semester_id=semester.id,
        place_id=place.id,
        counselor=counselor.username,
        leader=leader.username,
        leadership=leadership.username,
        assistants=tuple(a.username for a in assistants),
    )

"""SQL → plain values / pandas for the dashboard pages. Figures are built in ``figures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.attendance import semester_attendance
from data.models import Appointment, CheckAction, CheckEvent, Role, Semester, Stage, Team, User
from data.timeutil import local_to_utc

ON_DUTY_STAGES = (Stage.trial, Stage.appointed)


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


@dataclass(frozen=True)
class OverviewKpis:
    on_duty: int
    expected_so_far: int
    attended: int
    late: int
    absent: int
    sign_ins: int
    credited_hours: float
    assistants_with_lates: int


def overview_kpis(session: Session, semester: Semester, now: datetime) -> OverviewKpis:
    on_duty = session.scalar(
        select(func.count(Appointment.id))
        .join(User, User.id == Appointment.user_id)
        .where(
            Appointment.semester_id == semester.id,
            Appointment.stage.in_(ON_DUTY_STAGES),
            User.role.in_((Role.assistant, Role.leader)),
        )
    )
    sign_ins = session.scalar(
        select(func.count(CheckEvent.id))
        .join(User, User.id == CheckEvent.user_id)
        .where(
            User.team_id == semester.team_id,
            CheckEvent.action == CheckAction.sign_in,
            CheckEvent.at >= local_to_utc(semester.start, datetime.min.time()),
            CheckEvent.at <= min(now, local_to_utc(semester.end, datetime.max.time())),
        )
    )
    attendance = semester_attendance(session, semester, now)
    total = attendance.total()
    with_lates = sum(1 for s in attendance.summaries().values() if s.late > 0)
    return OverviewKpis(
        on_duty=on_duty or 0,
        expected_so_far=total.expected,
        attended=total.attended,
        late=total.late,
        absent=total.absent,
        sign_ins=sign_ins or 0,
        credited_hours=round(total.credited_minutes / 60, 1),
        assistants_with_lates=with_lates,
    )

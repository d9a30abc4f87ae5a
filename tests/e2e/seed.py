"""The end-to-end team: a semester running now and one duty in progress for every assistant.

As ``bench.checkin`` does it, on the real clock (the gunicorn processes use it): one shift
today from a couple of minutes ago, every assistant on it and appointed; on a day without
weekly duties (holiday, 调休) an ``extra`` override puts the shift on today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from data.db import Database
from data.models import (
    Appointment,
    CheckAction,
    CheckEvent,
    OverrideKind,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    Stage,
    Team,
    TeamSettings,
    User,
)
from data.policy.duties import makeup_workdays, non_duty_days
from data.timeutil import LOCAL_TZ, local_to_utc

PASSWORD = "e2e-door-2026"
COUNSELOR = "e2ecounselor"  # a staff account, to open the dashboard
SEMESTER = "端到端学期"


@dataclass(frozen=True)
class Seeded:
    place_id: int
    semester: str
    today: date
    usernames: dict[str, list[str]]  # group → accounts


def seed(url: str, groups: dict[str, int], allowed_networks: list[str]) -> Seeded:
    """One team with ``groups`` of assistants (name → how many), all on today's duty."""
    now = datetime.now(LOCAL_TZ)
    today = now.date()
    midnight = datetime.combine(today, dtime(0, 0), tzinfo=LOCAL_TZ)
    start = max(now - timedelta(minutes=2), midnight).time().replace(second=0, microsecond=0)
    # Not past midnight: a run in the day's last minutes gets a short duty, not a broken one.
    end = min(now + timedelta(hours=2), midnight + timedelta(hours=23, minutes=59)).time()
    end = end.replace(second=0, microsecond=0)
    holiday = today in non_duty_days(today, today) | makeup_workdays(today, today)
    # Cheap hashes: hundreds of logins, and the login checks whatever method the hash names.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    database = Database(url)
    with database.session() as s:
        team = Team(name="端到端助管团", college="端到端学院")
        place = Place(team=team, name="学工办")
        semester = Semester(team=team, name=SEMESTER, start=today, end=today + timedelta(weeks=12))
        s.add_all([team, place, semester])
        s.flush()
        s.add(TeamSettings(team_id=team.id, values={"allowed_networks": allowed_networks}))
        names = {
            group: [f"e2e{group[:6]}{i:03d}" for i in range(1, count + 1)]
            for group, count in groups.items()
        }
        users = [
            User(team=team, username=u, name=u, role=Role.assistant, password_hash=password_hash)
            for members in names.values()
            for u in members
        ]
        s.add_all(users)
        s.add(
            User(
                team=team,
                username=COUNSELOR,
                name="兼辅",
                role=Role.counselor,
                password_hash=password_hash,
            )
        )
        s.flush()
        shift = Shift(
            semester=semester, weekday=today.isoweekday(), start=start, end=end, place=place
        )
        s.add(shift)
        s.flush()
        for person in users:
            s.add(ShiftAssignment(shift_id=shift.id, user_id=person.id))
            s.add(
                Appointment(
                    user_id=person.id,
                    semester_id=semester.id,
                    stage=Stage.appointed,
                    applied_on=today,
                    trial_start=today,
                    appointed_on=today,
                )
            )
            if holiday:
                s.add(
                    ShiftOverride(
                        semester_id=semester.id,
                        on=today,
                        kind=OverrideKind.extra,
                        shift_id=shift.id,
                        user_id=person.id,
                        reason="端到端测试：节假日的值班",
                    )
                )
        place_id = place.id
    database.dispose()
    return Seeded(place_id, SEMESTER, today, names)


def sign_ins(url: str, usernames: list[str], today: date) -> dict[str, int]:
    """Today's sign-in events per account (accounts without one are absent)."""
    database = Database(url)
    start = local_to_utc(today, dtime(0, 0))
    try:
        with database.session() as s:
            rows = s.execute(
                select(User.username, func.count(CheckEvent.id))
                .join(CheckEvent, CheckEvent.user_id == User.id)
                .where(
                    User.username.in_(usernames),
                    CheckEvent.action == CheckAction.sign_in,
                    CheckEvent.at >= start,
                    CheckEvent.at < start + timedelta(days=1),
                )
                .group_by(User.username)
            ).all()
    finally:
        database.dispose()
    return dict(rows)

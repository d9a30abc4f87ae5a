"""Build a database at the SPEC §8 scales quickly (bulk inserts, no ORM objects).

university: 30 teams × 60 assistants × 10 semesters ≈ 0.9 M duties and 1.8 M events.
college:     1 team  × 40 assistants × 2 semesters (the demo's size).
"""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from data.db import Database
from data.migrate import upgrade
from data.models import (
    Appointment,
    Assessment,
    CheckEvent,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    Stage,
    Team,
    User,
)
from data.policy.duties import expected_duties
from data.policy.types import ShiftSpec
from data.timeutil import local_to_utc, utcnow

SCALES = {
    "university": dict(teams=30, assistants=60, semesters=10),
    "college": dict(teams=1, assistants=40, semesters=2),
    "small": dict(teams=3, assistants=60, semesters=2),
    # bench.dashboard --quick: 学期对比 at 10 and at 30 semesters, built in seconds.
    "quick": dict(teams=2, assistants=20, semesters=10),
    "quick30": dict(teams=2, assistants=20, semesters=30),
    "wide30": dict(teams=1, assistants=60, semesters=30),  # bench.dashboard: 学期对比 at 30
}
SLOTS = [
    (time(8, 0), time(10, 0)),
    (time(10, 0), time(12, 0)),
    (time(14, 0), time(16, 0)),
    (time(16, 0), time(18, 0)),
    (time(19, 0), time(21, 0)),
    (time(12, 0), time(14, 0)),
]


@dataclass
class Built:
    teams: int
    users: int
    semesters: int
    duties: int
    events: int
    seconds: float
    sample_semester_id: int  # the newest semester of the first team


def semester_dates(index: int) -> tuple[str, date, date]:
    """Alternate autumn/spring terms going back from autumn 2026."""
    year = 2026 - index // 2
    if index % 2 == 0:
        return f"{year}秋", date(year, 9, 7), date(year + 1, 1, 15)
    return f"{year}春", date(year, 2, 23), date(year, 7, 3)


def build(database: Database, scale: str = "university", seed: int = 8) -> Built:
    started = clock.perf_counter()
    spec = SCALES[scale]
    rng = random.Random(seed)
    upgrade(database.engine)
    created = utcnow()
    duties_total = events_total = 0
    with database.engine.begin() as conn:
        for t in range(spec["teams"]):
            team_id = conn.execute(
                insert(Team).values(
                    name=f"第{t + 1}学院助管团", college=f"第{t + 1}学院", created_at=created
                )
            ).inserted_primary_key[0]
            user_rows = [
                dict(
                    team_id=team_id,
                    username=f"{t:02d}{i:04d}",
                    name=f"助管{t}-{i}",
                    role=Role.assistant,
                    password_hash="",
                    created_at=created,
                    gender="",
                    degree_level="",
                    grade="",
                    major="",
                    phone="",
                    qq="",
                    political_status="",
                    hardship=False,
                    post="",
                    must_change_password=False,
                    active=True,
                )
                for i in range(spec["assistants"])
            ]
            conn.execute(insert(User), user_rows)
            user_ids = list(conn.scalars(select(User.id).where(User.team_id == team_id)))
            place_id = conn.execute(
                insert(Place).values(team_id=team_id, name="学工办", poster_version=1)
            ).inserted_primary_key[0]
            for s in range(spec["semesters"]):
                name, start, end = semester_dates(s)
                semester_id = conn.execute(
                    insert(Semester).values(team_id=team_id, name=name, start=start, end=end)
                ).inserted_primary_key[0]
                conn.execute(
                    insert(Appointment),
                    [
                        dict(
                            user_id=u,
                            semester_id=semester_id,
                            stage=Stage.appointed,
                            applied_on=start,
                            short_notice_override=False,
                            grades_note="",
                            experience="",
                        )
                        for u in user_ids
                    ],
                )
                specs = []
                for weekday in range(1, 6):
                    for begin, finish in SLOTS:
                        shift_id = conn.execute(
                            insert(Shift).values(
                                semester_id=semester_id,
                                weekday=weekday,
                                start=begin,
                                end=finish,
                                place_id=place_id,
                            )
                        ).inserted_primary_key[0]
                        specs.append([shift_id, weekday, begin, finish, []])
                # Three shifts a week per assistant, six people per shift.
                for k, user_id in enumerate(user_ids):
                    for j in range(3):
                        specs[(k * 3 + j) % len(specs)][4].append(user_id)
                conn.execute(
                    insert(ShiftAssignment),
                    [dict(shift_id=sp[0], user_id=u) for sp in specs for u in sp[4]],
                )
                shifts = [
                    ShiftSpec(sp[0], sp[1], sp[2], sp[3], "学工办", tuple(sp[4])) for sp in specs
                ]
                duties = expected_duties(start, end, shifts)
                duties_total += len(duties)
                rows = []
                for duty in duties:
                    roll = rng.random()
                    if roll < 0.03:
                        continue  # absent
                    late = rng.randint(6, 30) if roll < 0.10 else -rng.randint(0, 10)
                    sign_in = duty.start + timedelta(minutes=late)
                    rows.append(
                        dict(
                            user_id=duty.user_id,
                            action="sign_in",
                            at=sign_in,
                            method="qr",
                            duty_date=duty.day,
                            shift_id=duty.shift_id,
                            place_id=place_id,
                            source_ip="10.0.0.1",
                            device_id="",
                            created_at=sign_in,
                        )
                    )
                    if roll < 0.98:
                        sign_out = duty.end + timedelta(minutes=rng.randint(0, 15))
                        rows.append(
                            dict(
                                user_id=duty.user_id,
                                action="sign_out",
                                at=sign_out,
                                method="qr",
                                duty_date=duty.day,
                                shift_id=duty.shift_id,
                                place_id=place_id,
                                source_ip="10.0.0.1",
                                device_id="",
                                created_at=sign_out,
                            )
                        )
                events_total += len(rows)
                conn.execute(insert(CheckEvent), rows)
                if s > 0:
                    # Past semesters were assessed and published at their end (第九条一).
                    conn.execute(insert(Assessment), _published(rng, semester_id, user_ids, end))
    with database.engine.connect() as conn:
        sample = conn.scalar(
            select(Semester.id)
            .where(Semester.team_id == 1)
            .order_by(Semester.start.desc())
            .limit(1)
        )
        users = conn.scalar(select(User.id).order_by(User.id.desc()).limit(1))
        semesters = conn.scalar(select(Semester.id).order_by(Semester.id.desc()).limit(1))
    return Built(
        spec["teams"],
        users,
        semesters,
        duties_total,
        events_total,
        clock.perf_counter() - started,
        sample,
    )


def _published(rng: random.Random, semester_id: int, user_ids: list[int], end: date) -> list:
    rows = []
    for user_id in user_ids:
        total = round(rng.uniform(55, 98), 1)
        grade = "excellent" if total >= 90 else "qualified" if total >= 60 else "unqualified"
        rows.append(
            dict(
                semester_id=semester_id,
                user_id=user_id,
                total=total,
                grade=grade,
                attendance_score=total * 0.4,
                records_score=total * 0.2,
                meetings_score=total * 0.1,
                counselor_score=total * 0.2,
                peer_score=total * 0.1,
                reasons="",
                override_reason="",
                published=True,
                computed_at=local_to_utc(end, time(18, 0)),
            )
        )
    return rows


def as_of(semester_end: date) -> datetime:
    """A moment after the semester, so every duty is decided."""
    return local_to_utc(semester_end + timedelta(days=1), time(12, 0))

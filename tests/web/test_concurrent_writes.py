"""8 concurrent writers on a file-backed SQLite database (issue 13 point 1): weekly summaries,
schedule edits and leave requests. Every request is either done (visible in the database
afterwards) or refused with a flashed message; none answers 5xx ("database is locked").

Each writer is a thread with its own test client (its own login and cookies); a barrier starts
them together. Not marked ``db``: the write lock being tested is SQLite's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from data.models import (
    Appointment,
    AuditLog,
    LeaveRequest,
    Role,
    Shift,
    ShiftAssignment,
    Stage,
    Summary,
    Team,
)
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import AuthActions, csrf_token

WRITERS = 8
REQUESTS = 10
NOW = datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)  # a Monday in the fixture's semester
FROM_DAY = date(2026, 10, 19)  # schedule edits apply from next Monday: no reason needed
SLOTS = [(6, 8), (6, 9), (6, 10), (7, 8), (7, 9)]  # (weekday, hour): five one-hour shifts


@dataclass
class Outcome:
    """What one writer saw: (status, flashed category, message, what it asked) per request."""

    results: list[tuple[int, str, str, object]] = field(default_factory=list)

    def done(self) -> list[object]:
        return [what for _, category, _, what in self.results if category == "success"]


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: NOW
    return app


@pytest.fixture
def crew(db, team) -> list[tuple[str, int]]:
    """Eight more assistants in post, each on a weekday afternoon shift: (username, user id)."""
    people = []
    with db.session() as s:
        team_row = s.get(Team, team.team_id)
        for i in range(WRITERS):
            person = factories.user(s, team_row, f"20262{i:02d}", f"助管{i}", Role.assistant)
            s.flush()
            shift = Shift(
                semester_id=team.semester_id,
                weekday=i % 5 + 1,
                start=time(14 + i // 5 * 2, 0),
                end=time(15 + i // 5 * 2, 0),
                place_id=team.place_id,
            )
            shift.assignments.append(ShiftAssignment(user_id=person.id))
            s.add(shift)
            s.add(_appointment(person.id, team.semester_id))
            people.append((person.username, person.id))
    return people


def _appointment(user_id: int, semester_id: int) -> Appointment:
    start = date(2026, 9, 7)
    return Appointment(
        user_id=user_id,
        semester_id=semester_id,
        stage=Stage.appointed,
        applied_on=start,
        trial_start=start,
        appointed_on=start,
    )


def logged_in(app, username: str):
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 302, username
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    return client, token


def flashed(client) -> tuple[str, str]:
    """The request's flashed message (category, text), taken out of the session."""
    with client.session_transaction() as session:
        messages = session.pop("_flashes", [])
    assert len(messages) == 1, messages
    return messages[0]


def run_writers(jobs: list[Callable[[Outcome], None]]) -> list[Outcome]:
    """Run the jobs in threads started together; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [Outcome() for _ in jobs]
    errors: list[BaseException] = []

    def worker(job: Callable[[Outcome], None], outcome: Outcome) -> None:
        try:
            barrier.wait()
            job(outcome)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=pair) for pair in zip(jobs, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    for outcome in outcomes:
        statuses = [status for status, *_ in outcome.results]
        assert all(status < 500 for status in statuses), statuses
    return outcomes


def test_weekly_summaries(clocked, db, crew):
    writers = [logged_in(clocked, username) for username, _ in crew]

    def job(client, token: str, username: str) -> Callable[[Outcome], None]:
        def run(outcome: Outcome) -> None:
            for n in range(REQUESTS):
                content = f"{username} 本周第 {n} 次修改：整理档案、接待来访同学"
                data = {"csrf_token": token, "kind": "weekly", "content": content}
                response = client.post("/me/summary", data=data)
                category, message = flashed(client)
                outcome.results.append((response.status_code, category, message, content))

        return run

    jobs = [job(c, t, u) for (c, t), (u, _) in zip(writers, crew, strict=True)]
    outcomes = run_writers(jobs)
    with db.session() as s:
        for (_, user_id), outcome in zip(crew, outcomes, strict=True):
            done = outcome.done()
            saves = s.scalar(
                select(func.count(AuditLog.id)).where(
                    AuditLog.action == "summary.save", AuditLog.actor_id == user_id
                )
            )
            assert saves == len(done)  # every acknowledged save is recorded, nothing more
            stored = s.scalars(select(Summary).where(Summary.user_id == user_id)).all()
            if done:
                assert [row.content for row in stored] == [done[-1]]
            refused = [r for r in outcome.results if r[1] != "success"]
            assert all(message for _, _, message, _ in refused)
    assert sum(len(o.done()) for o in outcomes) == WRITERS * REQUESTS  # none needed refusing


def _slot_form(token: str, user_id: int, place_id: int, semester_id: int, slot) -> dict:
    weekday, hour = slot
    return {
        "csrf_token": token,
        "semester": str(semester_id),
        "user_id": str(user_id),
        "weekday": str(weekday),
        "start": f"{hour:02d}:00",
        "end": f"{hour + 1:02d}:00",
        "place_id": str(place_id),
        "from": FROM_DAY.isoformat(),
        "confirm": "1",
    }


def _assignment_id(db, user_id: int, slot) -> int | None:
    weekday, hour = slot
    with db.session() as s:
        return s.scalar(
            select(ShiftAssignment.id)
            .join(Shift)
            .where(
                ShiftAssignment.user_id == user_id,
                Shift.weekday == weekday,
                Shift.start == time(hour, 0),
            )
        )


def test_schedule_edits(clocked, db, team, crew):
    editors = [team.counselor if i % 2 else team.leader for i in range(WRITERS)]
    writers = [logged_in(clocked, username) for username in editors]

    def job(client, token: str, user_id: int) -> Callable[[Outcome], None]:
        def run(outcome: Outcome) -> None:
            for slot in SLOTS:  # five assignments to shifts the writers share…
                form = _slot_form(token, user_id, team.place_id, team.semester_id, slot)
                response = client.post("/admin/schedule/assign", data=form)
                outcome.results.append((response.status_code, *flashed(client), ("+", slot)))
            for slot in SLOTS:  # …then each removed again
                assignment = _assignment_id(db, user_id, slot)
                form = {"csrf_token": token, "from": FROM_DAY.isoformat(), "confirm": "1"}
                url = f"/admin/schedule/assignments/{assignment or 0}/delete"
                response = client.post(url, data=form)
                outcome.results.append((response.status_code, *flashed(client), ("-", slot)))

        return run

    jobs = [job(c, t, user_id) for (c, t), (_, user_id) in zip(writers, crew, strict=True)]
    outcomes = run_writers(jobs)
    with db.session() as s:
        for (username, user_id), outcome in zip(crew, outcomes, strict=True):
            added = [what for what in outcome.done() if what[0] == "+"]
            removed = [what for what in outcome.done() if what[0] == "-"]
            audits = s.scalars(
                select(AuditLog).where(
                    AuditLog.action.in_(["schedule.assign", "schedule.unassign"])
                )
            ).all()
            mine = [
                a
                for a in audits
                if (a.after or {}).get("username") == username
                or (a.before or {}).get("username") == username
            ]
            assert len([a for a in mine if a.action == "schedule.assign"]) == len(added)
            assert len([a for a in mine if a.action == "schedule.unassign"]) == len(removed)
            left = s.scalar(
                select(func.count(ShiftAssignment.id))
                .join(Shift)
                .where(ShiftAssignment.user_id == user_id, Shift.weekday >= 6)
            )
            assert left == len(added) - len(removed)
            assert all(message for _, _, message, _ in outcome.results)
        # The writers raced to create the same five shifts: each exists exactly once.
        for weekday, hour in SLOTS:
            count = s.scalar(
                select(func.count(Shift.id)).where(
                    Shift.weekday == weekday, Shift.start == time(hour, 0)
                )
            )
            assert count == 1, (weekday, hour)
    assert sum(len(o.done()) for o in outcomes) == WRITERS * REQUESTS


def test_leave_requests(clocked, db, crew):
    writers = [logged_in(clocked, username) for username, _ in crew]
    with db.session() as s:
        shifts = {
            user_id: s.scalar(
                select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id == user_id)
            )
            for _, user_id in crew
        }
        weekdays = {user_id: s.get(Shift, shift_id).weekday for user_id, shift_id in shifts.items()}

    def duty_days(weekday: int) -> list[date]:
        first = NOW.date() + timedelta(days=(weekday - 1 - NOW.date().weekday()) % 7 or 7)
        return [first + timedelta(weeks=n) for n in range(REQUESTS)]

    def job(client, token: str, user_id: int) -> Callable[[Outcome], None]:
        def run(outcome: Outcome) -> None:
            for day in duty_days(weekdays[user_id]):
                form = {
                    "csrf_token": token,
                    "duty_date": day.isoformat(),
                    "shift": str(shifts[user_id]),
                    "kind": "personal",
                    "reason": "家中有事，需要请假一次",
                }
                response = client.post("/me/leave", data=form)
                outcome.results.append((response.status_code, *flashed(client), day))

        return run

    jobs = [job(c, t, user_id) for (c, t), (_, user_id) in zip(writers, crew, strict=True)]
    outcomes = run_writers(jobs)
    with db.session() as s:
        for (_, user_id), outcome in zip(crew, outcomes, strict=True):
            stored = s.scalars(
                select(LeaveRequest.duty_date).where(LeaveRequest.user_id == user_id)
            ).all()
            assert sorted(stored) == sorted(outcome.done())
            assert all(message for _, _, message, _ in outcome.results)
    assert sum(len(o.done()) for o in outcomes) == WRITERS * REQUESTS

"""The door's SQL budget (issue 11): one sign-in runs at most 8 statements, answers unchanged.

Statements are counted with an SQLAlchemy event on the app's engine (BEGINs included), never
timed. The one-person read behind the budget must give exactly what the whole-team read gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import event, select

from data.attendance import _semester_inputs, semester_attendance
from data.attendance_inputs import person_inputs
from data.models import (
    CheckAction,
    CheckEvent,
    CheckMethod,
    DutyCorrection,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    OverrideKind,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    User,
)
from data.policy.types import AttendanceSummary, DutyStatus
from tests.conftest import DEMO_NOW, csrf_token
from tests.web.test_door import at, kiosk_url, poster_url, scan_and_login

pytestmark = pytest.mark.db

BUDGET = 8


@pytest.fixture
def clock(app):
    class Clock:
        moment = at(8, 5)

        def set(self, moment: datetime) -> None:
            self.moment = moment

    c = Clock()
    app.config["CLOCK"] = lambda: c.moment
    return c


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends while the block runs (BEGIN and SAVEPOINT too)."""
    engine = app.extensions["zhuguantong.db"].engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def counted_press(client, app, action: str) -> tuple[list[str], str]:
    """POST one press (the page with its CSRF token is fetched first, uncounted)."""
    token = csrf_token(client.get("/checkin/door").get_data(as_text=True))
    with counted(app) as seen:
        response = client.post("/checkin/door", data={"action": action, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    return seen, client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_sign_in_runs_at_most_eight_statements(client, app, team, clock):
    scan_and_login(client, app, team, team.assistants[0])
    seen, page = counted_press(client, app, "sign_in")
    assert "准时" in page and "本学期已迟到 0 次（3 次即不合格）" in page
    assert len(seen) <= BUDGET, "\n".join(seen)
    # One row written; the team's first door write also creates its revision token.
    inserted = [s.split()[2] for s in seen if s.startswith("INSERT")]
    assert [table for table in inserted if table != "team_revision"] == ["check_event"]


def test_a_repeated_sign_in_stays_within_the_budget(client, app, team, clock, db):
    scan_and_login(client, app, team, team.assistants[0])
    counted_press(client, app, "sign_in")
    clock.set(at(8, 9))
    client.get(poster_url(app, team.place_id))  # a fresh scan, then the same press again
    seen, page = counted_press(client, app, "sign_in")
    assert "已签到（08:05）" in page
    assert len(seen) <= BUDGET and not any(s.startswith("INSERT") for s in seen)
    # A stale tab's press (its proof used up) is answered too, reading no more.
    token = csrf_token(client.get("/me").get_data(as_text=True))
    with counted(app) as stale:
        response = client.post("/checkin/door", data={"action": "sign_in", "csrf_token": token})
    assert "已签到（08:05）" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(stale) <= BUDGET
    with db.session() as s:
        assert len(s.scalars(select(CheckEvent)).all()) == 1


def test_a_kiosk_sign_in_stays_within_the_budget(client, app, team, clock):
    clock.set(at(8, 0))
    scan_and_login(client, app, team, team.assistants[0], kiosk_url(app, team.place_id, at(8, 0)))
    seen, page = counted_press(client, app, "sign_in")
    assert "准时" in page
    assert len(seen) <= BUDGET, "\n".join(seen)
    inserted = sorted(s.split()[2] for s in seen if s.startswith("INSERT"))
    # The event and the used code (and the team's first revision token).
    assert [table for table in inserted if table != "team_revision"] == [
        "check_event",
        "used_token",
    ]


def _history(db, team) -> int:
    """assistants[0] (Wednesdays 08:00–10:00): a late, a leave, a correction and a swap so far."""
    with db.session() as s:
        me = s.scalar(select(User).where(User.username == team.assistants[0]))
        other = s.scalar(select(User).where(User.username == team.assistants[1]))
        mine = s.scalar(
            select(Shift.id).join(ShiftAssignment).where(ShiftAssignment.user_id == me.id)
        )
        theirs = s.scalar(
            select(Shift.id).join(ShiftAssignment).where(ShiftAssignment.user_id == other.id)
        )
        s.add_all(
            [
                CheckEvent(
                    user_id=me.id,
                    action=CheckAction.sign_in,
                    at=at(8, 12, day=date(2026, 11, 18)),
                    method=CheckMethod.qr,
                    duty_date=date(2026, 11, 18),
                    shift_id=mine,
                ),
                LeaveRequest(
                    user_id=me.id,
                    duty_date=date(2026, 11, 11),
                    shift_id=mine,
                    kind=LeaveKind.sick,
                    status=LeaveStatus.approved,
                ),
                DutyCorrection(
                    user_id=me.id,
                    duty_date=date(2026, 11, 4),
                    shift_id=mine,
                    status=DutyStatus.late,
                    reason="补签：忘记扫码",
                    by_id=me.id,
                ),
                ShiftOverride(
                    semester_id=team.semester_id,
                    on=date(2026, 11, 20),
                    kind=OverrideKind.swap,
                    shift_id=theirs,
                    user_id=me.id,
                    replaced_user_id=other.id,
                ),
            ]
        )
        return me.id


def test_the_late_count_is_the_read_models_with_a_history(client, app, team, clock, db):
    user_id = _history(db, team)
    clock.set(at(8, 7))
    scan_and_login(client, app, team, team.assistants[0])
    seen, page = counted_press(client, app, "sign_in")
    assert "迟到 7 分钟" in page
    assert len(seen) <= BUDGET, "\n".join(seen)
    shown = int(re.search(r"本学期已迟到 (\d+) 次", page).group(1))
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        everyone = semester_attendance(s, semester, at(8, 7)).summaries()
    assert shown == everyone.get(user_id, AttendanceSummary()).late == 3


def test_one_persons_read_is_the_whole_teams(demo_db):
    """The one-statement read of a person gives the outcomes and inputs of the full read."""
    with demo_db.session() as s:
        checked = 0
        for semester in s.scalars(select(Semester)):
            team = semester_attendance(s, semester, DEMO_NOW).by_user()
            members = s.scalars(select(User.id).where(User.team_id == semester.team_id))
            for user_id in members:
                quick = person_inputs(s, semester, user_id)
                full = _semester_inputs(s, semester, {user_id})
                for name in ("events", "overrides", "shifts", "breaks", "leaves"):
                    assert sorted(map(repr, getattr(quick, name))) == sorted(
                        map(repr, getattr(full, name))
                    ), name
                assert quick.windows == full.windows
                assert quick.corrections == full.corrections
                mine = semester_attendance(s, semester, DEMO_NOW, user_ids={user_id})
                assert sorted(map(repr, mine.outcomes)) == sorted(map(repr, team.get(user_id, [])))
                checked += len(mine.outcomes)
        assert checked > 1000  # the demo's semesters, not an empty loop


def test_todays_duties_from_one_read_match_duties_on(demo_db):
    """The door's duties of the day come from the person's read, equal to ``duties_on``."""
    from data.attendance import duties_on

    with demo_db.session() as s:
        semester = s.scalar(select(Semester).order_by(Semester.start.desc()))
        users = list(s.scalars(select(User.id).where(User.team_id == semester.team_id)))
        day = DEMO_NOW.date()
        for offset in range(-3, 4):
            moment = date.fromordinal(day.toordinal() + offset)
            for user_id in users:
                quick = person_inputs(s, semester, user_id).duties_on(semester, moment, user_id)
                assert quick == duties_on(s, semester, moment, user_id)

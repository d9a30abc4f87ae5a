"""The lean door (issue 16): only the person's duties, the read model's count, caches that follow
every write. Statements are counted and calls recorded, never timed.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

import data.attendance as attendance
import data.attendance_inputs as attendance_inputs
import data.services.door_reads as door_reads
import data.services.door_rules as door_rules
from data import revision
from data.attendance import semester_attendance
from data.attendance_inputs import person_inputs
from data.models import OverrideKind, Semester, Shift, ShiftAssignment, ShiftOverride, User
from data.policy.types import AttendanceSummary
from tests.conftest import DEMO_NOW, AuthActions, csrf_token
from tests.web.test_door import at, poster_url, scan_and_login
from tests.web.test_door_statements import _history, counted_press

pytestmark = pytest.mark.db


@pytest.fixture
def clock(app):
    class Clock:
        moment = at(8, 0)

        def set(self, moment) -> None:
            self.moment = moment

    c = Clock()
    app.config["CLOCK"] = lambda: c.moment
    return c


def _share_the_shift(db, team) -> set[int]:
    """Put the other assistants on assistants[0]'s Wednesday shift; their user ids."""
    with db.session() as s:
        me = s.scalar(select(User).where(User.username == team.assistants[0]))
        shift = s.scalar(
            select(Shift.id).join(ShiftAssignment).where(ShiftAssignment.user_id == me.id)
        )
        others = set(s.scalars(select(User.id).where(User.username.in_(team.assistants[1:]))))
        s.add_all(ShiftAssignment(shift_id=shift, user_id=uid) for uid in others)
        s.commit()
        return others


def _recording(monkeypatch, module, name: str, seen: list[int], result_users: bool = False):
    """Wrap ``module.name`` to note the user of every duty it is given (or returns)."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if result_users:
            seen.extend(d.user_id for d in result)
        else:
            seen.append(args[0].user_id)
        return result

    monkeypatch.setattr(module, name, wrapper)


def test_a_sign_in_classifies_and_expands_only_the_persons_duties(
    client, app, team, clock, db, monkeypatch
):
    others = _share_the_shift(db, team)
    user_id = _history(db, team)
    classified: list[int] = []
    expanded: list[int] = []
    _recording(monkeypatch, attendance, "classify_duty", classified)
    _recording(monkeypatch, door_rules, "classify_duty", classified)
    _recording(monkeypatch, attendance_inputs, "expected_duties", expanded, result_users=True)
    clock.set(at(8, 7))
    scan_and_login(client, app, team, team.assistants[0])
    classified.clear()
    expanded_by_page = len(expanded)
    seen, page = counted_press(client, app, "sign_in")
    assert "迟到 7 分钟" in page and "本学期已迟到 3 次（3 次即不合格）" in page
    assert classified and set(classified) == {user_id}
    # The door page expanded the person's semester once; the press and its late count reuse it.
    assert expanded_by_page and len(expanded) == expanded_by_page
    # Nobody else on the shared shift is expanded; only whom the person's swap replaces.
    with db.session() as s:
        replaced = s.scalar(select(User.id).where(User.username == team.assistants[1]))
    assert user_id in expanded and set(expanded) <= {user_id, replaced}
    assert not (others - {replaced}) & set(expanded)
    # The count shown is the whole team's read model's figure for the person.
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        everyone = semester_attendance(s, semester, at(8, 7)).summaries()
    shown = int(re.search(r"本学期已迟到 (\d+) 次", page).group(1))
    assert shown == everyone.get(user_id, AttendanceSummary()).late


def test_a_repeated_press_reads_the_state_only(client, app, team, clock):
    """Once nothing was written since, a press needs no second read of the person's semester."""
    scan_and_login(client, app, team, team.assistants[0])
    client.get("/checkin/door")  # the page read the person's inputs under this revision
    seen, page = counted_press(client, app, "sign_in")
    assert "准时" in page
    clock.set(at(8, 9))
    client.get(poster_url(app, team.place_id))  # a fresh scan: its proof lets the press through
    counted_press(client, app, "sign_in")  # after the write: read again, then kept
    client.get(poster_url(app, team.place_id))
    seen, page = counted_press(client, app, "sign_in")
    assert "已签到（08:00）" in page
    assert not any("UNION ALL" in s for s in seen), "\n".join(seen)
    assert len(seen) <= 3  # BEGIN, the login, the state row


def test_a_schedule_edit_today_is_seen_at_once(client, app, team, clock, db):
    """The per-process inputs are keyed on the data revision: a new duty shows on the next scan."""
    clock.set(at(14, 0))  # no duty of assistants[0] now: 加班
    page = scan_and_login(client, app, team, team.assistants[0]).get_data(as_text=True)
    assert "现在没有你的值班" in page
    assert "现在没有你的值班" in client.get("/checkin/door").get_data(as_text=True)  # cached
    with db.session() as s:
        me = s.scalar(select(User.id).where(User.username == team.assistants[0]))
        s.add(
            ShiftOverride(
                semester_id=team.semester_id,
                on=at(14, 0).date(),
                kind=OverrideKind.extra,
                user_id=me,
                start=time(14, 0),
                end=time(16, 0),
                reason="临时加一班",
            )
        )
        s.commit()
    page = client.get("/checkin/door").get_data(as_text=True)
    assert "现在没有你的值班" not in page and "14:00–16:00" in page
    seen, result = counted_press(client, app, "sign_in")
    assert "准时" in result and "14:00–16:00" in result


def test_the_persons_own_read_gives_the_full_reads_duties_and_outcomes(demo_db):
    """``person_inputs(own=True)`` (the door's read) equals the whole team's, person by person."""
    with demo_db.session() as s:
        checked = 0
        for semester in s.scalars(select(Semester)):
            team = semester_attendance(s, semester, DEMO_NOW).by_user()
            members = list(s.scalars(select(User.id).where(User.team_id == semester.team_id)))
            days = [DEMO_NOW.date() + timedelta(days=k) for k in range(-3, 4)]
            for user_id in members:
                own = person_inputs(s, semester, user_id, own=True)
                for day in (*days, semester.start, date(semester.start.year, 10, 8)):
                    assert own.duties_on(semester, day, user_id) == attendance.duties_on(
                        s, semester, day, user_id
                    )
                mine = semester_attendance(s, semester, DEMO_NOW, {user_id}, inputs=own)
                assert sorted(map(repr, mine.outcomes)) == sorted(map(repr, team.get(user_id, [])))
                checked += len(mine.outcomes)
        assert checked > 1000


def _fresh_inputs(db, team, username: str):
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        user_id = s.scalar(select(User.id).where(User.username == username))
        return user_id, person_inputs(s, semester, user_id, own=True)


def _kept(user_id: int):
    return next(
        (
            v
            for entries in door_reads._INPUTS_CACHE.values()
            for k, v in entries.items()
            if k != "revision" and k[-1] == user_id
        ),
        None,
    )


def test_a_sign_in_carries_everyone_elses_reads_forward(client, app, team, clock, db):
    """The door's own commit is the only change: others' kept reads stay and equal fresh ones."""
    _share_the_shift(db, team)
    other = app.test_client()
    scan_and_login(other, app, team, team.assistants[1])  # B's page read B's inputs
    scan_and_login(client, app, team, team.assistants[0])  # A's login changed no data
    seen, page = counted_press(client, app, "sign_in")
    assert "准时" in page
    with db.session() as s:
        team_id = s.get(Semester, team.semester_id).team_id
        assert door_reads._INPUTS_CACHE[team_id]["revision"][1] == revision.current(s, team_id)
    for username in team.assistants[:2]:
        user_id, fresh = _fresh_inputs(db, team, username)
        assert _kept(user_id) == fresh  # A's with the sign-in it wrote, B's as read
    clock.set(at(8, 1))
    seen, page = counted_press(other, app, "sign_in")
    assert "准时" in page
    assert not any("UNION ALL" in s for s in seen), "B's inputs were read again"


def test_a_write_in_between_drops_the_kept_reads(client, app, team, clock, db):
    """Another commit between a read and the press: nothing read before it is used after it."""
    other = app.test_client()
    scan_and_login(other, app, team, team.assistants[1])
    scan_and_login(client, app, team, team.assistants[0])
    token = csrf_token(client.get("/checkin/door").get_data(as_text=True))
    with db.session() as s:  # e.g. the 团长 gives B an extra duty meanwhile
        b = s.scalar(select(User.id).where(User.username == team.assistants[1]))
        s.add(
            ShiftOverride(
                semester_id=team.semester_id,
                on=at(8, 0).date(),
                kind=OverrideKind.extra,
                user_id=b,
                start=time(18, 0),
                end=time(19, 0),
                reason="晚班",
            )
        )
    reply = client.post("/checkin/door", data={"action": "sign_in", "csrf_token": token})
    assert reply.status_code == 303
    assert _kept(b) is None
    page = other.get("/checkin/door").get_data(as_text=True)
    assert "18:00–19:00" in page or "18:00" in page
    user_id, fresh = _fresh_inputs(db, team, team.assistants[1])
    assert _kept(user_id) == fresh


def test_logins_and_logouts_keep_the_data_revision(client, app, team, db):
    with db.session() as s:
        before = revision.current(s)
    AuthActions(client).login(team.assistants[0])
    AuthActions(client).logout()
    with db.session() as s:
        assert revision.current(s) == before
        s.add(
            ShiftOverride(semester_id=team.semester_id, on=at(8).date(), kind=OverrideKind.cancel)
        )
    with db.session() as s:
        assert revision.current(s) != before


def test_succession_only_when_nothing_else_was_committed(db, team):
    """The door carries its reads forward only if its commit replaced the token it read under."""
    from data.db import write_transaction
    from data.models import AuditLog

    with db.sessionmaker() as s, db.sessionmaker() as other:
        read_under = revision.current(s)
        with write_transaction(s):
            revision.expect(s, read_under)
            s.add(AuditLog(action="mine", entity="test"))
        expected, new = revision.succession(s)
        assert expected == read_under and new == revision.current(s) != read_under
        assert revision.succession(s) is None  # told once
        read_under = new
        with write_transaction(other):  # someone else commits after our read
            other.add(AuditLog(action="theirs", entity="test"))
        with write_transaction(s):
            revision.expect(s, read_under)
            s.add(AuditLog(action="mine again", entity="test"))
        assert revision.succession(s) is None
        assert revision.current(s) not in (read_under, None)

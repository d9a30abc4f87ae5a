"""The report cache: reused within a minute while nothing is written, rebuilt after any write."""

from __future__ import annotations

import dataclasses
import importlib
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from checkin.door.tokens import make_poster_token
from data import revision
from data.db import Database, write_transaction
from data.demo import ASSISTANT_PASSWORD, COUNSELOR_USERNAME
from data.models import (
    AuditLog,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Place,
    Semester,
    Team,
    User,
)
from data.policy.types import UPCOMING
from data.report import SemesterReport, build_report
from data.report_cache import cached_report
from data.services import corrections, leave, settings
from data.timeutil import utcnow
from tests.conftest import DEMO_NOW, DEMO_TODAY, TEST_DATABASE_URL, csrf_token
from tests.dash_helpers import logged_in, texts
from web import get_session

pytestmark = pytest.mark.db


def semester_id_of(app) -> int:
    with app.app_context():
        return get_session().scalar(
            select(Semester.id).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
        )


def report_at(app, moment=DEMO_NOW) -> SemesterReport:
    """The cached report as a callback gets it: in a request of its own (a fresh session)."""
    with app.app_context():
        session = get_session()
        return cached_report(session, session.get(Semester, semester_id_of(app)), moment)


def fresh(app, moment=DEMO_NOW) -> SemesterReport:
    with app.app_context():
        session = get_session()
        return build_report(session, session.get(Semester, semester_id_of(app)), moment)


def counts(report: SemesterReport) -> dict[str, tuple]:
    """Every member's numbers, comparable across reports."""
    return {
        m.username: (m.attendance, m.warning.level, m.final_grade, m.stipend.amount)
        for m in report.members
    }


def past_outcome(report: SemesterReport, status: str):
    return next(
        o
        for o in sorted(report.attendance.outcomes, key=lambda o: o.duty.start)
        if o.status == status and not o.duty.extra and o.duty.day < DEMO_TODAY
    )


def test_the_same_minute_without_a_write_reuses_the_report(demo_app):
    first = report_at(demo_app)
    again = report_at(demo_app, DEMO_NOW + timedelta(seconds=59))
    assert again.members is first.members and again.attendance is first.attendance
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id_of(demo_app))
        one = cached_report(session, semester, DEMO_NOW)
        assert cached_report(session, semester, DEMO_NOW) is one  # same session: same object
        assert one.semester is semester  # the caller's, not a closed session's
    assert counts(first) == counts(fresh(demo_app))


def test_a_different_minute_recomputes(demo_app):
    first = report_at(demo_app)
    later = report_at(demo_app, DEMO_NOW + timedelta(minutes=1))
    assert later.members is not first.members
    assert later.as_of == DEMO_NOW + timedelta(minutes=1)


def test_a_door_sign_in_invalidates(demo_app):
    report = fresh(demo_app)
    members = {m.user_id: m for m in report.members}
    duty = next(
        o.duty
        for o in sorted(report.attendance.outcomes, key=lambda o: o.duty.start)
        if o.status == UPCOMING and o.duty.day == DEMO_TODAY and o.duty.user_id in members
    )
    member = members[duty.user_id]
    moment = duty.start + timedelta(minutes=12)
    demo_app.config["CLOCK"] = lambda: moment
    before = report_at(demo_app, moment)
    with demo_app.app_context():
        session = get_session()
        place = session.scalar(select(Place).where(Place.team_id == before.semester.team_id))
        url = f"/checkin/door?t={make_poster_token(demo_app.secret_key, place.id, place.poster_version)}"
    client = demo_app.test_client()
    client.get(url)
    login = client.get("/login").get_data(as_text=True)
    form = {"username": member.username, "password": ASSISTANT_PASSWORD}
    client.post("/login", data={**form, "csrf_token": csrf_token(login)})
    door = client.get("/checkin/door").get_data(as_text=True)
    answer = client.post(
        "/checkin/door",
        data={"action": "sign_in", "csrf_token": csrf_token(door)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "迟到 12 分钟" in answer

    after = report_at(demo_app, moment)
    late = {m.username: m.attendance.late for m in after.members}
    assert late[member.username] == before_late(before, member.username) + 1
    assert counts(after) == counts(fresh(demo_app, moment))


def before_late(report: SemesterReport, username: str) -> int:
    return next(m.attendance.late for m in report.members if m.username == username)


def test_a_leave_approval_invalidates(demo_app):
    absent = past_outcome(fresh(demo_app), "absent")
    with demo_app.app_context():
        session = get_session()
        request = LeaveRequest(
            user_id=absent.duty.user_id,
            duty_date=absent.duty.day,
            shift_id=absent.duty.shift_id,
            kind=LeaveKind.sick,
            reason="发烧去医院",
            status=LeaveStatus.pending,
            created_at=absent.duty.start - timedelta(days=1),
        )
        session.add(request)
        session.commit()
        request_id = request.id
    before = report_at(demo_app)
    with demo_app.app_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == COUNSELOR_USERNAME))
        with write_transaction(session):
            leave.approve(session, actor, session.get(LeaveRequest, request_id), "", at=utcnow())
    after = report_at(demo_app)
    assert after.members is not before.members
    mine = {m.user_id: m.attendance for m in after.members}[absent.duty.user_id]
    was = {m.user_id: m.attendance for m in before.members}[absent.duty.user_id]
    assert (mine.absent, mine.leave) == (was.absent - 1, was.leave + 1)
    assert counts(after) == counts(fresh(demo_app))


def test_a_settings_change_invalidates(demo_app):
    before = report_at(demo_app)
    with demo_app.app_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == COUNSELOR_USERNAME))
        current = settings.team_settings_history(session, actor.team_id).current
        changed = dataclasses.replace(current, hourly_rate=30)
        with write_transaction(session):
            done = settings.save(
                session, actor, changed, "settings.save", confirmed=True, at=DEMO_NOW
            )
        assert done is not None
    after = report_at(demo_app)
    assert after.members is not before.members
    assert after.attendance.settings.hourly_rate == 30
    assert counts(after) == counts(fresh(demo_app))
    assert counts(after) != counts(before)  # the stipends moved


def test_a_correction_invalidates(demo_app):
    absent = past_outcome(fresh(demo_app), "absent")
    before = report_at(demo_app)
    with demo_app.app_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == COUNSELOR_USERNAME))
        form = corrections.CorrectionForm(
            user_id=absent.duty.user_id,
            day=absent.duty.day,
            shift=str(absent.duty.shift_id),
            status="normal",
            reason="忘记扫码，值班表有签名为证",
        )
        with write_transaction(session):
            corrections.correct(session, actor, form, at=DEMO_NOW)
    after = report_at(demo_app)
    mine = {m.user_id: m.attendance for m in after.members}[absent.duty.user_id]
    was = {m.user_id: m.attendance for m in before.members}[absent.duty.user_id]
    assert mine.absent == was.absent - 1
    assert counts(after) == counts(fresh(demo_app))


def test_pages_show_a_write_at_once(demo_app):
    """The 考勤 page itself: a plain session commit (no write_transaction) invalidates too."""
    attendance = importlib.import_module("dashboard.pages.attendance")
    semester_id = semester_id_of(demo_app)
    absent = past_outcome(fresh(demo_app), "absent")
    with logged_in(demo_app, COUNSELOR_USERNAME):
        attendance.render_attendance(semester_id)
        session = get_session()
        session.add(
            LeaveRequest(
                user_id=absent.duty.user_id,
                duty_date=absent.duty.day,
                shift_id=absent.duty.shift_id,
                kind=LeaveKind.sick,
                reason="补录的病假",
                status=LeaveStatus.approved,
                created_at=absent.duty.start - timedelta(days=1),
            )
        )
        session.commit()
    with logged_in(demo_app, COUNSELOR_USERNAME):
        body = texts(attendance.render_attendance(semester_id))
        report = cached_report(get_session(), get_session().get(Semester, semester_id), DEMO_NOW)
    assert counts(report) == counts(fresh(demo_app))
    assert body  # the page rendered from the new report


def test_revision_moves_with_commits_only(db, team):
    with db.session() as s:
        start = revision.current(s)
    with db.sessionmaker() as s:  # a refused write leaves the revision alone
        with pytest.raises(RuntimeError), write_transaction(s):
            s.add(AuditLog(action="test", entity="test"))
            raise RuntimeError
        assert revision.current(s) == start
    with db.sessionmaker() as s:  # reads commit without a bump
        s.scalar(select(User.id).limit(1))
        s.commit()
        assert revision.current(s) == start
    with db.sessionmaker() as s:  # a Core statement on the connection, inside write_transaction
        with write_transaction(s):
            s.connection().execute(insert(AuditLog).values(action="core", entity="test"))
        core = revision.current(s)
    assert core != start
    with db.sessionmaker() as s:  # a rolled-back savepoint keeps the outer write's bump
        s.add(AuditLog(action="outer", entity="test"))
        with s.begin_nested() as nested:
            s.add(AuditLog(action="inner", entity="test"))
            nested.rollback()
        s.commit()
        assert revision.current(s) not in (start, core)


def test_a_missing_row_is_recreated(db, team):
    with db.session() as s:
        s.execute(revision.DataRevision.__table__.delete())
    with db.session() as s:
        assert revision.current(s) is not None  # the delete was a write: its commit upserted


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="needs two database files")
def test_two_databases_do_not_share_entries(demo_app, demo_url, tmp_path):
    from app import create_app

    copy = tmp_path / "other.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    other = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{copy}", "SECRET_KEY": "k"})
    try:
        mine = report_at(demo_app)
        theirs = report_at(other)
        assert theirs.members is not mine.members  # same revision token, same id: other data
        assert report_at(other).members is theirs.members
    finally:
        other.extensions["zhuguantong.db"].dispose()


def test_a_fresh_engine_on_the_same_database_starts_empty(demo_url):
    """Engines are numbered for life, so a disposed one's entries never serve a new one."""
    first, second = Database(demo_url), Database(demo_url)
    try:
        with first.session() as s:
            one = cached_report(s, s.get(Semester, _current(s)), DEMO_NOW)
        with second.session() as s:
            two = cached_report(s, s.get(Semester, _current(s)), DEMO_NOW)
        assert two.members is not one.members
    finally:
        first.dispose()
        second.dispose()


def _current(session) -> int:
    return session.scalar(
        select(Semester.id).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
    )


def _other_team(session) -> int:
    other = Team(name="另一个学院的助管团")
    session.add(other)
    session.flush()
    return other.id


def _door_style_write(session, team_id: int) -> None:
    """What the door's transaction does: Core rows of one team, ``write_transaction(team=…)``."""
    with write_transaction(session, team=team_id):
        session.connection().execute(insert(AuditLog).values(action="door-like", entity="test"))


def test_a_door_write_moves_only_its_teams_revision(db, team):
    with db.session() as s:
        mine = s.get(Semester, team.semester_id).team_id
        other = _other_team(s)
    with db.sessionmaker() as s:
        before = {key: revision.current(s, key) for key in (None, mine, other)}
        _door_style_write(s, mine)
        assert revision.current(s) == before[None]  # the global token stays
        assert revision.current(s, other) == before[other]
        assert revision.current(s, mine) not in (before[mine], None)
        mine_now = revision.current(s, mine)
        with write_transaction(s, team=mine):  # an ORM row in the same transaction: global
            s.add(AuditLog(action="orm", entity="test"))
        assert revision.current(s) != before[None]
        assert revision.current(s, other) != before[other]
        assert revision.current(s, mine) != mine_now


def test_a_team_write_succeeds_only_its_own_read(db, team):
    """Succession for a door write: no write of the team and no global write in between."""
    with db.session() as s:
        mine = s.get(Semester, team.semester_id).team_id
        other = _other_team(s)
    with db.sessionmaker() as s, db.sessionmaker() as o:
        first = revision.current(s, mine)  # "<global>/-": the team has no token yet
        assert first.endswith("/-")
        s.rollback()
        _door_style_write(o, mine)  # someone else's first token in between
        with write_transaction(s, team=mine):
            revision.expect(s, first)
        assert revision.succession(s) is None
        with db.session() as gone:  # the team again without a token
            gone.execute(revision.TeamRevision.__table__.delete())
        first = revision.current(s, mine)
        with write_transaction(s, team=mine):
            revision.expect(s, first)
        expected, new = revision.succession(s)  # the first token, nobody in between
        assert expected == first and new == revision.current(s, mine) != first
        read_under = revision.current(s, mine)
        _door_style_write(o, other)  # another team's sign-in in between
        with write_transaction(s, team=mine):
            revision.expect(s, read_under)
        expected, new = revision.succession(s)
        assert expected == read_under and new == revision.current(s, mine) != read_under
        for meanwhile in (lambda: _door_style_write(o, mine), lambda: _global_write(o)):
            read_under = revision.current(s, mine)
            s.rollback()
            meanwhile()
            with write_transaction(s, team=mine):
                revision.expect(s, read_under)
            assert revision.succession(s) is None
            assert revision.current(s, mine) not in (read_under, None)


def _global_write(session) -> None:
    with write_transaction(session):
        session.add(AuditLog(action="global", entity="test"))


def test_another_teams_door_write_keeps_the_report(demo_app):
    """At university scale one team's sign-ins must not rebuild every other team's report."""
    first = report_at(demo_app)
    with demo_app.app_context():
        session = get_session()
        other = _other_team(session)
        session.commit()  # a new team: a global write
        first = report_at(demo_app)
        _door_style_write(session, other)
        assert report_at(demo_app).members is first.members
        _door_style_write(session, first.semester.team_id)
        rebuilt = report_at(demo_app)
    assert rebuilt.members is not first.members
    assert counts(rebuilt) == counts(fresh(demo_app))

"""Migrations and a model round trip, on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from data.db import Database
from data.migrate import downgrade, upgrade
from data.models import (
    Assessment,
    AuditLog,
    Base,
    CheckAction,
    CheckEvent,
    CheckMethod,
    Grade,
    LeaveKind,
    LeaveRequest,
    Meeting,
    MeetingAttendance,
    Presence,
    Role,
    Semester,
    Shift,
    Stipend,
    User,
)
from data.timeutil import LOCAL_TZ

pytestmark = pytest.mark.db


def test_migrations_create_every_table(db):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(db):
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(database.engine)
    downgrade(database.engine, "base")
    assert inspect(database.engine).get_table_names() == ["alembic_version"]
    upgrade(database.engine)
    assert "check_event" in inspect(database.engine).get_table_names()
    database.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.dispose()


def test_round_trip(db, team):
    signed_in = datetime(2026, 9, 9, 8, 2, tzinfo=LOCAL_TZ)
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[0]))
        shift = s.scalar(select(Shift).where(Shift.semester_id == team.semester_id).limit(1))
        s.add(
            CheckEvent(
                user_id=user.id,
                action=CheckAction.sign_in,
                at=signed_in,
                method=CheckMethod.qr,
                duty_date=date(2026, 9, 9),
                shift_id=shift.id,
                source_ip="10.1.2.3",
                device_id="dev-1",
            )
        )
        s.add(
            LeaveRequest(
                user_id=user.id,
                duty_date=date(2026, 9, 16),
                shift_id=shift.id,
                kind=LeaveKind.exam,
                reason="期中考试",
            )
        )
        meeting = Meeting(
            semester_id=team.semester_id,
            held_on=date(2026, 9, 20),
            topic="第一次例会",
            minutes="总结开学工作",
        )
        meeting.attendance.append(MeetingAttendance(user_id=user.id, status=Presence.excused))
        s.add(meeting)
        s.add(
            Assessment(
                semester_id=team.semester_id,
                user_id=user.id,
                total=88.5,
                grade=Grade.qualified,
                reasons="",
            )
        )
        s.add(
            Stipend(
                semester_id=team.semester_id,
                user_id=user.id,
                month="2026-09",
                hours=Decimal("12.50"),
                rate=Decimal("20"),
                grade_factor=Decimal("1.0"),
                amount=Decimal("250.00"),
            )
        )
        s.add(
            AuditLog(
                actor_id=user.id,
                action="test",
                entity="user",
                entity_id=str(user.id),
                before={"a": 1},
                after={"a": "二"},
            )
        )

    with db.session() as s:
        event = s.scalar(select(CheckEvent))
        assert event.at == signed_in and event.at.tzinfo is not None
        assert event.at.utcoffset() == timedelta(0)  # stored and returned as UTC
        assert event.action is CheckAction.sign_in and event.method is CheckMethod.qr
        leave = s.scalar(select(LeaveRequest))
        assert (
            leave.kind is LeaveKind.exam
            and leave.status.value == "pending"
            and not leave.after_start
        )
        assert s.scalar(select(MeetingAttendance)).status is Presence.excused
        assessment = s.scalar(select(Assessment))
        assert assessment.final_grade is Grade.qualified and assessment.total == 88.5
        assert s.scalar(select(Stipend)).amount == Decimal("250.00")
        assert s.scalar(select(AuditLog)).after == {"a": "二"}
        semester = s.get(Semester, team.semester_id)
        assert [sh.start for sh in semester.shifts][0] == time(8, 0)
        assert s.scalar(select(User).where(User.role == Role.counselor)).username == team.counselor


def test_one_sign_in_per_duty_is_enforced_by_the_database(db, team):
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[0]))
        shift = s.scalar(select(Shift).limit(1))
        ids = (user.id, shift.id)
    at = datetime(2026, 9, 9, 0, 1, tzinfo=UTC)
    with db.session() as s:
        s.add(
            CheckEvent(
                user_id=ids[0],
                action=CheckAction.sign_in,
                at=at,
                duty_date=date(2026, 9, 9),
                shift_id=ids[1],
            )
        )
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            CheckEvent(
                user_id=ids[0],
                action=CheckAction.sign_in,
                at=at,
                duty_date=date(2026, 9, 9),
                shift_id=ids[1],
            )
        )


def test_naive_datetimes_are_refused(db, team):
    with pytest.raises(Exception, match="naive"), db.session() as s:
        user = s.scalar(select(User).limit(1))
        s.add(
            CheckEvent(user_id=user.id, action=CheckAction.sign_in, at=datetime(2026, 9, 9, 8, 0))
        )
        s.flush()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(CheckEvent(user_id=999_999, action=CheckAction.sign_in, at=datetime.now(UTC)))
        s.flush()


def test_stored_counts_are_the_summary_counts():
    """The stored summaries hold every AttendanceSummary count, no more, no fewer."""
    from data.models.summary import SemesterSummary, SemesterWeekTotal
    from data.summaries import COUNTS

    for model in (SemesterSummary, SemesterWeekTotal):
        columns = set(model.__table__.columns.keys())
        assert set(COUNTS) <= columns
        assert columns - set(COUNTS) <= {"id", "semester_id", "user_id", "week", "month", "hours"}

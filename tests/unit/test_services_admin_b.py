"""The workbench's write side without Flask: data.services.{recruitment, people, meetings,
assessment, stipend} take a session, the acting user and plain values, enforce the rule, audit
the change and refuse with a Chinese message (nothing written)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data.db import write_transaction
from data.models import (
    Appointment,
    AuditLog,
    Meeting,
    Semester,
    Stage,
    Stipend,
    StipendStatus,
    User,
)
from data.services import Refused, meetings, people, recruitment, stipend
from data.services.semesters import LOCKED_MESSAGE

AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
IP = "10.0.0.7"
MODULES = ("recruitment", "people", "meetings", "assessment", "stipend")


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _appointment(session, team, username: str) -> Appointment:
    person = _user(session, username)
    return session.scalar(
        select(Appointment).where(
            Appointment.user_id == person.id, Appointment.semester_id == team.semester_id
        )
    )


def _audits(session) -> int:
    return session.scalar(select(func.count(AuditLog.id)))


def test_services_import_neither_flask_nor_checkin():
    code = (
        "import sys\n"
        + "".join(f"import data.services.{m}\n" for m in MODULES)
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'checkin')]\n"
        + "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_short_notice_resignation_needs_the_override(session, team):
    counselor = _user(session, team.counselor)
    appointment = _appointment(session, team, team.assistants[0])
    before = _audits(session)
    requested, leaving = date(2026, 10, 12), date(2026, 10, 20)
    with pytest.raises(Refused, match="提前 30 天"), write_transaction(session):
        people.resign(session, counselor, appointment, requested, leaving, "", at=AT, ip=IP)
    assert _appointment(session, team, team.assistants[0]).stage is Stage.appointed
    assert _audits(session) == before

    with write_transaction(session):
        short = people.resign(
            session, counselor, appointment, requested, leaving, "", override=True, at=AT, ip=IP
        )
    assert short is True
    stored = _appointment(session, team, team.assistants[0])
    assert stored.stage is Stage.resigned and stored.ended_on == leaving
    assert stored.history[-1].reason == f"【{people.SHORT_NOTICE_FLAG}】本人书面申请辞职"
    entry = session.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert (entry.action, entry.actor_id, entry.team_id) == (
        "appointment.resign",
        counselor.id,
        team.team_id,
    )
    assert entry.source_ip == IP and entry.after["short_notice_override"] is True


def test_early_appointment_is_refused_without_override_and_marked_with_it(session, team):
    counselor = _user(session, team.counselor)
    appointment = _appointment(session, team, team.assistants[1])
    with write_transaction(session):
        appointment.stage = Stage.trial
        appointment.appointed_on = None
    on = appointment.trial_start + timedelta(days=10)
    with pytest.raises(Refused, match="提前转正"), write_transaction(session):
        recruitment.move(session, counselor, appointment, "appoint", on, "", at=AT, ip=IP)
    with pytest.raises(Refused, match="须填写原因"), write_transaction(session):
        recruitment.move(
            session, counselor, appointment, "appoint", on, "", early=True, at=AT, ip=IP
        )
    with write_transaction(session):
        recruitment.move(
            session, counselor, appointment, "appoint", on, "表现突出", early=True, at=AT, ip=IP
        )
    assert appointment.stage is Stage.appointed
    assert recruitment.is_early(appointment)


def test_meetings_of_a_finalized_semester_are_refused(session, team):
    counselor = _user(session, team.counselor)
    semester = session.get(Semester, team.semester_id)
    with write_transaction(session):
        semester.finalized_at = AT
    with pytest.raises(Refused, match=LOCKED_MESSAGE), write_transaction(session):
        meetings.create_meeting(session, counselor, semester, date(2026, 10, 1), "例会", at=AT)
    assert session.scalar(select(func.count(Meeting.id))) == 0
    # Trainings do not feed the assessment: they stay open.
    with write_transaction(session):
        training = meetings.create_training(
            session, counselor, semester, date(2026, 10, 1), "安全培训", "学校", at=AT
        )
    assert training.id is not None


def test_stipend_is_paid_only_after_approval(session, team):
    counselor = _user(session, team.counselor)
    semester = session.get(Semester, team.semester_id)
    with write_transaction(session):
        done = stipend.compute(session, counselor, semester, at=AT, ip=IP)
    assert done.count == 4 and done.estimate
    with pytest.raises(Refused, match="只有已审批"), write_transaction(session):
        stipend.transition(session, counselor, semester, "paid", None, at=AT)
    with write_transaction(session):
        assert stipend.transition(session, counselor, semester, "approved", None, at=AT) == 4
    # Approved money is frozen: recomputing would change what was signed off.
    with pytest.raises(Refused, match="不能重新计算"), write_transaction(session):
        stipend.compute(session, counselor, semester, at=AT)
    statuses = set(session.scalars(select(Stipend.status)))
    assert statuses == {StipendStatus.approved}

"""The workbench services run without Flask: session + actor + plain values → rule → audit."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest
from sqlalchemy import select

from data.db import write_transaction
from data.models import AuditLog, LeaveKind, LeaveRequest, LeaveStatus, Semester, User
from data.services import Refused, accounts, corrections, leave, semesters
from data.timeutil import LOCAL_TZ

pytestmark = pytest.mark.db

WEDNESDAY = date(2026, 11, 25)  # 张三 (2023101) is on duty 08:00–10:00
THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=LOCAL_TZ)


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _actions(session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_services_import_no_flask():
    code = (
        "import sys, data.services.leave, data.services.corrections, data.services.settings, "
        "data.services.semesters, data.services.accounts; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('flask', 'checkin', 'web')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_phone_leave_then_locked_semester_refuses_a_decision(db, team):
    with db.session() as s:
        counselor, zhang = _user(s, team.counselor), _user(s, "2023101")
        with write_transaction(s):
            person, duty = leave.record_phone_leave(
                s, counselor, zhang.id, WEDNESDAY, "", "发烧", at=THURSDAY_NOON, ip="10.0.0.1"
            )
        assert (person.id, duty.day) == (zhang.id, WEDNESDAY)
        # A second phone leave for the same duty is refused: at most one open request.
        with pytest.raises(Refused, match="已有电话请假申请"), write_transaction(s):
            leave.record_phone_leave(
                s, counselor, zhang.id, WEDNESDAY, "", "又一次", at=THURSDAY_NOON
            )
        pending = LeaveRequest(
            user_id=_user(s, "2023102").id,
            duty_date=date(2026, 11, 27),
            kind=LeaveKind.personal,
            reason="家中有事",
            status=LeaveStatus.pending,
        )
        s.add(pending)
        s.get(Semester, team.semester_id).finalized_at = THURSDAY_NOON
        s.commit()
        with pytest.raises(semesters.Locked), write_transaction(s):
            leave.approve(s, counselor, pending, "", at=THURSDAY_NOON)
        assert s.get(LeaveRequest, pending.id).status is LeaveStatus.pending
        assert _actions(s) == ["leave.phone"]
        entry = s.scalar(select(AuditLog))
        assert (entry.actor_id, entry.team_id, entry.source_ip) == (
            counselor.id,
            team.team_id,
            "10.0.0.1",
        )


def test_finalize_only_after_the_end_and_unlock_needs_a_reason(db, team):
    with db.session() as s:
        counselor = _user(s, team.counselor)
        semester = s.get(Semester, team.semester_id)
        with pytest.raises(Refused, match="结束后才能定稿"), write_transaction(s):
            semesters.finalize(s, counselor, semester, at=THURSDAY_NOON)
        after_end = datetime(2027, 1, 16, 9, 0, tzinfo=LOCAL_TZ)
        with write_transaction(s):
            assert semesters.finalize(s, counselor, semester, at=after_end)
        with write_transaction(s):
            assert not semesters.finalize(s, counselor, semester, at=after_end)  # already locked
        with pytest.raises(Refused, match="至少 4 个字"), write_transaction(s):
            semesters.unlock(s, counselor, semester, "改", at=after_end)
        with write_transaction(s):
            assert semesters.unlock(s, counselor, semester, "补录漏签记录", at=after_end)
        with write_transaction(s):
            assert semesters.finalize(s, counselor, semester, at=after_end)
        assert _actions(s) == ["semester.finalize", "semester.unlock", "semester.relock"]


def test_correction_needs_permission_and_a_started_duty(db, team):
    with db.session() as s:
        leader, zhang = _user(s, team.leader), _user(s, "2023101")
        form = corrections.CorrectionForm(
            user_id=leader.id, day=WEDNESDAY, sign_in="08:00", reason="手机没电，当面核实"
        )
        # The leader may not correct at all unless the counselor allowed it.
        with pytest.raises(Refused, match="可以补签"), write_transaction(s):
            corrections.correct(s, leader, form, at=THURSDAY_NOON)
        counselor = _user(s, team.counselor)
        early = datetime(2026, 11, 25, 7, 0, tzinfo=LOCAL_TZ)
        form = corrections.CorrectionForm(
            user_id=zhang.id,
            day=WEDNESDAY,
            sign_in="08:00",
            sign_out="10:00",
            reason="手机没电，当面核实",
        )
        with pytest.raises(Refused, match="尚未开始"), write_transaction(s):
            corrections.correct(s, counselor, form, at=early)
        with write_transaction(s):
            done = corrections.correct(s, counselor, form, at=THURSDAY_NOON)
        assert (done.was, done.became) == ("缺勤", "正常")
        assert _actions(s) == ["duty.correct"]


def test_accounts_refuse_self_deactivation_and_self_reset(db, team):
    with db.session() as s:
        counselor = _user(s, team.counselor)
        with pytest.raises(Refused, match="不能停用自己"), write_transaction(s):
            accounts.set_active(s, counselor, counselor, False, at=THURSDAY_NOON)
        with pytest.raises(Refused, match="修改密码"), write_transaction(s):
            accounts.reset_password(s, counselor, counselor, at=THURSDAY_NOON)
        with write_transaction(s):
            user, password = accounts.create(
                s, counselor, " 2024999 ", " 新 同学 ", "assistant", at=THURSDAY_NOON
            )
        assert (user.username, user.name, user.team_id) == ("2024999", "新 同学", team.team_id)
        assert user.check_password(password) and user.must_change_password
        with pytest.raises(Refused, match="已被使用"), write_transaction(s):
            accounts.create(s, counselor, "2024999", "重复", "assistant", at=THURSDAY_NOON)
        assert _actions(s) == ["user.create"]

"""The write side of the assistant's own pages, called without Flask: each service enforces its
rule, writes one audit entry with the acting user, the moment and the source address, and a
refusal leaves nothing written."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data.db import write_transaction
from data.models import (
    AuditLog,
    Evaluation,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Semester,
    ShiftAssignment,
    Summary,
    Team,
    User,
)
from data.services import Refused, applications, directory, leave_requests, peer_review, summaries
from data.services.semesters import LOCKED_MESSAGE
from data.timeutil import LOCAL_TZ
from tests import factories

pytestmark = pytest.mark.db

# 张三 (team.assistants[0]) has the Wednesday 08:00–10:00 shift; 2026-11-25 is a Wednesday.
DUTY_DAY = date(2026, 11, 25)
DUTY_START = datetime(2026, 11, 25, 8, 0, tzinfo=LOCAL_TZ)
BEFORE = DUTY_START - timedelta(hours=20)
IP = "10.0.0.7"


def person(s, username: str) -> User:
    return s.scalar(select(User).where(User.username == username))


def count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


def shift_of(s, user: User) -> int:
    return s.scalar(select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id == user.id))


def test_services_import_no_flask_and_no_views():
    code = (
        "import sys, data.services.leave_requests, data.services.summaries, "
        "data.services.directory, data.services.applications, data.services.peer_review; "
        "assert not {'flask', 'checkin'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_leave_request_before_the_start_then_duplicate_then_cancel(db, team):
    with db.session() as s:
        zhang = person(s, team.assistants[0])
        shift_id = shift_of(s, zhang)
        with write_transaction(s):
            leave = leave_requests.request_leave(
                s, zhang, DUTY_DAY, shift_id, LeaveKind.exam, "  参加期中考试 ", at=BEFORE, ip=IP
            )
        assert leave.status is LeaveStatus.pending and not leave.after_start
        assert leave.reason == "参加期中考试"
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "leave.request"))
        assert (entry.actor_id, entry.team_id, entry.source_ip) == (zhang.id, team.team_id, IP)
        assert entry.entity_id == str(leave.id) and entry.after["status"] == "pending"

        with pytest.raises(Refused, match="已有请假申请（待审批）"), write_transaction(s):
            leave_requests.request_leave(
                s, zhang, DUTY_DAY, shift_id, LeaveKind.sick, "发烧", at=BEFORE, ip=IP
            )
        assert count(s, LeaveRequest) == 1

        with write_transaction(s):
            leave_requests.cancel_leave(s, zhang, leave.id, at=BEFORE, ip=IP)
        assert s.get(LeaveRequest, leave.id).status is LeaveStatus.cancelled
        with pytest.raises(Refused, match="只能撤销待审批"), write_transaction(s):
            leave_requests.cancel_leave(s, zhang, leave.id, at=BEFORE, ip=IP)


def test_leave_at_the_start_is_xianzhan_and_others_cannot_cancel_it(db, team):
    with db.session() as s:
        zhang, lisi = person(s, team.assistants[0]), person(s, team.assistants[1])
        shift_id = shift_of(s, zhang)
        with write_transaction(s):
            leave = leave_requests.request_leave(
                s, zhang, DUTY_DAY, shift_id, LeaveKind.sick, "突发急病", at=DUTY_START
            )
        assert leave.after_start  # strict "before": at the start itself it has begun
        with pytest.raises(Refused), write_transaction(s):
            leave_requests.cancel_leave(s, lisi, leave.id, at=DUTY_START)
        with pytest.raises(Refused, match="没有你的值班"), write_transaction(s):
            leave_requests.request_leave(
                s, lisi, DUTY_DAY, shift_id, LeaveKind.sick, "突发急病", at=BEFORE
            )
        # 电话请假 is the counselor's; an assistant cannot choose it.
        with pytest.raises(Refused, match="请假类型"), write_transaction(s):
            next_week = DUTY_DAY + timedelta(days=7)
            leave_requests.request_leave(
                s, zhang, next_week, shift_id, LeaveKind.phone, "打过电话", at=BEFORE
            )
        assert count(s, AuditLog, AuditLog.action == "leave.request") == 1


def test_leave_refused_in_a_finalized_semester(db, team):
    with db.session() as s:
        zhang = person(s, team.assistants[0])
        shift_id = shift_of(s, zhang)
        s.get(Semester, team.semester_id).finalized_at = BEFORE
        s.commit()
        with pytest.raises(Refused, match="考核已锁定"), write_transaction(s):
            leave_requests.request_leave(
                s, zhang, DUTY_DAY, shift_id, LeaveKind.exam, "参加期中考试", at=BEFORE
            )
        assert count(s, LeaveRequest) == 0 and count(s, AuditLog) == 0


def test_summary_is_one_per_period_and_saving_again_edits_it(db, team):
    with db.session() as s:
        zhang = person(s, team.assistants[0])
        with pytest.raises(Refused, match="至少写 10 个字"), write_transaction(s):
            summaries.save_summary(s, zhang, "weekly", "太短了", at=BEFORE)
        with pytest.raises(Refused, match="总结类型"), write_transaction(s):
            summaries.save_summary(s, zhang, "monthly", "本月完成了很多工作内容", at=BEFORE)
        text = "本周整理了学生档案并协助老师完成通知"
        with write_transaction(s):
            assert summaries.save_summary(s, zhang, "weekly", text, at=BEFORE, ip=IP)
        with write_transaction(s):
            assert not summaries.save_summary(s, zhang, "weekly", text + "。", at=BEFORE)
        (row,) = s.scalars(select(Summary)).all()
        # Saved on Tuesday the 24th: the week's Monday is the period.
        assert row.period_start == date(2026, 11, 23) and row.content == text + "。"
        before, after = s.scalars(
            select(AuditLog).where(AuditLog.action == "summary.save").order_by(AuditLog.id)
        ).all()
        assert before.before is None and after.before["content"] == text


def test_directory_edit_touches_four_fields_of_the_own_team_only(db, team):
    with db.session() as s:
        leader, lisi = person(s, team.leader), person(s, team.assistants[1])
        values = {"post": "宣传", "phone": "13800138000", "qq": "123456", "grade": "2023级"}
        with pytest.raises(Refused, match="手机号码格式不正确"), write_transaction(s):
            directory.update_entry(s, leader, lisi.id, {**values, "phone": "12"}, at=BEFORE)
        with write_transaction(s):
            assert directory.update_entry(s, leader, lisi.id, values, at=BEFORE, ip=IP)
        with write_transaction(s):
            assert not directory.update_entry(s, leader, lisi.id, values, at=BEFORE)
        assert count(s, AuditLog, AuditLog.action == "directory.update") == 1
        leadership = person(s, team.leadership)  # not listed in the 助管团's directory
        with pytest.raises(Refused), write_transaction(s):
            directory.update_entry(s, leader, leadership.id, values, at=BEFORE)
        names = [u.username for u in directory.listed(s, team.team_id)]
        assert names[:2] == [team.counselor, team.leader] and team.leadership not in names


def test_peer_scores_need_an_open_assessment_and_valid_scores(db, team):
    with db.session() as s:
        zhang, lisi = person(s, team.assistants[0]), person(s, team.assistants[1])
        with pytest.raises(Refused, match="没有进行中"), write_transaction(s):
            peer_review.save_peer_scores(s, zhang, {lisi.id: "9"}, at=BEFORE)
        counselor = person(s, team.counselor)
        opened = {"action": "assessment.open", "entity": "semester"}
        s.add(AuditLog(actor_id=counselor.id, entity_id=str(team.semester_id), **opened))
        s.commit()
        with pytest.raises(peer_review.BadScore, match="李四"), write_transaction(s):
            peer_review.save_peer_scores(s, zhang, {lisi.id: "10.5"}, at=BEFORE)
        with write_transaction(s):
            saved = peer_review.save_peer_scores(
                s, zhang, {lisi.id: "9", zhang.id: "10"}, at=BEFORE, ip=IP
            )
        assert (saved.rated, saved.total, saved.changed) == (
            1,
            3,
            1,
        )  # the 团长 and two assistants: never oneself
        (row,) = s.scalars(select(Evaluation)).all()
        assert (row.subject_id, row.rater_id, row.score) == (lisi.id, zhang.id, 9)
        s.get(Semester, team.semester_id).finalized_at = BEFORE
        s.commit()
        with pytest.raises(Refused, match=LOCKED_MESSAGE), write_transaction(s):
            peer_review.save_peer_scores(s, zhang, {lisi.id: "5"}, at=BEFORE)
        assert s.scalar(select(Evaluation.score)) == 9


def test_apply_once_per_semester(db, team):
    form = {
        "degree_level": "本科生",
        "grade": "2024级",
        "political_status": "共青团员",
        "hardship": "no",
        "grades_note": "专业前 10%",
        "experience": "班长一年",
    }
    with db.session() as s:
        zhang = person(s, team.assistants[0])  # already appointed this semester
        with pytest.raises(applications.Invalid) as refused, write_transaction(s):
            applications.apply(s, zhang, form, today=DUTY_DAY, at=BEFORE)
        assert refused.value.errors == [applications.ALREADY]
        newcomer = factories.user(s, s.get(Team, team.team_id), "2024999", "新同学", zhang.role)
        s.commit()
        with pytest.raises(applications.Invalid) as refused, write_transaction(s):
            applications.apply(
                s, newcomer, {**form, "degree_level": "博士"}, today=DUTY_DAY, at=BEFORE
            )
        assert refused.value.errors == ["请选择学历层次"] and newcomer.degree_level != "博士"
        with write_transaction(s):
            made = applications.apply(s, newcomer, form, today=DUTY_DAY, at=BEFORE, ip=IP)
        assert made.semester_id == team.semester_id and made.history[0].reason == "本人提交报名表"
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "appointment.apply"))
        assert entry.actor_id == newcomer.id and entry.after["grade"] == "2024级"

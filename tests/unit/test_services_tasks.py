"""交办任务 services: give, mark done, accept, send back, cancel — rules, refusals, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from data.db import write_transaction
from data.models import AuditLog, Role, Semester, Task, TaskAssignment, Team, User
from data.policy.tasks import TaskState
from data.services import Refused
from data.services import tasks as service
from data.tasks import task_rows
from tests import factories

pytestmark = pytest.mark.db

AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
DAY = date(2026, 10, 14)


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _audits(session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _give(session, actor, names, title="整理迎新资料", day=DAY, at=AT, **kw):
    ids = [_user(session, n).id for n in names]
    with write_transaction(session):
        return service.give(
            session,
            actor,
            ids,
            title,
            kw.get("details", "归档到共享盘"),
            day,
            time(18, 0),
            kw.get("link", ""),
            at=at,
            ip="10.0.0.7",
        )


def test_counselor_gives_to_several_and_each_gets_a_row(session, team):
    counselor = _user(session, team.counselor)
    task = _give(session, counselor, [*team.assistants[:2], team.leader])
    assert [a.state for a in task.assignments] == [TaskState.open] * 3
    # 18:00 Shanghai is 10:00 UTC.
    assert task.deadline == datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
    assert task.semester_id == team.semester_id
    (entry,) = _audits(session, "task.give")
    assert entry.after["title"] == "整理迎新资料" and len(entry.after["assignees"]) == 3
    assert entry.source_ip == "10.0.0.7"


def test_leader_gives_only_to_assistants_of_own_team(session, team):
    leader = _user(session, team.leader)
    _give(session, leader, team.assistants[:1])
    with pytest.raises(Refused, match="本团队的助管"):
        _give(session, leader, [team.leader])
    assert session.scalar(select(func.count(Task.id))) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "请填写任务标题"),
        ({"title": "长" * 101}, "不能超过 100"),
        ({"day": date(2026, 10, 12), "at": AT + timedelta(hours=9)}, "晚于现在"),
        ({"day": date(2027, 3, 1)}, "不在本团队的任何学期内"),
        ({"link": "javascript:alert(1)"}, "http://"),
        ({"link": "ftp://x"}, "http://"),
    ],
)
def test_give_refusals_write_nothing(session, team, kwargs, message):
    counselor = _user(session, team.counselor)
    with pytest.raises(Refused, match=message):
        _give(session, counselor, team.assistants[:1], **kwargs)
    assert session.scalar(select(func.count(Task.id))) == 0
    assert _audits(session, "task.give") == []


def test_give_refuses_nobody_outsiders_and_assistants(session, team):
    counselor = _user(session, team.counselor)
    with pytest.raises(Refused, match="至少选择一位"):
        _give(session, counselor, [])
    with pytest.raises(Refused, match="在岗"):
        _give(session, counselor, [team.leadership])
    with pytest.raises(Refused, match="只有兼辅和团长"):
        _give(session, _user(session, team.assistants[0]), team.assistants[1:2])
    other = Team(name="外院", college="外院")
    session.add(other)
    stranger = factories.user(session, other, "X001", "外人", Role.assistant)
    session.flush()
    with pytest.raises(Refused, match="在岗"):
        service.give(session, counselor, [stranger.id], "t", "", DAY, time(9), "", at=AT)


def test_state_machine_through_the_services(session, team):
    counselor = _user(session, team.counselor)
    zhang = _user(session, team.assistants[0])
    task = _give(session, counselor, [zhang.username])
    row_id = task.assignments[0].id
    done_at = AT + timedelta(days=1)
    with write_transaction(session):
        service.mark_done(session, zhang, row_id, "已归档", at=done_at)
    with pytest.raises(Refused, match="已标记完成"):
        service.mark_done(session, zhang, row_id, "", at=done_at)
    with pytest.raises(Refused, match="退回原因"):
        service.send_back(session, counselor, row_id, "  ", at=done_at)
    with write_transaction(session):
        service.send_back(session, counselor, row_id, "缺少签到表", at=done_at)
    row = session.get(TaskAssignment, row_id)
    assert (row.state, row.done_at, row.send_backs) == (TaskState.sent_back, None, 1)
    with pytest.raises(Refused, match="已完成、待验收"):
        service.accept(session, counselor, row_id, at=done_at)
    late = task.deadline + timedelta(hours=1)
    with write_transaction(session):
        service.mark_done(session, zhang, row_id, "补上签到表", at=late)
        service.accept(session, counselor, row_id, at=late)
    assert session.get(TaskAssignment, row_id).state == TaskState.accepted
    with pytest.raises(Refused, match="已验收"):
        service.mark_done(session, zhang, row_id, "", at=late)
    actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == [
        "task.give",
        "task.mark_done",
        "task.send_back",
        "task.mark_done",
        "task.accept",
    ]
    semester = session.get(Semester, team.semester_id)
    (counted,) = task_rows(session, semester)
    assert counted.done_at == late and counted.send_backs == 1  # done late: overdue once


def test_who_may_act_on_a_row(session, team):
    counselor = _user(session, team.counselor)
    leader = _user(session, team.leader)
    zhang, li = (_user(session, n) for n in team.assistants[:2])
    task = _give(session, leader, [zhang.username])
    row_id = task.assignments[0].id
    with pytest.raises(Refused, match="承办人"):
        service.mark_done(session, li, row_id, "", at=AT)
    with pytest.raises(Refused, match="承办人"):
        service.mark_done(session, leader, row_id, "", at=AT)
    with write_transaction(session):
        service.mark_done(session, zhang, row_id, "", at=AT)
    with pytest.raises(Refused, match="交办人或兼辅"):
        service.accept(session, zhang, row_id, at=AT)
    with pytest.raises(Refused, match="交办人或兼辅"):
        service.send_back(session, li, row_id, "不行", at=AT)
    with write_transaction(session):
        service.accept(session, counselor, row_id, at=AT)  # a counselor may review any task
    # A task the counselor gave: the 团长 may not review it.
    other = _give(session, counselor, [li.username])
    with write_transaction(session):
        service.mark_done(session, li, other.assignments[0].id, "", at=AT)
    with pytest.raises(Refused, match="交办人或兼辅"):
        service.accept(session, leader, other.assignments[0].id, at=AT)
    with pytest.raises(Refused, match="交办人或兼辅"):
        service.cancel(session, leader, other.id, at=AT)


def test_cancel_removes_the_task_from_every_count(session, team):
    counselor = _user(session, team.counselor)
    task = _give(session, counselor, team.assistants[:2])
    semester = session.get(Semester, team.semester_id)
    assert len(task_rows(session, semester)) == 2
    with write_transaction(session):
        service.cancel(session, counselor, task.id, at=AT)
    assert task_rows(session, semester) == []
    with pytest.raises(Refused, match="已取消"):
        service.cancel(session, counselor, task.id, at=AT)
    zhang = _user(session, team.assistants[0])
    with pytest.raises(Refused, match="已取消"):
        service.mark_done(session, zhang, task.assignments[0].id, "", at=AT)
    assert len(_audits(session, "task.cancel")) == 1


def test_a_finalized_semester_refuses_every_act(session, team):
    counselor = _user(session, team.counselor)
    zhang = _user(session, team.assistants[0])
    task = _give(session, counselor, [zhang.username])
    session.get(Semester, team.semester_id).finalized_at = AT
    session.flush()
    with pytest.raises(Refused, match="锁定"):
        service.mark_done(session, zhang, task.assignments[0].id, "", at=AT)
    with pytest.raises(Refused, match="锁定"):
        service.cancel(session, counselor, task.id, at=AT)


def test_a_row_of_another_team_is_not_found(session, team):
    counselor = _user(session, team.counselor)
    task = _give(session, counselor, team.assistants[:1])
    other = Team(name="外院", college="外院")
    session.add(other)
    boss = factories.user(session, other, "X009", "外院老师", Role.counselor)
    session.flush()
    for act in (service.accept, service.cancel):
        with pytest.raises(Refused, match="找不到"):
            act(session, boss, task.assignments[0].id if act is service.accept else task.id, at=AT)
    with pytest.raises(Refused, match="找不到"):
        service.mark_done(session, boss, 999_999, "", at=AT)

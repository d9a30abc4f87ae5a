"""交办任务 (第六条五) through the app: the permission matrix of every action, the flow on the
workbench and /me, and one count shown alike on /me, 预警, 工作记录 and the assessment."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.tables.warnings import warning_evidence
from data.db import write_transaction
from data.models import AuditLog, Role, Semester, Task, TaskAssignment, Team, User
from data.policy.tasks import TaskState, task_counts
from data.report import build_report
from data.services import tasks as service
from data.tasks import task_rows
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import csrf_token
from tests.dash_helpers import logged_in
from tests.web.test_dashboard_attendance import find, page

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=LOCAL_TZ)  # a Monday in the small team's semester
OTHER = "X001"  # a counselor of another team


@pytest.fixture
def clocked(app, team, db):
    app.config["CLOCK"] = lambda: NOW
    with db.session() as s, write_transaction(s):
        other = Team(name="外院助管团", college="外院")
        s.add(other)
        factories.user(s, other, OTHER, "外院老师", Role.counselor)
    return app


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def give(db, giver: str, assignees, *, days: int = 2, at: datetime = NOW) -> tuple[int, list[int]]:
    """A task given through the service; (task id, assignment ids)."""
    with db.session() as s, write_transaction(s):
        actor = s.scalar(select(User).where(User.username == giver))
        ids = [s.scalar(select(User.id).where(User.username == n)) for n in assignees]
        day = (at + timedelta(days=days)).date()
        task = service.give(s, actor, ids, "整理材料", "说明", day, time(18, 0), at=at)
        return task.id, [a.id for a in task.assignments]


def act(db, who: str, fn, *args, at: datetime = NOW):
    with db.session() as s, write_transaction(s):
        actor = s.scalar(select(User).where(User.username == who))
        return fn(s, actor, *args, at=at)


def state(db, assignment_id: int) -> TaskState:
    with db.session() as s:
        return s.get(TaskAssignment, assignment_id).state


def post(client, url: str, data: dict | None = None):
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=True)


def audits(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.like("task.%")))


# ---------------------------------------------------------------- the permission matrix

LOGINS = ("anonymous", "assistant", "other_assistant", "leader", "counselor", "leadership", "other")


def login_as(auth, team, who: str) -> None:
    names = {
        "assistant": team.assistants[0],
        "other_assistant": team.assistants[1],
        "leader": team.leader,
        "counselor": team.counselor,
        "leadership": team.leadership,
        "other": OTHER,
    }
    if who != "anonymous":
        assert auth.login(names[who]).status_code == 302


@pytest.mark.parametrize(
    ("who", "status", "sees"),
    [
        ("anonymous", 302, False),
        ("assistant", 403, False),
        ("other_assistant", 403, False),
        ("leader", 200, False),  # the 团长 lists the tasks they gave
        ("counselor", 200, True),
        ("leadership", 403, False),
        ("other", 200, False),  # another team's counselor sees none of this team's tasks
    ],
)
def test_matrix_list_page(client, auth, team, clocked, db, who, status, sees):
    give(db, team.counselor, team.assistants[:1])
    login_as(auth, team, who)
    response = client.get("/admin/tasks")
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]
    if status == 200:
        assert ("整理材料" in response.get_data(as_text=True)) is sees


@pytest.mark.parametrize(
    ("who", "written"),
    [
        ("assistant", False),
        ("leader", True),
        ("counselor", True),
        ("leadership", False),
        ("other", False),  # refused: the date is in none of the other team's semesters
    ],
)
def test_matrix_give(client, auth, team, clocked, db, who, written):
    login_as(auth, team, who)
    data = {
        "title": "布置会场",
        "deadline_day": "2026-11-04",
        "deadline_time": "17:30",
        "assignee": [str(uid(db, team.assistants[0]))],
    }
    response = post(client, "/admin/tasks", data)
    assert response.status_code == (200 if who in ("leader", "counselor", "other") else 403)
    with db.session() as s:
        assert (s.scalar(select(func.count(Task.id))) == 1) is written
    if who == "other":
        assert "不在本团队的任何学期内" in response.get_data(as_text=True)


# (action, url template, form): each POST on one assignment or task given by the 团长.
ACTIONS = {
    "done": ("/me/tasks/{row}/done", {"note": "做完了"}),
    "accept": ("/admin/tasks/row/{row}/accept", {}),
    "send_back": ("/admin/tasks/row/{row}/send-back", {"reason": "再核对一遍"}),
    "cancel": ("/admin/tasks/{task}/cancel", {}),
}
# Who may: the assignee marks done; the giver (团长 here) or a counselor reviews and cancels.
ALLOWED = {
    "done": {"assistant"},
    "accept": {"leader", "counselor"},
    "send_back": {"leader", "counselor"},
    "cancel": {"leader", "counselor"},
}
FORBIDDEN = {  # 403 by role before any rule is looked at
    "done": set(),
    "accept": {"assistant", "other_assistant", "leadership"},
    "send_back": {"assistant", "other_assistant", "leadership"},
    "cancel": {"assistant", "other_assistant", "leadership"},
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("who", LOGINS)
def test_matrix_row_actions(client, auth, team, clocked, db, action, who):
    task_id, (row,) = give(db, team.leader, team.assistants[:1])
    if action != "done":
        act(db, team.assistants[0], service.mark_done, row, "")
    before_state, before_audits = state(db, row), audits(db)
    login_as(auth, team, who)
    url, form = ACTIONS[action]
    url = url.format(row=row, task=task_id)
    if who == "anonymous":
        response = client.post(url, data=form)
        assert response.status_code in (302, 400)  # to /login, or stopped by CSRF first
        assert state(db, row) == before_state and audits(db) == before_audits
        return
    response = post(client, url, form)
    if who in FORBIDDEN[action]:
        assert response.status_code == 403
    else:
        assert response.status_code == 200  # a flash and the page again, never a 500
    changed = audits(db) == before_audits + 1
    assert changed is (who in ALLOWED[action]), (who, action)
    with db.session() as s:
        cancelled = s.get(Task, task_id).cancelled_at is not None
    assert (state(db, row) != before_state or cancelled) is (who in ALLOWED[action])


def test_the_leader_reviews_only_tasks_they_gave(client, auth, team, clocked, db):
    _task, (row,) = give(db, team.counselor, team.assistants[:1])
    act(db, team.assistants[0], service.mark_done, row, "")
    login_as(auth, team, "leader")
    html = post(client, f"/admin/tasks/row/{row}/accept").get_data(as_text=True)
    assert "只有交办人或兼辅可以验收或退回" in html
    assert state(db, row) == TaskState.done


# ---------------------------------------------------------------- the flow in the browser's forms


def test_give_mark_done_send_back_and_accept(client, auth, team, clocked, db):
    zhang, li = (uid(db, n) for n in team.assistants[:2])
    auth.login(team.counselor)
    page_html = client.get("/admin/tasks").get_data(as_text=True)
    assert 'href="/admin/tasks"' in page_html and "交办新任务" in page_html
    bad = post(client, "/admin/tasks", {"title": " ", "assignee": [str(zhang)]})
    assert "请填写任务标题" in bad.get_data(as_text=True)
    bad = post(
        client,
        "/admin/tasks",
        {"title": "t", "deadline_day": "2026-11-04", "deadline_time": "25:00", "assignee": "x"},
    )
    assert "请填写截止日期和时间" in bad.get_data(as_text=True)
    data = {
        "title": "整理签到表",
        "details": "按周装订",
        "deadline_day": "2026-11-03",
        "deadline_time": "09:30",
        "link": "https://pan.example.edu.cn/s/abc",
        "assignee": [str(zhang), str(li)],
    }
    done = post(client, "/admin/tasks", data).get_data(as_text=True)
    assert "已交办“整理签到表”给 2 人" in done
    with db.session() as s:
        task = s.scalar(select(Task))
        rows = {a.user_id: a.id for a in task.assignments}
    auth.logout()

    auth.login(team.assistants[0])
    me = client.get("/me").get_data(as_text=True)
    assert "整理签到表" in me and "即将到期" in me and "https://pan.example.edu.cn/s/abc" in me
    assert post(client, f"/me/tasks/{rows[zhang]}/done", {"note": "x" * 201}).status_code == 200
    assert state(db, rows[zhang]) == TaskState.open  # a note over 200 characters: refused
    me = post(client, f"/me/tasks/{rows[zhang]}/done", {"note": "已装订"}).get_data(as_text=True)
    assert "已标记完成" in me and "已完成，待验收" in me
    auth.logout()

    auth.login(team.counselor)
    review = client.get("/admin/tasks?show=review").get_data(as_text=True)
    assert "已装订" in review and "验收" in review
    empty = post(client, f"/admin/tasks/row/{rows[zhang]}/send-back", {"reason": ""})
    assert "请填写退回原因" in empty.get_data(as_text=True)
    post(client, f"/admin/tasks/row/{rows[zhang]}/send-back", {"reason": "缺第 3 周"})
    auth.logout()

    auth.login(team.assistants[0])
    me = client.get("/me").get_data(as_text=True)
    assert "退回原因：缺第 3 周" in me and 'id="task-sent-back">1<' in me
    post(client, f"/me/tasks/{rows[zhang]}/done", {"note": "已补"})
    auth.logout()
    auth.login(team.counselor)
    post(client, f"/admin/tasks/row/{rows[zhang]}/accept")
    assert state(db, rows[zhang]) == TaskState.accepted
    with db.session() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("task.%"))))
    assert actions == [
        "task.give",
        "task.mark_done",
        "task.send_back",
        "task.mark_done",
        "task.accept",
    ]


# ---------------------------------------------------------------- one count everywhere


def test_me_warnings_worklog_and_assessment_show_the_same_counts(client, auth, team, clocked, db):
    zhang = team.assistants[0]
    week_ago = NOW - timedelta(days=7)
    # On time and accepted; done late; open past the deadline; sent back; still ahead.
    _t, (on_time,) = give(db, team.counselor, [zhang], days=2, at=week_ago)
    act(db, zhang, service.mark_done, on_time, "", at=week_ago + timedelta(days=1))
    act(db, team.counselor, service.accept, on_time, at=week_ago + timedelta(days=1))
    _t, (late,) = give(db, team.counselor, [zhang], days=1, at=week_ago)
    act(db, zhang, service.mark_done, late, "", at=week_ago + timedelta(days=3))
    give(db, team.leader, [zhang], days=1, at=week_ago)
    _t, (back,) = give(db, team.counselor, [zhang], days=3, at=NOW - timedelta(days=1))
    act(db, zhang, service.mark_done, back, "", at=NOW - timedelta(hours=2))
    act(db, team.counselor, service.send_back, back, "不完整", at=NOW - timedelta(hours=1))
    give(db, team.leader, [zhang], days=5)
    person = uid(db, zhang)
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        counts = task_counts(task_rows(s, semester, {person}), NOW)
        member = next(m for m in build_report(s, semester, NOW).members if m.user_id == person)
    assert (counts.given, counts.done_on_time, counts.overdue, counts.sent_back) == (5, 1, 2, 1)
    assert member.tasks == counts

    auth.login(zhang)
    me = client.get("/me").get_data(as_text=True)
    shown = dict(re.findall(r'id="task-(overdue|on-time|sent-back)">(\d+)<', me))
    assert shown == {"overdue": "2", "on-time": "1", "sent-back": "1"}
    assert "交办任务逾期 2 项" in me and "交办任务被退回 1 项" in me

    with logged_in(clocked, team.counselor):
        warnings_body = page("warnings").render_warnings(team.semester_id)
        worklog_body = page("worklog").render_worklog(team.semester_id)
    grid = find(warnings_body, "warnings-grid").rowData
    reasons = next(r["原因"] for r in grid if r["学号"] == zhang)
    assert "交办任务逾期 2 项" in reasons and "交办任务被退回 1 项" in reasons
    row = next(r for r in find(worklog_body, "worklog-grid").rowData if r["学号"] == zhang)
    assert (row["交办任务"], row["按时完成"], row["逾期任务"]) == (5, 1, 2)
    months = [r for r in find(worklog_body, "worklog-tasks").rowData if r["学号"] == zhang]
    assert sum(r["交办任务"] for r in months) == 5
    assert sum(r["逾期任务"] for r in months) == 2
    assert "交办任务 5 项：按时完成 1，逾期 2，被退回 1" in member.assessment.reasons
    # A month on the 工作记录 page: the tasks whose deadline falls in it, by the same count.
    with logged_in(clocked, team.counselor):
        october = page("worklog").render_worklog(team.semester_id, "2026-10")
    row = next(r for r in find(october, "worklog-grid").rowData if r["学号"] == zhang)
    assert (row["交办任务"], row["按时完成"], row["逾期任务"]) == (3, 1, 2)
    (month,) = [r for r in find(october, "worklog-tasks").rowData if r["学号"] == zhang]
    assert (month["月份"], month["交办任务"], month["逾期任务"]) == ("2026-10", 3, 2)
    with db.session() as s:
        evidence = warning_evidence(s, s.get(Semester, team.semester_id), NOW, person)
    kinds = list(evidence["类别"])
    assert kinds.count("逾期任务") == 2 and kinds.count("任务退回") == 1


def test_a_fully_accepted_task_offers_no_cancel(client, auth, team, clocked, db):
    task_id, (row,) = give(db, team.counselor, team.assistants[:1])
    auth.login(team.counselor)
    assert f"/admin/tasks/{task_id}/cancel" in client.get("/admin/tasks").get_data(as_text=True)
    act(db, team.assistants[0], service.mark_done, row, "")
    act(db, team.counselor, service.accept, row)
    html = client.get("/admin/tasks").get_data(as_text=True)
    assert "已验收" in html and f"/admin/tasks/{task_id}/cancel" not in html

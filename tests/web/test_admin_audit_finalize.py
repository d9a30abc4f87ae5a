"""The audit log page, finalize/unlock/relock, and the permission matrix of every admin route here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from data.audit import record
from data.models import AuditLog, LeaveStatus, Semester, Team
from data.timeutil import LOCAL_TZ
from tests.web.test_admin_leave import (
    THURSDAY_NOON,
    add_leave,
    audit_count,
    get_leave,
    last_audit,
    login,
    post,
    shift_of,
    user_id,
)

pytestmark = pytest.mark.db


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: THURSDAY_NOON
    return THURSDAY_NOON


# The fixture semester ends 2027-01-15: finalizing is possible from the next day on.
AFTER_END = datetime(2027, 1, 18, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def after_end(app):
    app.config["CLOCK"] = lambda: AFTER_END
    return AFTER_END


def finalized(db, semester_id: int) -> datetime | None:
    with db.session() as s:
        return s.get(Semester, semester_id).finalized_at


# ---------------------------------------------------------------- finalize / unlock / relock


def test_finalize_unlock_relock_are_audited(client, db, team, after_end):
    login(client, team.counselor)
    page = client.get("/admin/semester").get_data(as_text=True)
    assert "2026秋" in page and "结束考核并锁定" in page

    before = audit_count(db)
    page = post(client, f"/admin/semester/{team.semester_id}/finalize").get_data(as_text=True)
    assert "已结束“2026秋”的考核并锁定" in page and "已锁定" in page
    assert finalized(db, team.semester_id) == AFTER_END
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert (entry.action, entry.entity, entry.entity_id) == (
        "semester.finalize",
        "semester",
        str(team.semester_id),
    )
    assert entry.before["finalized_at"] is None and entry.after["finalized_at"] is not None

    # Unlock needs a reason; without one nothing changes.
    page = post(client, f"/admin/semester/{team.semester_id}/unlock", {"reason": ""})
    assert "解锁必须填写原因" in page.get_data(as_text=True)
    assert finalized(db, team.semester_id) is not None
    assert audit_count(db) == before + 1

    post(client, f"/admin/semester/{team.semester_id}/unlock", {"reason": "补录纸质签到表"})
    assert finalized(db, team.semester_id) is None
    assert audit_count(db) == before + 2
    entry = last_audit(db)
    assert entry.action == "semester.unlock"
    assert entry.before["finalized_at"] is not None and entry.after["finalized_at"] is None
    assert entry.after["reason"] == "补录纸质签到表"

    post(client, f"/admin/semester/{team.semester_id}/finalize")
    assert finalized(db, team.semester_id) is not None
    assert audit_count(db) == before + 3
    assert last_audit(db).action == "semester.relock"
    history = client.get("/admin/semester").get_data(as_text=True)
    assert "重新锁定" in history and "补录纸质签到表" in history


def test_finalize_twice_or_unlock_open_changes_nothing(client, db, team, after_end):
    login(client, team.counselor)
    before = audit_count(db)
    page = post(client, f"/admin/semester/{team.semester_id}/unlock", {"reason": "没有锁定过"})
    assert "尚未锁定" in page.get_data(as_text=True)
    post(client, f"/admin/semester/{team.semester_id}/finalize")
    page = post(client, f"/admin/semester/{team.semester_id}/finalize")
    assert "已经锁定" in page.get_data(as_text=True)
    assert audit_count(db) == before + 1


def test_other_teams_semester_is_404(client, db, team, clock):
    with db.session() as s:
        other = Semester(
            team=Team(name="外院"), name="外院秋", start=date(2026, 9, 1), end=date(2027, 1, 1)
        )
        s.add(other)
        s.flush()
        other_id = other.id
    login(client, team.counselor)
    assert post(client, f"/admin/semester/{other_id}/finalize", follow=False).status_code == 404
    assert finalized(db, other_id) is None
    assert "外院秋" not in client.get("/admin/semester").get_data(as_text=True)


def test_locked_check_covers_only_dates_inside_the_semester(db, team):
    from data.services.semesters import Locked, ensure_unlocked

    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = THURSDAY_NOON
    with db.session() as s:
        with pytest.raises(Locked, match="本学期考核已锁定，如需修改请先解锁"):
            ensure_unlocked(s, team.team_id, date(2026, 11, 25))
        ensure_unlocked(s, team.team_id, date(2027, 3, 1))  # after the semester: open
        ensure_unlocked(s, team.team_id + 1, date(2026, 11, 25))  # another team: open


# ---------------------------------------------------------------- the audit log page


def _entries(db, team, count: int, start: datetime) -> None:
    with db.session() as s:
        for i in range(count):
            record(
                s,
                actor_id=None,
                team_id=team.team_id,
                action="leave.approve" if i % 2 else "duty.correct",
                entity="leave_request" if i % 2 else "duty_correction",
                entity_id=i,
                before={"status": "pending"},
                after={"status": f"s{i}"},
                at=start + timedelta(hours=i),
            )


def test_audit_page_shows_the_diff(client, db, team, clock):
    leave_id = add_leave(db)
    login(client, team.counselor)
    post(client, f"/admin/leave/{leave_id}/reject", {"reason": "当天无人替班"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "驳回请假" in page and f"leave_request#{leave_id}" in page
    assert '状态：<del class="text-secondary">pending</del> → rejected' in page
    assert "审批说明：" in page and "当天无人替班" in page
    assert "王老师 · 2026-11-26 12:00:00" in page
    # Keys that did not change are not listed.
    assert "值班日期：" not in page


def test_audit_filters_and_pagination(client, db, team, clock):
    _entries(db, team, 120, datetime(2026, 11, 1, 8, 0, tzinfo=LOCAL_TZ))
    login(client, team.counselor)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "共 120 条" in page and page.count("audit-entry") == 50 and "第 1 / 3 页" in page
    last = client.get("/admin/audit?page=3").get_data(as_text=True)
    assert last.count("audit-entry") == 20
    assert client.get("/admin/audit?page=99").status_code == 200  # clamped, not an error

    page = client.get("/admin/audit?action=leave").get_data(as_text=True)
    assert "共 60 条" in page
    page = client.get("/admin/audit?entity=duty_correction").get_data(as_text=True)
    assert "共 60 条" in page
    # 2026-11-01 08:00 + i hours: the 1st has entries i = 0..15.
    page = client.get("/admin/audit?start=2026-11-01&end=2026-11-01").get_data(as_text=True)
    assert "共 16 条" in page
    page = client.get("/admin/audit?actor=" + str(user_id(db, team.counselor)))
    assert "共 0 条" in page.get_data(as_text=True)
    page = client.get("/admin/audit?start=yesterday&action=%25").get_data(as_text=True)
    assert "开始日期格式不正确" in page and "共 0 条" in page  # % is literal, not a wildcard


def test_audit_shows_only_the_teams_entries(client, db, team, clock):
    with db.session() as s:
        other = Team(name="外院")
        s.add(other)
        s.flush()
        record(s, actor_id=None, team_id=other.id, action="secret.change", entity="x")
    login(client, team.counselor)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "secret.change" not in page and "共 0 条" in page


# ---------------------------------------------------------------- permission matrix

ROLES = ("assistant", "leader", "counselor", "leadership")
ACTIONS = (
    "GET queue",
    "POST approve",
    "POST reject",
    "POST phone leave",
    "GET corrections",
    "POST correction",
    "GET audit",
    "POST finalize",
    "POST unlock",
)
# Default settings: the 团长 may not correct (leader_can_correct off).
ALLOWED = {("counselor", action) for action in ACTIONS}


def _username(team, role: str) -> str:
    return {
        "assistant": team.assistants[0],
        "leader": team.leader,
        "counselor": team.counselor,
        "leadership": team.leadership,
    }[role]


def _do(client, db, team, action: str):
    """Run one action; returns (response, check) where check() tells whether it took effect."""
    if action == "GET queue":
        return client.get("/admin/leave"), None
    if action in ("POST approve", "POST reject"):
        leave_id = add_leave(db)
        verb = action.split()[1]
        response = post(client, f"/admin/leave/{leave_id}/{verb}", {"reason": "无人替班"}, False)
        return response, lambda: get_leave(db, leave_id).status is not LeaveStatus.pending
    if action == "POST phone leave":
        data = {"user_id": user_id(db, "2023102"), "date": "2026-11-20", "reason": "突发急病"}
        response = post(client, "/admin/leave/phone", data, False)
        return (
            response,
            lambda: last_audit(db) is not None and last_audit(db).action == "leave.phone",
        )
    if action == "GET corrections":
        return client.get("/admin/corrections"), None
    if action == "POST correction":
        data = {
            "user_id": user_id(db, "2023103"),
            "date": "2026-11-24",
            "shift": shift_of(db, "2023103"),
            "status": "normal",
            "reason": "当面核实到岗",
        }
        response = post(client, "/admin/corrections", data, False)
        return (
            response,
            lambda: last_audit(db) is not None and last_audit(db).action == "duty.correct",
        )
    if action == "GET audit":
        return client.get("/admin/audit"), None
    if action == "POST finalize":
        response = post(client, f"/admin/semester/{team.semester_id}/finalize", follow=False)
        return response, lambda: finalized(db, team.semester_id) is not None
    if action == "POST unlock":
        with db.session() as s:
            s.get(Semester, team.semester_id).finalized_at = THURSDAY_NOON
        response = post(
            client, f"/admin/semester/{team.semester_id}/unlock", {"reason": "补录签到表"}, False
        )
        return response, lambda: finalized(db, team.semester_id) is None
    raise AssertionError(action)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, client, db, team, clock, role, action):
    if action == "POST finalize":
        app.config["CLOCK"] = lambda: AFTER_END  # finalizing needs the term to be over
    login(client, _username(team, role))
    response, took_effect = _do(client, db, team, action)
    if (role, action) in ALLOWED:
        assert response.status_code in (200, 302)
        if took_effect is not None:
            assert took_effect()
        if response.status_code == 302:
            assert "/login" not in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert "无权访问" in response.get_data(as_text=True)
        if took_effect is not None:
            assert not took_effect()
    with db.session() as s:
        assert all(e.team_id == team.team_id for e in s.scalars(select(AuditLog)))


def test_audit_names_people_instead_of_ids(client, db, team, clock):
    login(client, team.counselor)
    data = {"user_id": user_id(db, "2023101"), "date": "2026-11-25", "reason": "突发急病"}
    post(client, "/admin/leave/phone", data)
    page = client.get("/admin/audit?action=leave.phone").get_data(as_text=True)
    assert "助管：张三" in page and "审批人：王老师" in page and "登记电话请假" in page

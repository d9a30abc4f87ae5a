"""The counselor's leave queue (第六条四): approve, reject, phone leave, 先斩后奏 → phone leave."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from data.attendance import semester_attendance
from data.models import (
    AuditLog,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Role,
    Semester,
    ShiftAssignment,
    Team,
    User,
)
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.db

# 张三 (2023101) has Wednesday 08:00–10:00; 2026-11-25 is a Wednesday, the clock is Thursday.
WEDNESDAY = date(2026, 11, 25)
THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=LOCAL_TZ)
LOCKED = "本学期考核已锁定，如需修改请先解锁"


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: THURSDAY_NOON
    return THURSDAY_NOON


# ---------------------------------------------------------------- helpers (used by sibling tests)


def user_id(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def shift_of(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(
            select(ShiftAssignment.shift_id)
            .join(User, User.id == ShiftAssignment.user_id)
            .where(User.username == username)
        )


def add_leave(
    db,
    username: str = "2023101",
    day: date = WEDNESDAY,
    kind: LeaveKind = LeaveKind.personal,
    after_start: bool = False,
    status: LeaveStatus = LeaveStatus.pending,
    reason: str = "家中有事",
) -> int:
    uid = user_id(db, username)
    with db.session() as s:
        leave = LeaveRequest(
            user_id=uid,
            duty_date=day,
            shift_id=shift_of(db, username),
            kind=kind,
            reason=reason,
            status=status,
            after_start=after_start,
            created_by_id=uid,
            created_at=datetime(2026, 11, 24, 9, 30, tzinfo=LOCAL_TZ),
        )
        s.add(leave)
        s.flush()
        return leave.id


def get_leave(db, leave_id: int) -> LeaveRequest:
    with db.session() as s:
        return s.get(LeaveRequest, leave_id)


def audit_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(AuditLog.id)))


def last_audit(db) -> AuditLog:
    with db.session() as s:
        return s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))


def login(client, username: str) -> None:
    response = AuthActions(client).login(username)
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client, url: str, data: dict | None = None, follow: bool = True):
    """A form POST with a valid CSRF token taken from a page every logged-in user may open."""
    page = client.get("/account/password").get_data(as_text=True)
    return client.post(
        url, data={"csrf_token": csrf_token(page), **(data or {})}, follow_redirects=follow
    )


def outcome_status(db, username: str, day: date, moment: datetime = THURSDAY_NOON) -> str:
    uid = user_id(db, username)
    with db.session() as s:
        semester = s.scalar(select(Semester).where(Semester.start <= day, Semester.end >= day))
        attendance = semester_attendance(s, semester, moment, user_ids={uid})
        return next(o.status for o in attendance.outcomes if o.duty.day == day)


def other_team_leave(db) -> int:
    """A pending request in a second team: the first team's counselor must not see it."""
    with db.session() as s:
        team = Team(name="外院助管团")
        person = factories.user(s, team, "2099001", "外院助管", Role.assistant)
        s.add(team)
        s.flush()
        leave = LeaveRequest(
            user_id=person.id,
            duty_date=WEDNESDAY,
            kind=LeaveKind.sick,
            reason="外院",
            created_by_id=person.id,
        )
        s.add(leave)
        s.flush()
        return leave.id


# ---------------------------------------------------------------- the queue


def test_queue_lists_pending_with_xianzhan_badge(client, db, team, clock):
    add_leave(db, reason="参加期中考试", kind=LeaveKind.exam)
    add_leave(db, "2023102", date(2026, 11, 27), after_start=True, reason="睡过头了")
    login(client, team.counselor)
    page = client.get("/admin/leave").get_data(as_text=True)
    assert "张三" in page and "11月25日 周三 08:00–10:00" in page and "考试" in page
    assert "参加期中考试" in page and "2026-11-24 09:30" in page  # created time, local
    assert page.count('class="badge text-bg-danger xianzhan">先斩后奏') == 1
    # A 先斩后奏 request offers the conversion, never a plain approve.
    assert "转为电话请假" in page
    assert page.count(">批准</button>") == 1


def test_approve_sets_decider_and_excuses_the_duty(client, db, team, clock):
    leave_id = add_leave(db)
    assert outcome_status(db, "2023101", WEDNESDAY) == "absent"
    login(client, team.counselor)
    before = audit_count(db)
    page = post(client, f"/admin/leave/{leave_id}/approve").get_data(as_text=True)
    assert "已批准张三的请假" in page
    leave = get_leave(db, leave_id)
    assert leave.status is LeaveStatus.approved
    assert leave.decided_by_id == user_id(db, team.counselor)
    assert leave.decided_at == THURSDAY_NOON
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert (entry.action, entry.entity, entry.entity_id) == (
        "leave.approve",
        "leave_request",
        str(leave_id),
    )
    assert entry.before["status"] == "pending" and entry.after["status"] == "approved"
    assert entry.after["decided_by_id"] == user_id(db, team.counselor)
    assert outcome_status(db, "2023101", WEDNESDAY) == "leave"


def test_reject_needs_a_reason(client, db, team, clock):
    leave_id = add_leave(db)
    login(client, team.counselor)
    before = audit_count(db)
    page = post(client, f"/admin/leave/{leave_id}/reject", {"reason": "  "}).get_data(as_text=True)
    assert "驳回必须填写原因" in page
    assert get_leave(db, leave_id).status is LeaveStatus.pending
    assert audit_count(db) == before

    page = post(client, f"/admin/leave/{leave_id}/reject", {"reason": "当天无人替班"})
    assert "已驳回张三的请假" in page.get_data(as_text=True)
    leave = get_leave(db, leave_id)
    assert leave.status is LeaveStatus.rejected
    assert leave.decision_reason == "当天无人替班"
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "leave.reject"
    assert (
        entry.before["decision_reason"] == "" and entry.after["decision_reason"] == "当天无人替班"
    )
    assert outcome_status(db, "2023101", WEDNESDAY) == "absent"


def test_a_decided_request_cannot_be_decided_again(client, db, team, clock):
    leave_id = add_leave(db, status=LeaveStatus.cancelled)
    login(client, team.counselor)
    before = audit_count(db)
    page = post(client, f"/admin/leave/{leave_id}/approve").get_data(as_text=True)
    assert "这条申请已撤销，不能再审批" in page
    assert get_leave(db, leave_id).status is LeaveStatus.cancelled
    assert audit_count(db) == before


def test_xianzhan_cannot_be_approved_but_can_be_converted(client, db, team, clock):
    leave_id = add_leave(db, after_start=True)
    login(client, team.counselor)
    page = post(client, f"/admin/leave/{leave_id}/approve").get_data(as_text=True)
    assert "先斩后奏的申请不能直接批准" in page
    assert get_leave(db, leave_id).status is LeaveStatus.pending

    before = audit_count(db)
    page = post(client, f"/admin/leave/{leave_id}/convert").get_data(as_text=True)
    assert "转为电话请假" in page
    leave = get_leave(db, leave_id)
    assert (leave.kind, leave.status) == (LeaveKind.phone, LeaveStatus.approved)
    assert leave.decided_by_id == user_id(db, team.counselor)
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "leave.convert_phone"
    assert entry.before["kind"] == "personal" and entry.after["kind"] == "phone"
    assert outcome_status(db, "2023101", WEDNESDAY) == "leave"


def test_only_xianzhan_requests_convert(client, db, team, clock):
    leave_id = add_leave(db)
    login(client, team.counselor)
    page = post(client, f"/admin/leave/{leave_id}/convert").get_data(as_text=True)
    assert "只有先斩后奏的申请需要转为电话请假" in page
    assert get_leave(db, leave_id).kind is LeaveKind.personal


# ---------------------------------------------------------------- phone leave


def test_phone_leave_turns_an_absence_into_leave(client, db, team, clock):
    assert outcome_status(db, "2023101", WEDNESDAY) == "absent"
    login(client, team.counselor)
    uid = user_id(db, "2023101")
    step = client.get(f"/admin/leave/phone?user={uid}&date={WEDNESDAY}")
    assert step.status_code == 200
    assert "11月25日 周三 08:00–10:00 学工办" in step.get_data(as_text=True)

    before = audit_count(db)
    page = post(
        client, "/admin/leave/phone", {"user_id": uid, "date": "2026-11-25", "reason": "突发高烧"}
    ).get_data(as_text=True)
    assert "已为张三登记电话请假" in page
    with db.session() as s:
        leave = s.scalar(select(LeaveRequest))
    assert (leave.kind, leave.status, leave.after_start) == (
        LeaveKind.phone,
        LeaveStatus.approved,
        False,
    )
    assert leave.created_by_id == user_id(db, team.counselor)
    assert leave.decided_by_id == user_id(db, team.counselor)
    assert leave.shift_id == shift_of(db, "2023101")
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "leave.phone" and entry.before is None
    assert entry.after["kind"] == "phone" and entry.after["reason"] == "突发高烧"
    assert outcome_status(db, "2023101", WEDNESDAY) == "leave"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"date": "2026-11-25", "reason": ""}, "请填写请假原因"),
        ({"date": "2026-13-01", "reason": "急事"}, "请填写正确的值班日期"),
        ({"date": "2026-11-26", "reason": "急事"}, "该助管在这一天没有值班"),
        ({"date": "2026-11-25", "reason": "急事", "shift": "999999"}, "没有这个班次"),
        ({"date": "2026-11-25", "reason": "急事", "shift": "abc"}, "值班班次不正确"),
        ({"user_id": "abc", "date": "2026-11-25", "reason": "急事"}, "请选择助管"),
        ({"user_id": "99999999999", "date": "2026-11-25", "reason": "急事"}, "请选择助管"),
    ],
)
def test_phone_leave_bad_input_changes_nothing(client, db, team, clock, form, message):
    login(client, team.counselor)
    before = audit_count(db)
    data = {"user_id": user_id(db, "2023101"), **form}
    response = post(client, "/admin/leave/phone", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count(LeaveRequest.id))) == 0
    assert audit_count(db) == before


def test_phone_leave_for_another_teams_member_is_refused(client, db, team, clock):
    other = other_team_leave(db)
    stranger = get_leave(db, other).user_id
    login(client, team.counselor)
    page = post(
        client, "/admin/leave/phone", {"user_id": stranger, "date": "2026-11-25", "reason": "x"}
    ).get_data(as_text=True)
    assert "请选择本团队的助管" in page
    assert client.get(f"/admin/leave/phone?user={stranger}&date=2026-11-25").status_code == 302


def test_phone_leave_refused_while_a_request_is_open(client, db, team, clock):
    add_leave(db, after_start=True)
    login(client, team.counselor)
    data = {"user_id": user_id(db, "2023101"), "date": "2026-11-25", "reason": "急事"}
    page = post(client, "/admin/leave/phone", data).get_data(as_text=True)
    assert "转为电话请假" in page and "已有先斩后奏的申请" in page
    with db.session() as s:
        assert s.scalar(select(func.count(LeaveRequest.id))) == 1


# ---------------------------------------------------------------- refusals


def test_other_teams_request_is_404(client, db, team, clock):
    other = other_team_leave(db)
    login(client, team.counselor)
    for action in ("approve", "reject", "convert"):
        response = post(client, f"/admin/leave/{other}/{action}", {"reason": "x"}, follow=False)
        assert response.status_code == 404
        assert "页面不存在" in response.get_data(as_text=True)
    assert get_leave(db, other).status is LeaveStatus.pending
    assert "外院" not in client.get("/admin/leave").get_data(as_text=True)
    assert post(client, "/admin/leave/99999999999/approve", follow=False).status_code == 404


def test_assistant_is_refused_403(client, db, team, clock):
    leave_id = add_leave(db)
    login(client, "2023101")
    assert client.get("/admin/leave").status_code == 403
    response = post(client, f"/admin/leave/{leave_id}/approve", follow=False)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    assert get_leave(db, leave_id).status is LeaveStatus.pending


def test_anonymous_is_sent_to_login(client, db, team, clock):
    response = client.get("/admin/leave")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/admin/leave/{add_leave(db)}/approve")
    assert response.status_code in (302, 400)  # CSRF may answer first; never a change
    assert get_leave(db, 1).status is LeaveStatus.pending


def test_missing_csrf_is_400(client, db, team, clock):
    leave_id = add_leave(db)
    login(client, team.counselor)
    response = client.post(f"/admin/leave/{leave_id}/approve")
    assert response.status_code == 400
    assert "安全校验" in response.get_data(as_text=True)
    assert get_leave(db, leave_id).status is LeaveStatus.pending


def test_locked_semester_refuses_decisions_and_phone_leave(client, db, team, clock):
    leave_id = add_leave(db)
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = THURSDAY_NOON
    login(client, team.counselor)
    before = audit_count(db)
    assert LOCKED in post(client, f"/admin/leave/{leave_id}/approve").get_data(as_text=True)
    assert LOCKED in post(
        client, f"/admin/leave/{leave_id}/reject", {"reason": "无人替班"}
    ).get_data(as_text=True)
    data = {"user_id": user_id(db, "2023102"), "date": "2026-11-27", "reason": "急事"}
    assert LOCKED in post(client, "/admin/leave/phone", data).get_data(as_text=True)
    assert get_leave(db, leave_id).status is LeaveStatus.pending
    assert audit_count(db) == before


def test_history_filters_by_status(client, db, team, clock):
    add_leave(db, status=LeaveStatus.rejected, reason="被驳回的")
    add_leave(db, "2023102", date(2026, 11, 27), status=LeaveStatus.approved, reason="批准的")
    login(client, team.counselor)
    page = client.get("/admin/leave?status=rejected").get_data(as_text=True)
    assert "被驳回的" in page and "批准的" not in page
    page = client.get("/admin/leave").get_data(as_text=True)
    assert "被驳回的" in page and "批准的" in page
    assert client.get("/admin/leave?status=nonsense").status_code == 200

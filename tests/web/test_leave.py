"""Leave requests on /me (第六条四): before the start, 先斩后奏 after it, one open per duty, cancel."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from checkin.me.page import XIANZHAN_NOTICE
from data.models import AuditLog, LeaveKind, LeaveRequest, LeaveStatus, Shift, ShiftAssignment, User
from data.timeutil import LOCAL_TZ
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

# 张三 (team.assistants[0]) has the Wednesday 08:00–10:00 shift; 2026-11-25 is a Wednesday.
DUTY_DAY = date(2026, 11, 25)
DUTY_START = datetime(2026, 11, 25, 8, 0, tzinfo=LOCAL_TZ)
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)


def set_clock(app, moment: datetime) -> None:
    app.config["CLOCK"] = lambda: moment


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


def leaves(db) -> list[LeaveRequest]:
    with db.session() as s:
        return list(s.scalars(select(LeaveRequest).order_by(LeaveRequest.id)))


def audits(db, action: str) -> list[AuditLog]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def token(client) -> str:
    return csrf_token(client.get("/me").get_data(as_text=True))


def ask(client, shift_id, day=DUTY_DAY, kind="exam", reason="参加期中考试", **extra):
    data = {
        "csrf_token": token(client),
        "duty_date": day.isoformat() if isinstance(day, date) else day,
        "shift": "" if shift_id is None else str(shift_id),
        "kind": kind,
        "reason": reason,
        **extra,
    }
    return client.post("/me/leave", data=data, follow_redirects=True)


@pytest.fixture
def zhang(app, auth, team, db):
    """张三 logged in on the Tuesday before his Wednesday duty; returns his shift id."""
    set_clock(app, TUESDAY_NOON)
    auth.login(team.assistants[0])
    return shift_of(db, team.assistants[0])


def test_leave_before_the_start_is_pending_and_listed(client, db, zhang, team):
    page = client.get(f"/me/leave/new?date={DUTY_DAY}&shift={zhang}").get_data(as_text=True)
    assert "11月25日 周三 08:00–10:00" in page and XIANZHAN_NOTICE not in page
    response = ask(client, zhang)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "请假申请已提交" in html
    (leave,) = leaves(db)
    assert (leave.user_id, leave.duty_date, leave.shift_id) == (
        user_id(db, team.assistants[0]),
        DUTY_DAY,
        zhang,
    )
    assert (leave.kind, leave.status, leave.after_start) == (
        LeaveKind.exam,
        LeaveStatus.pending,
        False,
    )
    assert leave.created_at == TUESDAY_NOON
    assert "待审批" in html and "参加期中考试" in html
    (row,) = audits(db, "leave.request")
    assert row.actor_id == leave.user_id and row.team_id == team.team_id
    assert (row.entity, row.entity_id, row.before) == ("leave_request", str(leave.id), None)
    assert row.after["status"] == "pending" and row.after["after_start"] is False


@pytest.mark.parametrize(
    ("offset", "after_start"),
    [
        (timedelta(minutes=-1), False),  # one minute before: asked in advance
        (timedelta(0), True),  # exactly at the start: no longer "before" (不允许先斩后奏)
        (timedelta(minutes=1), True),  # one minute after: 先斩后奏
        (timedelta(hours=3), True),  # after the end, within the day: still accepted, marked
    ],
)
def test_xianzhan_houzou_boundary(app, client, db, zhang, offset, after_start):
    set_clock(app, DUTY_START + offset)
    html = ask(client, zhang).get_data(as_text=True)
    (leave,) = leaves(db)
    assert leave.after_start is after_start
    assert leave.status is LeaveStatus.pending
    assert (XIANZHAN_NOTICE in html) is after_start


def test_started_duty_form_warns_clearly(app, client, zhang):
    set_clock(app, DUTY_START + timedelta(minutes=1))
    html = client.get(f"/me/leave/new?date={DUTY_DAY}&shift={zhang}").get_data(as_text=True)
    assert XIANZHAN_NOTICE in html


def test_duplicate_open_request_is_refused(client, db, zhang):
    ask(client, zhang)
    html = ask(client, zhang, kind="sick", reason="发烧").get_data(as_text=True)
    assert "已有请假申请（待审批），不能重复提交" in html
    assert len(leaves(db)) == 1
    # The form page refuses too, and an approved request blocks a new one the same way.
    with db.session() as s:
        s.scalar(select(LeaveRequest)).status = LeaveStatus.approved
        s.commit()
    html = client.get(f"/me/leave/new?date={DUTY_DAY}&shift={zhang}", follow_redirects=True)
    assert "已有请假申请（已批准）" in html.get_data(as_text=True)
    assert len(leaves(db)) == 1


def test_cancel_pending_then_ask_again(client, db, zhang):
    ask(client, zhang)
    (leave,) = leaves(db)
    response = client.post(
        f"/me/leave/{leave.id}/cancel", data={"csrf_token": token(client)}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "已撤销请假申请" in html and "已撤销" in html
    assert leaves(db)[0].status is LeaveStatus.cancelled
    (row,) = audits(db, "leave.cancel")
    assert (row.before["status"], row.after["status"]) == ("pending", "cancelled")
    # A cancelled request no longer blocks a new one.
    ask(client, zhang, reason="学院活动", kind="official")
    assert [x.status for x in leaves(db)] == [LeaveStatus.cancelled, LeaveStatus.pending]


def test_only_pending_can_be_cancelled(client, db, zhang):
    ask(client, zhang)
    with db.session() as s:
        s.scalar(select(LeaveRequest)).status = LeaveStatus.approved
        s.commit()
    leave_id = leaves(db)[0].id
    html = client.post(
        f"/me/leave/{leave_id}/cancel", data={"csrf_token": token(client)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "只能撤销待审批的申请" in html
    assert leaves(db)[0].status is LeaveStatus.approved
    assert audits(db, "leave.cancel") == []


def test_cannot_cancel_someone_elses_request(app, db, team, auth, client):
    set_clock(app, TUESDAY_NOON)
    # 李四 asks for his Friday duty, then 张三 tries to cancel it.
    auth.login(team.assistants[1])
    ask(client, shift_of(db, team.assistants[1]), day=date(2026, 11, 27))
    (theirs,) = leaves(db)
    auth.logout()
    auth.login(team.assistants[0])
    response = client.post(f"/me/leave/{theirs.id}/cancel", data={"csrf_token": token(client)})
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert leaves(db)[0].status is LeaveStatus.pending
    assert "李四" not in client.get("/me").get_data(as_text=True)


@pytest.mark.parametrize("leave_id", ["999", "abc", "-1", "99999999999999999999999"])
def test_cancel_bad_ids_are_404(client, zhang, leave_id):
    response = client.post(f"/me/leave/{leave_id}/cancel", data={"csrf_token": token(client)})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("day", "shift", "message"),
    [
        (date(2026, 11, 26), "own", "该日期没有你的值班"),  # a Thursday: not his duty
        (DUTY_DAY, "other", "该日期没有你的值班"),  # 李四's shift on 张三's day
        (date(2027, 3, 3), "own", "该日期没有你的值班"),  # outside every semester
        ("2026-13-45", "own", "值班日期格式不正确"),
        ("", "own", "值班日期格式不正确"),
        (DUTY_DAY, "abc", "值班班次不正确"),
        (DUTY_DAY, "99999999999999999999", "值班班次不正确"),
        (date(2026, 11, 18), "own", "已结束一天以上"),  # last week's duty
    ],
)
def test_refused_duties_write_nothing(client, db, zhang, team, day, shift, message):
    shift_id = {"own": zhang, "other": shift_of(db, team.assistants[1])}.get(shift, shift)
    response = ask(client, shift_id, day=day)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert leaves(db) == [] and audits(db, "leave.request") == []


def test_duty_ended_within_a_day_is_accepted_as_xianzhan(app, client, db, zhang):
    set_clock(app, DUTY_START + timedelta(hours=2, minutes=1) + timedelta(hours=23))
    ask(client, zhang)
    (leave,) = leaves(db)
    assert leave.after_start is True
    set_clock(app, DUTY_START + timedelta(hours=2) + timedelta(days=1, minutes=1))
    html = ask(client, zhang, day=DUTY_DAY, reason="再试一次").get_data(as_text=True)
    assert "已结束一天以上" in html


@pytest.mark.parametrize(
    ("kind", "reason", "message"),
    [
        ("exam", "", "请填写请假事由"),
        ("exam", "   ", "请填写请假事由"),
        ("exam", "病", "请假事由须为 2–500 个字"),
        ("exam", "很" * 501, "请假事由须为 2–500 个字"),
        ("phone", "电话请假只能由老师记录", "请选择请假类型"),
        ("holiday", "不存在的类型", "请选择请假类型"),
    ],
)
def test_bad_form_input_is_explained(client, db, zhang, kind, reason, message):
    response = ask(client, zhang, kind=kind, reason=reason)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert leaves(db) == []


def test_missing_csrf_changes_nothing(client, db, zhang):
    data = {
        "duty_date": DUTY_DAY.isoformat(),
        "shift": str(zhang),
        "kind": "exam",
        "reason": "考试",
    }
    response = client.post("/me/leave", data=data)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    ask(client, zhang)
    response = client.post(f"/me/leave/{leaves(db)[0].id}/cancel")
    assert response.status_code == 400
    assert [x.status for x in leaves(db)] == [LeaveStatus.pending]
    with db.session() as s:
        assert s.scalar(select(func.count(AuditLog.id))) == 1


def test_leave_for_a_dated_extra_duty_without_shift(app, client, db, zhang, team):
    # A counselor-scheduled extra duty (override without a shift) can be asked off too.
    from datetime import time

    from data.models import OverrideKind, ShiftOverride

    with db.session() as s:
        s.add(
            ShiftOverride(
                semester_id=team.semester_id,
                on=date(2026, 11, 28),
                kind=OverrideKind.extra,
                user_id=user_id(db, team.assistants[0]),
                start=time(9, 0),
                end=time(11, 0),
                place_id=team.place_id,
            )
        )
        s.commit()
    html = client.get("/me").get_data(as_text=True)
    assert "11月28日 周六 09:00–11:00" in html
    ask(client, None, day=date(2026, 11, 28))
    (leave,) = leaves(db)
    assert (leave.shift_id, leave.after_start) == (None, False)


def test_staff_are_sent_to_the_dashboard(client, auth, team):
    auth.login(team.counselor)
    response = client.post("/me/leave", data={"csrf_token": token_for_login(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"


def token_for_login(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def test_shift_model_sanity(db, team):
    # The fixture the tests above rely on: 张三 has exactly the Wednesday shift.
    with db.session() as s:
        shift = s.get(Shift, shift_of(db, team.assistants[0]))
        assert shift.weekday == 3

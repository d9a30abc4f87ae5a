"""Finalize only after the end date; while finalized, leave is refused up front (issue 10 item 5)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from data.models import LeaveRequest, LeaveStatus, Semester
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import csrf_token
from tests.web.test_admin_leave import (
    add_leave,
    audit_count,
    get_leave,
    login,
    post,
    shift_of,
    user_id,
)

pytestmark = pytest.mark.db

# This team's term ends on Wednesday 2026-11-25, the day of 张三's 08:00–10:00 duty.
LAST_DAY = date(2026, 11, 25)
LAST_DAY_EVENING = datetime(2026, 11, 25, 18, 0, tzinfo=LOCAL_TZ)
NEXT_MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=LOCAL_TZ)  # within a day of the duty's end
REFUSAL = "学期 11 月 25 日结束后才能定稿"
LOCKED_LEAVE = "本学期考核已锁定，不能再请假或撤销申请"


@pytest.fixture
def short_team(db):
    with db.session() as s:
        return factories.small_team(s, semester_end=LAST_DAY)


def set_clock(app, moment: datetime) -> None:
    app.config["CLOCK"] = lambda: moment


def finalized_at(db, semester_id: int) -> datetime | None:
    with db.session() as s:
        return s.get(Semester, semester_id).finalized_at


def leave_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(LeaveRequest.id)))


def finalize(client, semester_id: int):
    return post(client, f"/admin/semester/{semester_id}/finalize")


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 10, 14, 10, 0, tzinfo=LOCAL_TZ), LAST_DAY_EVENING],
    ids=["week-6", "last-day"],
)
def test_finalize_before_the_day_after_the_end_is_refused(app, client, db, short_team, moment):
    set_clock(app, moment)
    login(client, short_team.counselor)
    page = client.get("/admin/semester").get_data(as_text=True)
    # Said before any confirm: the button is disabled and the page says from when.
    assert REFUSAL in page and "11 月 26 日起可以结束考核并锁定" in page
    assert f"/admin/semester/{short_team.semester_id}/finalize" not in page
    assert "disabled" in page
    before = audit_count(db)
    page = finalize(client, short_team.semester_id).get_data(as_text=True)
    assert "还不能锁定" in page and REFUSAL in page
    assert finalized_at(db, short_team.semester_id) is None
    assert audit_count(db) == before


def test_finalize_from_the_day_after_the_end(app, client, db, short_team):
    set_clock(app, NEXT_MORNING)
    login(client, short_team.counselor)
    page = client.get("/admin/semester").get_data(as_text=True)
    assert REFUSAL not in page
    assert f"/admin/semester/{short_team.semester_id}/finalize" in page
    page = finalize(client, short_team.semester_id).get_data(as_text=True)
    assert "已结束“2026秋”的考核并锁定" in page
    assert finalized_at(db, short_team.semester_id) == NEXT_MORNING


@pytest.fixture
def locked(app, client, db, short_team):
    """The term is over and finalized the next morning; 张三 is then logged in."""
    set_clock(app, NEXT_MORNING)
    login(client, short_team.counselor)
    finalize(client, short_team.semester_id)
    assert finalized_at(db, short_team.semester_id) is not None
    post(client, "/logout")
    login(client, short_team.assistants[0])
    return shift_of(db, short_team.assistants[0])


def test_after_finalize_the_leave_form_is_not_offered(client, db, locked):
    # The duty ended less than a day ago: without the lock a (先斩后奏) request would be open.
    response = client.get(f"/me/leave/new?date={LAST_DAY}&shift={locked}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert LOCKED_LEAVE in html
    assert 'name="reason"' not in html  # no leave form on the page


def test_after_finalize_a_leave_request_is_refused_at_submission(client, db, locked):
    before = audit_count(db)
    data = {
        "csrf_token": csrf_token(client.get("/me").get_data(as_text=True)),
        "duty_date": LAST_DAY.isoformat(),
        "shift": str(locked),
        "kind": "sick",
        "reason": "昨天突发高烧",
    }
    html = client.post("/me/leave", data=data, follow_redirects=True).get_data(as_text=True)
    assert LOCKED_LEAVE in html
    assert leave_count(db) == 0
    assert audit_count(db) == before


def test_after_finalize_a_pending_request_cannot_be_cancelled(client, db, short_team, locked):
    leave_id = add_leave(db, short_team.assistants[0], LAST_DAY, after_start=True)
    before = audit_count(db)
    html = post(client, f"/me/leave/{leave_id}/cancel").get_data(as_text=True)
    assert LOCKED_LEAVE in html
    assert get_leave(db, leave_id).status is LeaveStatus.pending
    assert audit_count(db) == before


def test_after_finalize_the_counselor_gets_no_decision_or_phone_form(app, client, db, short_team):
    leave_id = add_leave(db, short_team.assistants[0], LAST_DAY, after_start=True)
    set_clock(app, NEXT_MORNING)
    login(client, short_team.counselor)
    finalize(client, short_team.semester_id)
    queue = client.get("/admin/leave").get_data(as_text=True)
    assert "本学期考核已锁定，如需修改请先解锁：这条申请不能再审批" in queue
    assert f"/admin/leave/{leave_id}/convert" not in queue
    assert f"/admin/leave/{leave_id}/reject" not in queue
    zhang = user_id(db, short_team.assistants[0])
    response = client.get(f"/admin/leave/phone?user={zhang}&date={LAST_DAY}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "本学期考核已锁定" in html and 'name="shift"' not in html
    before = audit_count(db)
    # A decision is refused by the lock before anything else is looked at (no reason given).
    html = post(client, f"/admin/leave/{leave_id}/reject").get_data(as_text=True)
    assert "本学期考核已锁定" in html and "驳回必须填写原因" not in html
    assert get_leave(db, leave_id).status is LeaveStatus.pending
    assert audit_count(db) == before


def test_after_finalize_meeting_attendance_cannot_change(app, client, db, short_team):
    """Meeting attendance feeds the assessment: a finalized semester keeps it as graded."""
    from data.models import Meeting

    with db.session() as s:
        meeting = Meeting(
            semester_id=short_team.semester_id, held_on=date(2026, 10, 15), topic="例会"
        )
        s.add(meeting)
        s.commit()
        meeting_id = meeting.id
    set_clock(app, NEXT_MORNING)
    login(client, short_team.counselor)
    finalize(client, short_team.semester_id)
    saved = post(client, f"/admin/meetings/{meeting_id}", {"minutes": "改写的会议记录"})
    assert "考核已锁定" in saved.get_data(as_text=True)
    deleted = post(client, f"/admin/meetings/{meeting_id}/delete")
    assert "考核已锁定" in deleted.get_data(as_text=True)
    created = post(
        client,
        "/admin/meetings",
        {"semester": short_team.semester_id, "held_on": "2026-11-20", "topic": "补开的例会"},
    )
    assert "考核已锁定" in created.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count(Meeting.id))) == 1
        assert s.get(Meeting, meeting_id).minutes == ""

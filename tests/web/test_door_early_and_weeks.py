"""Issue 10 at the door (stale tab, 早退 confirmation) and in post only (weekly-summary weeks)."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from checkin.door.tokens import make_poster_token
from data.models import Appointment, CheckEvent, Semester, Stage, User
from data.report import build_report, member_facts
from data.timeutil import LOCAL_TZ
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.db

WEDNESDAY = date(2026, 11, 25)  # assistants[0] has Wednesday 08:00–10:00 at 学工办


def at(hour: int, minute: int = 0, day: date = WEDNESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


@pytest.fixture
def clock(app):
    class Clock:
        moment = at(8, 0)

    c = Clock()
    app.config["CLOCK"] = lambda: c.moment
    return c


def scan(client, app, team) -> str:
    """Scan the poster; the door page's CSRF token (what a tab keeps)."""
    client.get(f"/checkin/door?t={make_poster_token(app.secret_key, team.place_id, 1)}")
    return csrf_token(client.get("/checkin/door").get_data(as_text=True))


def post(client, token: str, **data) -> str:
    response = client.post(
        "/checkin/door", data={"csrf_token": token, **data}, follow_redirects=True
    )
    return response.get_data(as_text=True)


def events(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(CheckEvent.id)))


@pytest.fixture
def signed_in(client, app, team, clock):
    clock.moment = at(8, 0)
    client.get(f"/checkin/door?t={make_poster_token(app.secret_key, team.place_id, 1)}")
    AuthActions(client).login(team.assistants[0])
    assert "准时" in post(client, scan(client, app, team), action="sign_in")


def test_early_sign_out_asks_first_and_keeps_the_record(client, app, team, clock, db, signed_in):
    clock.moment = at(9, 0)
    token = scan(client, app, team)
    page = post(client, token, action="sign_out", record="整理学生档案，接待来访")
    assert "确定早退签退？" in page and "早退 60 分钟" in page
    assert "整理学生档案，接待来访</textarea>" in page  # the record is kept
    assert 'name="confirm" value="1"' in page
    assert events(db) == 1  # nothing written yet
    done = post(client, token, action="sign_out", record="整理学生档案，接待来访", confirm="1")
    assert "早退 60 分钟" in done and "确定早退签退？" not in done
    assert events(db) == 2


def test_sign_out_within_the_grace_is_not_asked(client, app, team, clock, db, signed_in):
    clock.moment = at(9, 56)
    done = post(client, scan(client, app, team), action="sign_out", record="整理学生档案，接待来访")
    assert "已签退" in done and "确定早退签退？" not in done
    assert events(db) == 2


def test_a_short_record_is_asked_for_before_the_early_question(
    client, app, team, clock, db, signed_in
):
    clock.moment = at(9, 0)
    page = post(client, scan(client, app, team), action="sign_out", record="短")
    assert "至少 5 个字" in page and "确定早退签退？" not in page
    assert events(db) == 1


def test_stale_tab_repeats_are_answered_not_refused(client, app, team, clock, db, signed_in):
    clock.moment = at(10, 1)
    token = scan(client, app, team)
    assert "已签退" in post(client, token, action="sign_out", record="整理学生档案，接待来访")
    # The same tab submits again: its scan proof is used up, the answer is what happened.
    again = post(client, token, action="sign_out", record="整理学生档案，接待来访")
    assert "已签退（10:01）" in again and "请先扫描" not in again
    assert events(db) == 2


def test_stale_sign_in_tab_is_told_the_sign_in_time(client, app, team, clock, db):
    clock.moment = at(8, 3)
    client.get(f"/checkin/door?t={make_poster_token(app.secret_key, team.place_id, 1)}")
    AuthActions(client).login(team.assistants[0])
    tab = scan(client, app, team)
    assert "准时" in post(client, tab, action="sign_in")
    clock.moment = at(8, 4)
    again = post(client, tab, action="sign_in")
    assert "已签到（08:03）" in again and "请先扫描" not in again
    assert events(db) == 1


def test_without_any_sign_in_a_stale_post_still_asks_for_a_scan(client, app, team, clock, db):
    clock.moment = at(8, 3)
    client.get(f"/checkin/door?t={make_poster_token(app.secret_key, team.place_id, 1)}")
    AuthActions(client).login(team.assistants[0])
    tab = scan(client, app, team)
    with client.session_transaction() as flask_session:
        flask_session.pop("door_proof")  # the proof expired
    refused = post(client, tab, action="sign_in")
    assert "请先扫描" in refused
    assert events(db) == 0


# ---------------------------------------------------------------- in post only (weeks)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)  # Tuesday; 11 weeks completed since 9/7


def _post_dates(db, team) -> dict[str, int]:
    """李四 starts on 11-02 (trial); 王五 left on 10-14. Returns user ids by name."""
    with db.session() as s:
        users = {
            u.username: u.id
            for u in s.scalars(select(User).where(User.username.in_(team.assistants)))
        }
        late_start = s.scalar(
            select(Appointment).where(Appointment.user_id == users[team.assistants[1]])
        )
        late_start.trial_start = late_start.appointed_on = date(2026, 11, 2)
        left = s.scalar(select(Appointment).where(Appointment.user_id == users[team.assistants[2]]))
        left.stage, left.ended_on = Stage.ended, date(2026, 10, 14)
        s.commit()
    return users


def test_weeks_before_the_appointment_or_after_leaving_need_no_summary(db, team):
    users = _post_dates(db, team)
    zhang, li, wang = (users[u] for u in team.assistants)
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        facts = member_facts(s, semester, NOW.date(), {zhang, li, wang})
        assert facts[zhang].weeks_missing == 11
        assert facts[li].weeks_missing == 3  # 11-02, 11-09, 11-16
        assert facts[wang].weeks_missing == 6  # 9-07 … the week of 10-14
        report = {m.user_id: m for m in build_report(s, semester, NOW).members}
        assert report[li].weeks_without_summary == 3
        assert "3 周未写周总结" in report[li].warning.reasons
        assert report[li].attendance.absent == 3  # Fridays 11-06, 11-13, 11-20 only


def test_dashboard_evidence_and_me_show_the_same_weeks(app, client, db, team):
    from dashboard.tables.warnings import warning_evidence

    users = _post_dates(db, team)
    li = users[team.assistants[1]]
    with db.session() as s:
        evidence = warning_evidence(s, s.get(Semester, team.semester_id), NOW, li)
    weeks = evidence[evidence["类别"] == "未写周总结"]["日期"].tolist()
    assert weeks == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]

    app.config["CLOCK"] = lambda: NOW
    AuthActions(client).login(team.assistants[1])
    html = client.get("/me").get_data(as_text=True)
    shown = re.findall(r'title="(\d{4}-\d{2}-\d{2}) 这周"', html)
    assert shown == ["2026-11-23", "2026-11-16", "2026-11-09", "2026-11-02"]
    assert "3 周未写周总结" in html

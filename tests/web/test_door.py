"""The door flow: scan → login → sign in/out, and every refusal (SPEC §4)."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from checkin.door.tokens import make_kiosk_token, make_poster_token
from data.models import (
    Appointment,
    CheckAction,
    CheckEvent,
    DeviceAlert,
    Place,
    Stage,
    Team,
    TeamSettings,
    User,
    WorkRecord,
)
from data.policy.classify import classify_duty
from data.policy.settings import PolicySettings
from data.policy.types import Duty, Event
from data.timeutil import LOCAL_TZ
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.db

WEDNESDAY = date(2026, 11, 25)  # assistants[0] has Wednesday 08:00–10:00 at 学工办


def at(hour: int, minute: int = 0, second: int = 0, day: date = WEDNESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=LOCAL_TZ)


@pytest.fixture
def clock(app):
    class Clock:
        moment = at(8, 0)

        def set(self, moment: datetime) -> None:
            self.moment = moment

    c = Clock()
    app.config["CLOCK"] = lambda: c.moment
    return c


def poster_url(app, place_id: int, version: int = 1) -> str:
    return f"/checkin/door?t={make_poster_token(app.secret_key, place_id, version)}"


def scan_and_login(client, app, team, username, url=None):
    client.get(url or poster_url(app, team.place_id))
    AuthActions(client).login(username)
    return client.get("/checkin/door")


def press(client, action: str, record: str | None = None):
    page = client.get("/checkin/door").get_data(as_text=True)
    data = {"action": action, "csrf_token": csrf_token(page)}
    if record is not None:
        data["record"] = record
    return client.post("/checkin/door", data=data, follow_redirects=True)


def events(db, username=None) -> int:
    with db.session() as s:
        query = select(func.count(CheckEvent.id))
        if username:
            query = query.join(User).where(User.username == username)
        return s.scalar(query)


def test_scan_login_and_back_to_the_button(client, app, team, clock):
    clock.set(at(7, 50))
    first = client.get(poster_url(app, team.place_id))
    assert first.status_code == 303 and first.headers["Location"] == "/checkin/door"
    assert "/login?next=/checkin/door" in client.get("/checkin/door").headers["Location"]
    login = AuthActions(client).login(team.assistants[0], next_url="/checkin/door")
    assert login.headers["Location"] == "/checkin/door"
    page = client.get("/checkin/door").get_data(as_text=True)
    assert "周三 08:00–10:00 学工办" in page and ">签到<" in page


def test_first_scan_survives_login_and_forced_password_change(client, app, team, clock, db):
    """Issue 12: a new student's first scan is kept through the initial-password change."""
    with db.session() as s:
        s.scalar(
            select(User).where(User.username == team.assistants[0])
        ).must_change_password = True
    clock.set(at(7, 50))
    client.get(poster_url(app, team.place_id))
    login = AuthActions(client).login(team.assistants[0], next_url="/checkin/door")
    assert login.headers["Location"] == "/account/password?next=/checkin/door"
    # The door itself also sends a not-yet-changed account to the change, with the way back.
    assert client.get("/checkin/door").headers["Location"] == (
        "/account/password?next=/checkin/door"
    )
    clock.set(at(7, 55))
    url = login.headers["Location"]
    form = {"current": "correct-horse-9", "new": "my-own-secret-1", "confirm": "my-own-secret-1"}
    changed = client.post(url, data={**form, "csrf_token": csrf_token(client.get(url).text)})
    assert changed.headers["Location"] == "/checkin/door"
    page = client.get("/checkin/door").get_data(as_text=True)
    assert "周三 08:00–10:00 学工办" in page and ">签到<" in page
    clock.set(at(7, 58))
    assert "准时" in press(client, "sign_in").get_data(as_text=True)
    assert events(db) == 1


def test_password_change_ignores_a_foreign_next(client, team, db):
    with db.session() as s:
        s.scalar(
            select(User).where(User.username == team.assistants[0])
        ).must_change_password = True
    AuthActions(client).login(team.assistants[0], next_url="//evil.example.com/x")
    url = "/account/password?next=//evil.example.com/x"
    form = {"current": "correct-horse-9", "new": "my-own-secret-1", "confirm": "my-own-secret-1"}
    changed = client.post(url, data={**form, "csrf_token": csrf_token(client.get(url).text)})
    assert changed.headers["Location"] == "/me"


def test_sign_in_on_time_then_sign_out_with_record(client, app, team, clock, db):
    clock.set(at(8, 5))
    scan_and_login(client, app, team, team.assistants[0])
    page = press(client, "sign_in").get_data(as_text=True)
    assert "准时" in page and "本学期已迟到 0 次（3 次即不合格）" in page
    clock.set(at(10, 1))
    client.get(poster_url(app, team.place_id))
    refused = press(client, "sign_out", record="短")
    assert refused.status_code == 400 and "至少 5 个字" in refused.get_data(as_text=True)
    done = press(client, "sign_out", record="整理学生档案，接待来访").get_data(as_text=True)
    assert "已签退" in done and "1 小时 55 分钟" in done
    with db.session() as s:
        assert s.scalar(select(WorkRecord.content)) == "整理学生档案，接待来访"
    assert events(db) == 2


@pytest.mark.parametrize("offset", [-30 * 60, -1, 0, 5 * 60, 5 * 60 + 59, 6 * 60, 47 * 60])
def test_lateness_equals_the_policy_engine(client, app, team, clock, offset):
    moment = at(8, 0) + timedelta(seconds=offset)
    clock.set(moment)
    scan_and_login(client, app, team, team.assistants[0])
    page = press(client, "sign_in").get_data(as_text=True)
    duty = Duty(0, WEDNESDAY, 1, at(8, 0), at(10, 0), "学工办")
    expected = classify_duty(duty, [Event(moment, "sign_in")], [], None, PolicySettings(), moment)
    if expected.late_minutes:
        assert f"迟到 {expected.late_minutes} 分钟" in page
        assert "本学期已迟到 1 次（3 次即不合格）" in page
    else:
        assert "准时" in page


def test_second_sign_in_is_a_no_op(client, app, team, clock, db):
    clock.set(at(8, 2))
    scan_and_login(client, app, team, team.assistants[0])
    press(client, "sign_in")
    clock.set(at(8, 9))
    client.get(poster_url(app, team.place_id))
    again = press(client, "sign_in").get_data(as_text=True)
    assert "已签到（08:02）" in again
    assert events(db) == 1


def test_window_not_open_yet(client, app, team, clock, db):
    clock.set(at(7, 29))
    page = scan_and_login(client, app, team, team.assistants[0]).get_data(as_text=True)
    assert "07:30 起可以签到" in page
    refused = press(client, "sign_in")
    assert refused.status_code == 403 and "签到还没开始" in refused.get_data(as_text=True)
    assert events(db) == 0


def test_no_duty_means_extra_duty(client, app, team, clock, db):
    clock.set(at(15, 0))
    page = scan_and_login(client, app, team, team.assistants[0]).get_data(as_text=True)
    assert "加班签到" in page
    assert "加班签到成功" in press(client, "extra_in").get_data(as_text=True)
    clock.set(at(16, 30))
    client.get(poster_url(app, team.place_id))
    out = press(client, "extra_out", record="布置会场，搬运物资").get_data(as_text=True)
    assert "本次加班 1 小时 30 分钟" in out
    with db.session() as s:
        assert (
            s.scalar(select(func.count(CheckEvent.id)).where(CheckEvent.duty_date.is_(None))) == 2
        )


def refused_and_nothing_written(client, db, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
    assert events(db) == 0


def test_forged_token(client, team, db, clock):
    refused_and_nothing_written(client, db, "/checkin/door?t=forged.token.value", "二维码无效")
    assert client.get("/checkin/door").status_code == 200  # no proof kept


def test_tampered_poster_token(client, app, team, db, clock):
    token = make_poster_token("another-secret", team.place_id, 1)
    refused_and_nothing_written(client, db, f"/checkin/door?t={token}", "二维码无效")


def test_revoked_poster(client, app, team, db, clock):
    with db.session() as s:
        s.get(Place, team.place_id).poster_version = 2
    refused_and_nothing_written(
        client, db, poster_url(app, team.place_id, 1), "二维码已失效，请扫描门口最新二维码"
    )
    assert client.get(poster_url(app, team.place_id, 2)).status_code == 303


def kiosk_url(app, place_id: int, moment: datetime, steps_back: int = 0) -> str:
    step = int(moment.timestamp()) // 15 - steps_back
    return f"/checkin/door?t={make_kiosk_token(app.secret_key, place_id, 1, step)}"


def test_kiosk_current_and_previous_step_accepted(client, app, team, clock):
    clock.set(at(8, 0))
    assert client.get(kiosk_url(app, team.place_id, at(8, 0))).status_code == 303
    assert client.get(kiosk_url(app, team.place_id, at(8, 0), steps_back=1)).status_code == 303


def test_kiosk_step_two_windows_old_is_refused(client, app, team, db, clock):
    clock.set(at(8, 0))
    refused_and_nothing_written(
        client, db, kiosk_url(app, team.place_id, at(8, 0), 2), "二维码已过期"
    )


def test_kiosk_token_from_the_future_is_refused(client, app, team, db, clock):
    clock.set(at(8, 0))
    refused_and_nothing_written(client, db, kiosk_url(app, team.place_id, at(8, 1)), "二维码无效")


def test_kiosk_code_used_twice_by_one_account_is_a_replay(client, app, team, db, clock):
    clock.set(at(8, 0))
    url = kiosk_url(app, team.place_id, at(8, 0))
    scan_and_login(client, app, team, team.assistants[0], url)
    assert "准时" in press(client, "sign_in").get_data(as_text=True)
    clock.set(at(8, 0, 10))
    client.get(url)
    replay = press(client, "sign_out", record="用同一个码签退试试")
    assert replay.status_code == 403 and "已经用过" in replay.get_data(as_text=True)
    assert events(db) == 1


def test_other_teams_place_is_refused(client, app, team, db, clock):
    with db.session() as s:
        other = Team(name="化学学院助管团")
        place = Place(team=other, name="化学学工办")
        s.add_all([other, place])
        s.flush()
        other_place = place.id
    clock.set(at(8, 0))
    page = scan_and_login(client, app, team, team.assistants[0], poster_url(app, other_place))
    assert page.status_code == 403 and "不属于你所在的团队" in page.get_data(as_text=True)
    assert press(client, "sign_in").status_code == 403
    assert events(db) == 0


def test_mode_kiosk_only_refuses_posters(client, app, team, db, clock):
    with db.session() as s:
        s.add(TeamSettings(team_id=team.team_id, values={"checkin_modes": "kiosk"}))
    refused_and_nothing_written(
        client, db, poster_url(app, team.place_id), "该签到方式已被兼辅老师关闭"
    )


def test_network_not_allowed(client, app, team, db, clock):
    with db.session() as s:
        s.add(TeamSettings(team_id=team.team_id, values={"allowed_networks": ["10.0.0.0/8"]}))
    clock.set(at(8, 0))
    page = scan_and_login(client, app, team, team.assistants[0])
    assert page.status_code == 403 and "校园网" in page.get_data(as_text=True)
    assert events(db) == 0


@pytest.mark.parametrize(
    "stage", [Stage.applied, Stage.ended, Stage.dismissed, Stage.resigned, Stage.trial_failed]
)
def test_not_appointed_is_refused(client, app, team, db, clock, stage):
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[0]))
        s.scalar(select(Appointment).where(Appointment.user_id == user.id)).stage = stage
    clock.set(at(8, 0))
    page = scan_and_login(client, app, team, team.assistants[0])
    assert page.status_code == 403 and "不在聘任期内" in page.get_data(as_text=True)
    assert events(db) == 0


def test_missing_csrf_is_refused(client, app, team, db, clock):
    clock.set(at(8, 0))
    scan_and_login(client, app, team, team.assistants[0])
    response = client.post("/checkin/door", data={"action": "sign_in"})
    assert response.status_code == 400 and "安全校验" in response.get_data(as_text=True)
    assert events(db) == 0


def test_post_without_a_scan_is_refused(client, app, team, db, clock):
    AuthActions(client).login(team.assistants[0])
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post(
        "/checkin/door", data={"action": "sign_in", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 403 and "请先扫描" in response.get_data(as_text=True)


def test_counselor_is_not_signed_in(client, app, team, db, clock):
    page = scan_and_login(client, app, team, team.counselor)
    assert page.status_code == 403 and "只有助管需要签到" in page.get_data(as_text=True)


def test_one_phone_two_accounts_raises_a_device_alert(app, team, db, clock):
    with db.session() as s:
        second = s.scalar(select(User).where(User.username == team.assistants[1]))
        first = s.scalar(select(User).where(User.username == team.assistants[0]))
        ids = sorted([first.id, second.id])
    clock.set(at(15, 0))
    phone = app.test_client()
    scan_and_login(phone, app, team, team.assistants[0])
    press(phone, "extra_in")
    device = phone.get_cookie("zgt_device").value
    AuthActions(phone).logout()
    scan_and_login(phone, app, team, team.assistants[1])
    assert phone.get_cookie("zgt_device").value == device
    press(phone, "extra_in")
    with db.session() as s:
        alert = s.scalar(select(DeviceAlert))
        assert alert is not None and sorted(alert.user_ids) == ids and alert.on == WEDNESDAY


def _many_assistants(db, team, count: int) -> list[str]:
    from data.models import Shift, ShiftAssignment
    from tests.factories import user

    with db.session() as s:
        shift = s.scalar(select(Shift).where(Shift.weekday == 3))
        t = s.get(Team, team.team_id)
        names = []
        for i in range(count):
            person = user(
                s,
                t,
                f"2025{i:04d}",
                f"助管{i}",
                __import__("data.models", fromlist=["Role"]).Role.assistant,
            )
            s.flush()
            s.add(ShiftAssignment(shift_id=shift.id, user_id=person.id))
            s.add(
                Appointment(
                    user_id=person.id,
                    semester_id=team.semester_id,
                    stage=Stage.appointed,
                    applied_on=date(2026, 9, 1),
                )
            )
            names.append(person.username)
    return names


def _concurrently(jobs) -> None:
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        barrier.wait()
        try:
            job()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def test_fifty_assistants_at_once_give_fifty_sign_ins(app, team, db, clock):
    names = _many_assistants(db, team, 50)
    clock.set(at(7, 58))
    clients = []
    for name in names:
        c = app.test_client()
        scan_and_login(c, app, team, name)
        page = c.get("/checkin/door").get_data(as_text=True)
        clients.append((c, csrf_token(page)))

    def sign_in(c, token):
        return lambda: c.post("/checkin/door", data={"action": "sign_in", "csrf_token": token})

    _concurrently([sign_in(c, t) for c, t in clients])
    assert events(db) == 50


def test_twenty_sign_ins_by_one_assistant_give_one(app, team, db, clock):
    clock.set(at(7, 58))
    c = app.test_client()
    scan_and_login(c, app, team, team.assistants[0])
    token = csrf_token(c.get("/checkin/door").get_data(as_text=True))
    cookies = {cookie.key: cookie.value for cookie in c._cookies.values()}

    def sign_in():
        other = app.test_client()
        for key, value in cookies.items():
            other.set_cookie(key, value)
        other.post("/checkin/door", data={"action": "sign_in", "csrf_token": token})

    _concurrently([sign_in for _ in range(20)])
    assert events(db) == 1
    with db.session() as s:
        assert s.scalar(select(CheckEvent.action)) is CheckAction.sign_in

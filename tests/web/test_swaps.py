"""换班申请 through the app: the /me card, the 换班审批 page, and who may do what."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from data.models import (
    AuditLog,
    Role,
    Semester,
    Shift,
    ShiftOverride,
    SwapOffer,
    Team,
    User,
)
from data.policy.swaps import SwapState
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.db

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)  # Monday; 王五's Tuesday duty is tomorrow
TUESDAY = date(2026, 9, 15)
WANG, ZHANG, LI = "2023103", "2023101", "2023102"


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: NOW
    return app


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def flashed(client, response) -> str:
    return client.get(response.headers["Location"]).get_data(as_text=True)


def tuesday_shift(db) -> int:
    with db.session() as s:
        return s.scalar(select(Shift.id).where(Shift.weekday == 2))


def offer_row(db) -> SwapOffer | None:
    with db.session() as s:
        return s.scalar(select(SwapOffer).order_by(SwapOffer.id.desc()))


def post_offer(client, db, reason: str = "当天有课程考试"):
    duty = f"{TUESDAY.isoformat()}/{tuesday_shift(db)}"
    return client.post(
        "/me/swaps", data={"csrf_token": token(client), "duty": duty, "reason": reason}
    )


def post(client, url: str, **fields):
    return client.post(url, data={"csrf_token": token(client), **fields})


def other_team_leader(db) -> str:
    with db.session() as s:
        team = Team(name="外院助管团")
        s.add(team)
        s.add(Semester(team=team, name="外院2026秋", start=date(2026, 9, 1), end=date(2027, 1, 10)))
        factories.user(s, team, "9999001", "外院团长", Role.leader)
        s.commit()
    return "9999001"


def test_the_whole_flow_through_the_pages(client, auth, team, clocked, db):
    auth.login(WANG)
    me = client.get("/me").get_data(as_text=True)
    assert 'id="swaps"' in me and "发布换班申请" in me and "9月15日 周二 08:00–10:00" in me
    response = post_offer(client, db)
    assert "换班申请已发布" in flashed(client, response)
    assert "待替班" in client.get("/me").get_data(as_text=True)
    offer_id = offer_row(db).id
    auth.logout()

    auth.login(ZHANG)
    me = client.get("/me").get_data(as_text=True)
    assert "同学的换班申请" in me and "我来替班" in me and "当天有课程考试" in me
    response = post(client, f"/me/swaps/{offer_id}/take")
    assert "你已接下这次替班" in flashed(client, response)
    assert "王五 → 我（替班）" in client.get("/me").get_data(as_text=True)
    auth.logout()

    auth.login(team.leader)
    page = client.get("/admin/swaps").get_data(as_text=True)
    assert "待批准" in page and "王五</b> → <b>张三" in page
    response = post(client, f"/admin/swaps/{offer_id}/approve")
    assert "已批准换班：2026-09-15" in flashed(client, response)
    schedule = client.get("/admin/schedule").get_data(as_text=True)
    assert "王五 → 张三" in schedule and "换班申请：当天有课程考试" in schedule
    assert offer_row(db).state is SwapState.approved


def test_the_swap_form_of_the_schedule_page_uses_the_same_rule(client, auth, team, clocked, db):
    """The 团长's own swap is refused when the taker is busy then, like a swap request."""
    with db.session() as s:
        zhang = s.scalar(select(User).where(User.username == ZHANG))
        wang = s.scalar(select(User).where(User.username == WANG))
        s.add(
            ShiftOverride(
                semester_id=team.semester_id,
                on=TUESDAY,
                kind="extra",
                user_id=zhang.id,
                start=time(9),
                end=time(12),
                place_id=team.place_id,
            )
        )
        s.commit()
        zhang_id, wang_id = zhang.id, wang.id
    auth.login(team.leader)
    response = post(
        client,
        "/admin/schedule/overrides",
        semester=team.semester_id,
        kind="swap",
        on=TUESDAY.isoformat(),
        shift_id=tuesday_shift(db),
        replaced_user_id=wang_id,
        user_id=zhang_id,
    )
    assert "张三当天 09:00–12:00 有自己的值班，时间重叠" in flashed(client, response)
    with db.session() as s:
        assert s.scalar(select(ShiftOverride.id).where(ShiftOverride.kind == "swap")) is None


def test_bad_input_is_a_message_not_an_error(client, auth, team, clocked, db):
    auth.login(WANG)
    for duty in ("", "2026-13-40/1", "2026-09-15/abc", "x" * 500):
        response = client.post("/me/swaps", data={"csrf_token": token(client), "duty": duty})
        assert response.status_code == 302
        assert "请选择要换班的值班" in flashed(client, response)
    response = post_offer(client, db, reason="")
    assert "换班理由须为" in flashed(client, response)
    assert post(client, "/me/swaps/999999/take").status_code == 302
    assert post(client, "/me/swaps/0/withdraw").status_code == 302
    assert offer_row(db) is None


def _offered_and_taken(client, auth, db, taken: bool = True) -> int:
    auth.login(WANG)
    post_offer(client, db)
    auth.logout()
    offer_id = offer_row(db).id
    if taken:
        auth.login(ZHANG)
        post(client, f"/me/swaps/{offer_id}/take")
        auth.logout()
    return offer_id


# (who, expected outcome) per action; "ok" means the change happened.
ROLES = ("offerer", "other", "leader", "counselor", "leadership", "anonymous", "outsider")


def _login(auth, team, db, role: str) -> None:
    usernames = {
        "offerer": WANG,
        "other": LI,
        "leader": team.leader,
        "counselor": team.counselor,
        "leadership": team.leadership,
    }
    if role == "outsider":
        auth.login(other_team_leader(db))
    elif role != "anonymous":
        auth.login(usernames[role])


@pytest.mark.parametrize("role", ROLES)
def test_who_may_approve_and_decline(client, auth, team, clocked, db, role):
    offer_id = _offered_and_taken(client, auth, db)
    _login(auth, team, db, role)
    page = client.get("/admin/swaps")
    expected_page = {"leader": 200, "counselor": 200, "anonymous": 302, "outsider": 200}
    assert page.status_code == expected_page.get(role, 403)
    csrf = token(client) if role != "anonymous" else ""
    response = client.post(f"/admin/swaps/{offer_id}/approve", data={"csrf_token": csrf})
    state = offer_row(db).state
    if role in ("leader", "counselor"):
        assert state is SwapState.approved
    else:
        assert state is SwapState.taken
        assert response.status_code in (302, 403, 400)
        if role == "outsider":
            assert "找不到这条换班申请" in flashed(client, response)
        response = client.post(f"/admin/swaps/{offer_id}/decline", data={"csrf_token": csrf})
        assert offer_row(db).state is SwapState.taken


@pytest.mark.parametrize("role", ROLES)
def test_who_may_offer_take_and_withdraw(client, auth, team, clocked, db, role):
    offer_id = _offered_and_taken(client, auth, db, taken=False)
    _login(auth, team, db, role)
    csrf = token(client) if role != "anonymous" else ""
    client.post(f"/me/swaps/{offer_id}/take", data={"csrf_token": csrf})
    taken = offer_row(db)
    # Any teammate on duty who is free then may take it (the 团长 too); never the offerer.
    if role in ("other", "leader"):
        assert taken.state is SwapState.taken
    else:
        assert taken.state is SwapState.open and taken.taker_id is None
    client.post(f"/me/swaps/{offer_id}/withdraw", data={"csrf_token": csrf})
    if role == "offerer":
        assert offer_row(db).state is SwapState.withdrawn
    else:
        assert offer_row(db).state is taken.state
    # Offering someone else's duty: nobody but the offerer has it (a second live one is refused).
    client.post(
        "/me/swaps",
        data={"csrf_token": csrf, "duty": f"{TUESDAY}/{tuesday_shift(db)}", "reason": "再申请"},
    )
    with db.session() as s:
        offers = s.scalars(select(SwapOffer)).all()
    assert len(offers) == (2 if role == "offerer" else 1)


def test_another_teams_offers_stay_invisible(client, auth, team, clocked, db):
    offer_id = _offered_and_taken(client, auth, db, taken=False)
    auth.login(other_team_leader(db))
    assert "当天有课程考试" not in client.get("/admin/swaps").get_data(as_text=True)
    response = post(client, f"/me/swaps/{offer_id}/take")
    assert "找不到这条换班申请" in flashed(client, response)
    with db.session() as s:
        assert not s.scalars(select(AuditLog).where(AuditLog.action == "swap.take")).all()


def test_the_leader_sees_the_nav_entry_and_an_assistant_not(client, auth, team, clocked):
    auth.login(team.leader)
    assert "换班审批" in client.get("/admin/schedule").get_data(as_text=True)
    assert client.get("/me").status_code == 200


def test_two_browsers_take_the_same_offer_one_wins(app, client, auth, team, clocked, db):
    offer_id = _offered_and_taken(client, auth, db, taken=False)
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(ZHANG)
    AuthActions(second).login(LI)
    tokens = [token(first), token(second)]
    r1 = first.post(f"/me/swaps/{offer_id}/take", data={"csrf_token": tokens[0]})
    r2 = second.post(f"/me/swaps/{offer_id}/take", data={"csrf_token": tokens[1]})
    assert "你已接下这次替班" in flashed(first, r1)
    assert "待团长批准" in flashed(second, r2)  # the second sees it is taken, nothing changes
    with db.session() as s:
        zhang = s.scalar(select(User.id).where(User.username == ZHANG))
    assert offer_row(db).taker_id == zhang


def test_the_counselor_reaches_the_queue_from_the_schedule(client, auth, team, clocked):
    auth.login(team.counselor)
    page = client.get("/admin/schedule").get_data(as_text=True)
    assert 'href="/admin/swaps">换班审批</a> 批准' in page


def test_a_deleted_swap_record_gives_the_duty_back_and_says_so(client, auth, team, clocked, db):
    offer_id = _offered_and_taken(client, auth, db)
    auth.login(team.leader)
    post(client, f"/admin/swaps/{offer_id}/approve")
    override_id = offer_row(db).override_id
    post(client, f"/admin/schedule/overrides/{override_id}/delete")
    assert offer_row(db).override_id is None  # ON DELETE SET NULL: the offer stays, as history
    auth.logout()
    auth.login(WANG)
    me = client.get("/me").get_data(as_text=True)
    assert "已批准（换班记录已删除）" in me
    assert "9月15日 周二 08:00–10:00" in me.split('id="swaps"')[0]  # back in 王五's duties

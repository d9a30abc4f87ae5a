"""Kiosk mode (checkin/door/kiosk.py): the door tablet's rotating QR, clock and recent sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from checkin.door import poster_render
from checkin.door.kiosk import KIOSK_OFF, LINK_REVOKED
from checkin.door.tokens import EXPIRED, TokenError, make_kiosk_link, read_door_token
from data.models import CheckAction, CheckEvent, Place, TeamSettings, User
from data.timeutil import utcnow
from tests.browser.helpers import live_server
from tests.web.test_posters import DOOR, decode_qr, token_of

pytestmark = pytest.mark.db

# 14:00:07 in Beijing; 7 s into a 15 s step.
T0 = datetime(2026, 11, 24, 6, 0, 7, tzinfo=UTC)
TABLET = {"width": 1280, "height": 800}


@pytest.fixture
def clock(app):
    """Set the app's clock: ``clock(moment)``."""

    def set_to(moment: datetime) -> None:
        app.config["CLOCK"] = lambda: moment

    set_to(T0)
    return set_to


def link_for(app, place_id: int, version: int = 1) -> str:
    return make_kiosk_link(app.secret_key, place_id, version)


def set_settings(db, team_id: int, **values) -> None:
    with db.session() as s:
        s.merge(TeamSettings(team_id=team_id, values=values))


def sign_in(db, username: str, place_id: int, at: datetime, action=CheckAction.sign_in) -> None:
    with db.session() as s:
        user = s.query(User).filter_by(username=username).one()
        s.add(CheckEvent(user_id=user.id, action=action, at=at, place_id=place_id))


def test_page_needs_no_login(client, app, team, clock):
    response = client.get(f"/kiosk?k={link_for(app, team.place_id)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "值班签到 · 学工办" in html
    assert 'class="kiosk-qr"' in html
    assert ">14:00:07<" in html  # the big clock, Beijing time
    assert "navbar" not in html
    assert '<noscript><meta http-equiv="refresh" content="8">' in html  # reload at the next step
    assert "kiosk.js" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_state_json(client, app, team, clock):
    state = client.get(f"/kiosk/state.json?k={link_for(app, team.place_id)}").get_json()
    assert state["enabled"] is True
    assert state["qr_svg"].startswith("<svg")
    assert state["clock"] == "14:00:07"
    assert state["expires_in"] == 8
    assert state["step_seconds"] == 15
    assert state["recent"] == []
    assert state["date"] == "11月24日 周二"


def test_qr_rotates_and_expires(client, app, team, clock, tmp_path):
    link = link_for(app, team.place_id)
    url = decode_qr(client.get(f"/kiosk/qr.png?k={link}").data, tmp_path)
    assert url.startswith(DOOR)
    # What the page shows (SVG) is the same code as the PNG.
    svg = client.get(f"/kiosk/state.json?k={link}").get_json()["qr_svg"]
    assert svg == poster_render.qr_svg(url, "kiosk-qr")

    token = token_of(url)
    parsed = read_door_token(app.secret_key, token, T0, 15)
    assert (parsed.place_id, parsed.method, parsed.version) == (team.place_id, "kiosk", 1)
    # Still accepted during the next step (someone scanning as the code changes) ...
    read_door_token(app.secret_key, token, T0 + timedelta(seconds=15), 15)
    # ... and refused two steps later.
    with pytest.raises(TokenError, match=EXPIRED):
        read_door_token(app.secret_key, token, T0 + timedelta(seconds=30), 15)

    clock(T0 + timedelta(seconds=15))
    later = decode_qr(client.get(f"/kiosk/qr.png?k={link}").data, tmp_path)
    assert later != url
    later_svg = client.get(f"/kiosk/state.json?k={link}").get_json()["qr_svg"]
    assert later_svg != svg


def test_door_accepts_the_kiosk_code_now_and_refuses_it_two_steps_later(
    client, app, team, clock, tmp_path
):
    url = decode_qr(client.get(f"/kiosk/qr.png?k={link_for(app, team.place_id)}").data, tmp_path)
    path = url.removeprefix("https://zgt.example.edu.cn")
    assert client.get(path).status_code == 303
    clock(T0 + timedelta(seconds=30))
    refused = client.get(path)
    assert refused.status_code == 403
    assert EXPIRED in refused.get_data(as_text=True)


def test_step_length_is_the_team_setting(client, app, team, db, clock):
    set_settings(db, team.team_id, kiosk_step_seconds=30)
    state = client.get(f"/kiosk/state.json?k={link_for(app, team.place_id)}").get_json()
    assert state["step_seconds"] == 30
    assert state["expires_in"] == 30 - 7


def test_revoked_link_refused(client, app, team, db, clock):
    link = link_for(app, team.place_id)
    with db.session() as s:
        s.get(Place, team.place_id).kiosk_version = 2
    response = client.get(f"/kiosk?k={link}")
    assert response.status_code == 403
    assert LINK_REVOKED in response.get_data(as_text=True)
    state = client.get(f"/kiosk/state.json?k={link}")
    assert state.status_code == 403
    assert state.get_json() == {"error": LINK_REVOKED}
    assert client.get(f"/kiosk/qr.png?k={link}").status_code == 403
    # The new link works.
    assert client.get(f"/kiosk?k={link_for(app, team.place_id, 2)}").status_code == 200


@pytest.mark.parametrize("link", ["", "garbage", "WzEsMV0.forged"])
def test_forged_link_refused(client, team, link):
    response = client.get(f"/kiosk?k={link}")
    assert response.status_code == 403
    assert "平板签到链接无效" in response.get_data(as_text=True)
    assert client.get(f"/kiosk/state.json?k={link}").status_code == 403


def test_poster_token_is_not_a_kiosk_link(client, app, team):
    from checkin.door.tokens import make_poster_token

    poster = make_poster_token(app.secret_key, team.place_id, 1)
    assert client.get(f"/kiosk?k={poster}").status_code == 403


def test_poster_only_mode_hides_the_qr(client, app, team, db, clock):
    set_settings(db, team.team_id, checkin_modes="poster")
    link = link_for(app, team.place_id)
    html = client.get(f"/kiosk?k={link}").get_data(as_text=True)
    assert KIOSK_OFF in html
    assert "<svg" not in html
    state = client.get(f"/kiosk/state.json?k={link}").get_json()
    assert state["enabled"] is False and state["qr_svg"] == "" and state["message"] == KIOSK_OFF
    assert client.get(f"/kiosk/qr.png?k={link}").status_code == 403


def test_recent_sign_ins(client, app, team, db, clock):
    other = Place(team_id=team.team_id, name="团委")
    with db.session() as s:
        s.add(other)
        s.flush()
        other_id = other.id
    zhang, li, wang = team.assistants
    sign_in(db, zhang, team.place_id, T0 - timedelta(minutes=5))  # 13:55
    sign_in(db, li, team.place_id, T0 - timedelta(minutes=1))  # 13:59, newest
    sign_in(db, wang, team.place_id, T0 - timedelta(minutes=45))  # too old
    sign_in(db, wang, other_id, T0 - timedelta(minutes=2))  # another place
    sign_in(db, wang, team.place_id, T0 - timedelta(minutes=2), CheckAction.sign_out)
    link = link_for(app, team.place_id)
    state = client.get(f"/kiosk/state.json?k={link}").get_json()
    assert state["recent"] == [
        {"name": "李四", "time": "13:59"},
        {"name": "张三", "time": "13:55"},
    ]
    html = client.get(f"/kiosk?k={link}").get_data(as_text=True)
    assert "李四" in html and "13:55" in html and "王五" not in html


def test_names_are_escaped(client, app, team, db, clock):
    with db.session() as s:
        s.query(User).filter_by(username=team.assistants[0]).one().name = "<b>张三</b>"
    sign_in(db, team.assistants[0], team.place_id, T0 - timedelta(minutes=1))
    html = client.get(f"/kiosk?k={link_for(app, team.place_id)}").get_data(as_text=True)
    assert "<b>张三</b>" not in html and "&lt;b&gt;张三" in html


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_kiosk_in_a_browser(app, team, db, artifacts_dir, browser):
    """A 1280×800 tablet: the code, the ticking clock and the list are on screen."""
    set_settings(db, team.team_id, kiosk_step_seconds=5)  # the shortest step: a quick swap
    sign_in(db, team.assistants[0], team.place_id, utcnow() - timedelta(minutes=3))
    sign_in(db, team.assistants[1], team.place_id, utcnow() - timedelta(minutes=12))
    errors: list[str] = []
    with live_server(app) as base:
        page = browser.new_page(viewport=TABLET)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/kiosk?k={link_for(app, team.place_id)}")
        qr = page.locator("#qr-svg svg")
        clock = page.locator("#clock")
        assert qr.is_visible() and clock.is_visible()
        box = qr.bounding_box()
        assert 0.5 * TABLET["height"] <= box["height"] <= 0.7 * TABLET["height"]
        assert box["x"] + box["width"] <= clock.bounding_box()["x"]  # the list is to the side
        assert clock.evaluate("el => el.scrollWidth <= el.clientWidth")  # the time fits
        first = clock.inner_text()
        page.wait_for_function("t => document.getElementById('clock').textContent !== t", arg=first)
        assert page.locator("#recent li").first.inner_text().startswith("张三")
        page.screenshot(path=str(artifacts_dir / "kiosk-tablet.png"))

        # The next step swaps the SVG without a reload.
        before = page.locator("#qr-svg").inner_html()
        page.evaluate("window.__same_page = true")
        page.wait_for_function(
            "s => document.getElementById('qr-svg').innerHTML !== s", arg=before, timeout=10_000
        )
        assert page.evaluate("window.__same_page") is True

        # Revoking the link clears the code on the next poll.
        with db.session() as s:
            s.get(Place, team.place_id).kiosk_version = 2
        page.wait_for_selector("text=" + LINK_REVOKED, timeout=10_000)
        assert page.locator("#qr-svg").count() == 0
        page.screenshot(path=str(artifacts_dir / "kiosk-revoked.png"))
    # The browser logs the refused poll itself; anything else is a bug.
    assert [e for e in errors if "status of 403" not in e] == []

"""今日值班 in headless Chromium: the 团长 and the 兼辅 at the door (390×844) and on a 1920 screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from data.models import Semester
from tests.browser.helpers import PHONE, live_server
from tests.browser.test_browser_overview import login
from tests.web.test_dashboard_today import LIVELY_NOW, liven_today, semester_ids
from web import get_session

pytestmark = pytest.mark.browser

WIDE = {"width": 1920, "height": 1080}
USERS = {"leader": ("20242103", "demo1234"), "counselor": ("T0001", "demo-counselor")}


@pytest.fixture
def busy_app(demo_app):
    """The demo at 14:20 on its today, with the morning's activity and the afternoon under way."""
    demo_app.config["CLOCK"] = lambda: LIVELY_NOW
    with demo_app.app_context():
        session = get_session()
        liven_today(session, session.get(Semester, semester_ids(demo_app)[0]))
    return demo_app


@pytest.mark.parametrize("who", sorted(USERS))
@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["phone", "wide"])
def test_the_board_reads_at_the_door_and_on_a_big_screen(
    busy_app, artifacts_dir, browser, who, size
):
    console: list[str] = []
    with live_server(busy_app) as base:
        page = browser.new_page(viewport=size)
        page.on(
            "console",
            lambda m: (
                console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", lambda e: console.append(str(e)))
        login(page, base, *USERS[who])
        page.wait_for_url(re.compile(r".*/(dashboard|me).*"))
        page.goto(f"{base}/dashboard/today")
        page.wait_for_selector("#today-board .today-row", timeout=20_000)
        assert page.locator("h1", has_text="今日值班").is_visible()
        assert "更新于 14:20:00" in page.locator("#today-updated").inner_text()
        red = page.locator(".today-row.today-red")
        assert red.count() >= 5
        assert page.get_by_text("迟到 12 分钟", exact=True).is_visible()
        assert page.get_by_text("未到 20 分钟", exact=True).is_visible()
        links = page.locator(".today-actions a")
        assert (links.count() > 0) == (who == "counselor")
        # Nothing wider than the screen: no sideways scrolling, every badge inside the viewport.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        right = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.today-badge, .today-actions a')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert right <= size["width"]
        if size is PHONE:
            badge = page.locator(".today-badge").first.bounding_box()
            assert badge["height"] >= 28  # big enough to read standing at the door
        name = f"today-{who}-{'phone' if size is PHONE else 'wide'}.png"
        page.screenshot(path=str(artifacts_dir / name), full_page=True)
    assert console == []


def test_the_counselor_link_opens_phone_leave_prefilled(busy_app, browser):
    with live_server(busy_app) as base:
        page = browser.new_page(viewport=PHONE)
        login(page, base, *USERS["counselor"])
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(f"{base}/dashboard/today")
        page.wait_for_selector(".today-actions a")
        href = page.locator(".today-actions a", has_text="电话请假").first.get_attribute("href")
        assert re.search(r"/admin/leave/phone\?user=\d+&date=2026-11-24$", href)
        page.goto(base + href)
        assert page.locator("select, input[type=radio]").count() >= 1  # the shift picker


def test_the_board_refreshes_itself_only_while_in_view(busy_app, browser):
    with live_server(busy_app) as base:
        page = browser.new_page(viewport=PHONE)
        login(page, base, *USERS["leader"])
        page.wait_for_url(re.compile(r".*/(dashboard|me).*"))
        page.goto(f"{base}/dashboard/today")
        page.wait_for_selector("#today-board .today-row")
        asked: list[str] = []
        page.on(
            "request",
            lambda r: asked.append(r.url) if "today-body" in (r.post_data or "") else None,
        )
        busy_app.config["CLOCK"] = lambda: LIVELY_NOW + timedelta(minutes=1)
        # A hidden tab: the interval fires but nothing is asked of the server.
        page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {get: () => true, configurable: true});"
            " window.dash_clientside.set_props('today-interval', {n_intervals: 41}); }"
        )
        # In view again: the next tick refreshes the board.
        page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {get: () => false, configurable: true});"
            " window.dash_clientside.set_props('today-interval', {n_intervals: 42}); }"
        )
        page.wait_for_function(
            "() => document.querySelector('#today-updated').innerText.includes('14:21:00')"
        )
        assert len(asked) == 1

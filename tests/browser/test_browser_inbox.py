"""The demo assistant taps the bell on a phone, reads the inbox and marks everything read."""

from __future__ import annotations

import re

import pytest

from data.demo import ASSISTANT_PASSWORD, DEMO_LOGINS, LEADER_USERNAME
from tests.browser.helpers import PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]

ASSISTANT = next(
    (username, password) for role, username, password, _ in DEMO_LOGINS if role == "助管"
)


def test_assistant_reads_the_inbox_on_a_phone(demo_app, artifacts_dir, browser):
    errors: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=PHONE)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/login")
        page.fill("#username", ASSISTANT[0])
        page.fill("#password", ASSISTANT[1])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/me$"))

        unread = int(page.locator("#bell-count").inner_text())
        assert unread >= 1
        assert page.locator("#notify").is_visible() or page.locator("#notify").count() == 1
        page.click("#bell")
        page.wait_for_url(re.compile(r".*/inbox$"))
        assert page.locator(".inbox-unread").count() == unread
        assert page.locator(".inbox-item").count() > unread  # read ones stay listed
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts_dir / "inbox-phone.png"), full_page=True)

        page.click("#read-all")
        page.wait_for_selector(".alert-success")
        assert page.locator(".inbox-unread").count() == 0
        assert page.locator("#bell-count").count() == 0

        # The 团长's navbar has one button more (工作台): the bell still fits a phone.
        page.click("button:has-text('退出')")
        page.goto(f"{base}/login")
        page.fill("#username", LEADER_USERNAME)
        page.fill("#password", ASSISTANT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.wait_for_selector("#shell-bell")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts_dir / "inbox-dashboard-navbar-phone.png"))
        page.goto(f"{base}/me")
        assert page.locator("#bell").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts_dir / "inbox-leader-navbar-phone.png"))
    assert errors == []

"""The demo assistant opens /me on a phone, sees "已迟到 N 次（…）" and asks leave for a duty."""

from __future__ import annotations

import re

import pytest

from data.demo import DEMO_LOGINS
from tests.browser.helpers import PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]

ASSISTANT = next(
    (username, password) for role, username, password, _ in DEMO_LOGINS if role == "助管"
)


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_assistant_asks_leave_on_a_phone(demo_app, artifacts_dir, browser):
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

        late = page.locator("#late-count").inner_text()
        assert re.fullmatch(r"已迟到 \d+ 次\s*（3 次即不合格）", late.strip())
        assert page.locator("#warning").is_visible()
        assert _no_horizontal_overflow(page)
        page.screenshot(path=str(artifacts_dir / "me-phone.png"), full_page=True)

        # The first coming duty without a request: its 请假 button is a large touch target.
        button = page.locator("#upcoming a.btn", has_text="请假").first
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44
        when = button.locator("xpath=..").locator(".fw-semibold").inner_text()
        button.click()
        page.wait_for_url(re.compile(r".*/me/leave/new\?.*"))
        assert when in page.locator("h1 + .card").inner_text()
        assert _no_horizontal_overflow(page)
        page.click("label[for=kind-exam]")
        page.fill("#reason", "参加高等数学期中考试")
        assert page.is_checked("#kind-exam")
        page.wait_for_timeout(300)  # let the button colour transition finish for the screenshot
        page.screenshot(path=str(artifacts_dir / "me-leave-form-phone.png"), full_page=True)
        page.click("button[type=submit]:has-text('提交请假申请')")
        page.wait_for_url(re.compile(r".*/me#leave$"))

        assert page.locator(".alert-success", has_text="请假申请已提交").is_visible()
        item = page.locator("#leave li", has_text="参加高等数学期中考试")
        assert item.locator(".badge").inner_text() == "待审批"
        assert when.split(" 0")[0].split(" 1")[0] in item.inner_text()
        assert page.locator("#upcoming li", has_text=when).locator(".badge").inner_text() == (
            "待审批"
        )
        page.screenshot(path=str(artifacts_dir / "me-after-leave-phone.png"), full_page=True)
    assert errors == []

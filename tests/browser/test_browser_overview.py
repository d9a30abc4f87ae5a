"""The counselor logs in in headless Chromium and sees the overview with real numbers."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import DESKTOP, PHONE, live_server

pytestmark = pytest.mark.browser


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_counselor_sees_the_overview(demo_app, artifacts_dir, size, browser):
    errors: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=size)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.wait_for_selector("text=在岗助管", timeout=20_000)
        page.wait_for_selector(".kpi-value")
        values = [re.sub(r"[^0-9./]", "", v) for v in page.locator(".kpi-value").all_inner_texts()]
        assert page.locator("h1", has_text="总览").is_visible()
        assert int(values[0]) >= 30  # assistants on duty in the demo
        assert int(values[1]) > 100  # expected duties so far
        assert "semester=" in page.url  # the picker is kept in the URL
        assert values[7] == "1/2"  # one meeting held of the two required
        page.wait_for_selector("#overview-weekly g.barlayer path", state="attached")
        assert page.locator("#overview-weekly g.barlayer path").count() > 5
        name = "desktop" if size is DESKTOP else "phone"
        page.screenshot(path=str(artifacts_dir / f"overview-{name}.png"), full_page=True)
    assert errors == []


def test_semester_picker_changes_the_numbers(demo_app, browser):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_selector(".kpi-value")
        before = page.locator(".kpi-value").all_inner_texts()
        url_before = page.url
        page.click("#shell-semester")
        page.locator(".Select-option, [role=option]").filter(has_not_text="学期第一").last.click()
        page.wait_for_function("u => location.href !== u", arg=url_before)
        # The tiles may re-render with the old semester's numbers before the new ones arrive:
        # poll until they change (a picker that changes nothing fails after 30 s).
        after = before
        for _ in range(120):
            after = page.locator(".kpi-value").all_inner_texts()
            if after and after != before:
                break
            page.wait_for_timeout(250)
        assert after != before
        # A link to this URL shows the same semester.
        page2 = browser.new_page(viewport=DESKTOP)
        page2.context.add_cookies(page.context.cookies())
        page2.goto(page.url)
        page2.wait_for_selector(".kpi-value")
        assert page2.locator(".kpi-value").all_inner_texts() == after

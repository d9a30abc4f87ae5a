"""考勤 with a month picked, in headless Chromium on a phone and a desktop: the grid shows that
month, the period controls fit, the 月度汇总 downloads, and the console stays empty."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import PHONE, live_server
from tests.browser.test_browser_overview import login

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_attendance_with_a_month_picked(demo_app, artifacts_dir, size, browser):
    name = "phone" if size is PHONE else "laptop"
    messages: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=size, accept_downloads=True)
        page.on(
            "console",
            lambda m: messages.append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: messages.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(base + "/dashboard/attendance")
        page.wait_for_selector("#attendance-grid .ag-row", timeout=20_000)
        assert page.locator("text=统计范围：全学期").is_visible()
        page.click("#attendance-month")
        page.locator(".Select-menu-outer, .dash-dropdown-options, [role=listbox]").get_by_text(
            "2026年10月", exact=True
        ).click()
        page.wait_for_selector("text=统计范围：2026年10月", timeout=20_000)
        page.wait_for_selector("#attendance-grid .ag-row", timeout=20_000)
        page.wait_for_timeout(400)  # let the grid size its columns
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"] + 1, "the page scrolls sideways"
        button = page.locator("#attendance-monthly").bounding_box()
        assert button and button["x"] + button["width"] <= size["width"]
        page.screenshot(
            path=str(artifacts_dir / f"dashboard-attendance-month-{name}.png"), full_page=True
        )
        with page.expect_download() as download:
            page.click("#attendance-monthly")
        assert download.value.suggested_filename.startswith("月度汇总-")
    assert messages == []


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_stipend_and_worklog_with_a_month_picked(demo_app, artifacts_dir, size, browser):
    name = "phone" if size is PHONE else "laptop"
    messages: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=size)
        page.on(
            "console",
            lambda m: messages.append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: messages.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        for slug, ready, shown in (
            ("stipend", "#stipend-month-grid .ag-row", "月份：2026年10月"),
            ("worklog", "#worklog-grid .ag-row", "统计范围：2026年10月"),
        ):
            page.goto(f"{base}/dashboard/{slug}")
            page.wait_for_selector(ready, timeout=20_000)
            page.click(f"#{slug}-month")
            page.locator(".Select-menu-outer, .dash-dropdown-options, [role=listbox]").get_by_text(
                "2026年10月", exact=True
            ).click()
            page.wait_for_selector(f"text={shown}", timeout=20_000)
            page.wait_for_selector(ready, timeout=20_000)
            page.wait_for_timeout(400)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"] + 1, f"{slug} scrolls sideways"
            page.screenshot(
                path=str(artifacts_dir / f"dashboard-{slug}-month-{name}.png"), full_page=True
            )
    assert messages == []

"""考勤, 预警, 工作记录, 例会与培训 in headless Chromium at desktop and phone size."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import DESKTOP, PHONE, live_server
from tests.browser.test_browser_overview import login

pytestmark = pytest.mark.browser

PAGES = [
    ("attendance", "考勤"),
    ("warnings", "预警"),
    ("worklog", "工作记录"),
    ("meetings", "例会与培训"),
]
DRAWN = ".js-plotly-plot .main-svg, .ag-root"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pages_load_for_the_counselor(demo_app, artifacts_dir, size, browser):
    errors: list[str] = []
    name = "desktop" if size is DESKTOP else "phone"
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=size)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        for slug, title in PAGES:
            page.goto(f"{base}/dashboard/{slug}")
            page.wait_for_selector(f"#{slug}-body > *", timeout=20_000)
            assert page.locator("h1", has_text=title).is_visible()
            page.wait_for_selector(DRAWN, timeout=20_000)
            assert page.locator(DRAWN).count() >= 1
            assert page.locator(".ag-root").count() >= 1
            assert page.locator(".ag-row").count() >= 1
            if slug == "worklog":
                page.wait_for_selector("#worklog-records .ag-row")
            page.wait_for_timeout(400)  # let Plotly finish its resize
            page.screenshot(
                path=str(artifacts_dir / f"dashboard-{slug}-{name}.png"), full_page=True
            )
    assert errors == []


def test_warning_row_opens_the_evidence(demo_app, browser):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(f"{base}/dashboard/warnings")
        page.wait_for_selector("#warnings-grid .ag-row")
        page.locator("#warnings-grid .ag-cell[col-id='证据']").first.click()
        page.wait_for_selector("#warnings-evidence")
        assert "迟到" in page.locator("#warnings-evidence").inner_text()


def test_semester_picker_changes_attendance(demo_app, browser):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(f"{base}/dashboard/attendance")
        page.wait_for_selector("#attendance-grid .ag-row")
        before = page.locator("#attendance-body p").first.inner_text()
        rows_before = page.locator("#attendance-grid .ag-row").first.inner_text()
        url_before = page.url
        page.click("#shell-semester")
        page.locator(".Select-option, [role=option]").filter(has_not_text="学期第一").last.click()
        page.wait_for_function("u => location.href !== u", arg=url_before)
        page.wait_for_function(
            "t => { const p = document.querySelector('#attendance-body p');"
            " return p && p.innerText !== t; }",
            arg=before,
        )
        page.wait_for_selector("#attendance-grid .ag-row")
        assert page.locator("#attendance-body p").first.inner_text() != before
        assert page.locator("#attendance-grid .ag-row").first.inner_text() != rows_before
        assert "semester=" in page.url
        assert "今天不在所选学期内" in page.locator("#attendance-body").inner_text()

"""考核, 补贴, 学期对比 and 会议模式 in headless Chromium: desktop and phone, print to PDF."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import DESKTOP, PHONE, live_server
from tests.browser.test_browser_overview import login

pytestmark = pytest.mark.browser

PAGES = [
    ("assessment", "/dashboard/assessment", "考核", ".ag-root"),
    ("stipend", "/dashboard/stipend", "补贴", ".ag-root"),
    ("compare", "/dashboard/compare", "学期对比", ".ag-root"),
    ("meeting-mode", "/dashboard/meeting", "会议模式", ".js-plotly-plot .main-svg"),
]


@pytest.fixture
def web_app(demo_app):
    from dashboard.downloads import register_downloads

    if "dashboard_report_xlsx" not in demo_app.view_functions:
        register_downloads(demo_app)
    return demo_app


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pages_render_for_the_counselor(web_app, artifacts_dir, size, browser):
    name = "desktop" if size is DESKTOP else "phone"
    errors: list[str] = []
    with live_server(web_app) as base:
        page = browser.new_page(viewport=size)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        for slug, path, title, selector in PAGES:
            page.goto(base + path)
            page.wait_for_selector(selector, timeout=20_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
            assert page.locator("h1", has_text=title).is_visible(), slug
            assert "semester=" in page.url
            page.wait_for_timeout(300)  # let the grid size its columns
            page.screenshot(
                path=str(artifacts_dir / f"dashboard-{slug}-{name}.png"), full_page=True
            )
    assert errors == []


def test_assessment_banner_for_the_running_semester(web_app, browser):
    with live_server(web_app) as base:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, "L0001", "demo-leader")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(base + "/dashboard/assessment")
        page.wait_for_selector(".ag-root", timeout=20_000)
        # The demo's default semester is the running one: grades are an estimate.
        assert page.locator("text=学期尚未结束，以下为截至目前的预估").is_visible()
        assert page.locator(".ag-row").count() > 5


def test_meeting_mode_prints_one_page_per_topic(web_app, artifacts_dir, browser):
    errors: list[str] = []
    with live_server(web_app) as base:
        page = browser.new_page(viewport=DESKTOP)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "T0001", "demo-counselor")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(base + "/dashboard/meeting")
        page.wait_for_selector("#meeting-mode-section-stipend", timeout=20_000)
        page.wait_for_selector("#meeting-mode-grades .main-svg")
        href = page.locator("#meeting-mode-xlsx").get_attribute("href")
        assert re.fullmatch(r"/dashboard/report\.xlsx\?semester=\d+", href or "")
        response = page.request.get(base + href)
        assert response.status == 200 and response.body()[:2] == b"PK"  # an xlsx (zip)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (artifacts_dir / "dashboard-meeting-mode.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages >= 5, pages
        assert pdf[:4] == b"%PDF"
        # The navbar and the buttons are not printed.
        page.emulate_media(media="print")
        assert not page.locator(".navbar").is_visible()
        assert not page.locator("#meeting-mode-print").is_visible()
    assert errors == []

"""会议模式 as slides in headless Chromium: projector sizes, keys, print to PDF, phone."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess

import pytest

from tests.browser.helpers import PHONE, live_server
from tests.browser.test_browser_overview import login

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1920, "height": 1080}
SMALL = {"width": 1280, "height": 720}

# Every element with its own text (HTML text nodes, SVG <text>) whose box leaves its slide's
# stage, or, inside the body, runs into the footer: an overflow a projector would show.
OVERFLOWS = """
() => {
  const out = [];
  const inside = (r, b) => r.left >= b.left - 1 && r.right <= b.right + 1
    && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
  for (const slide of document.querySelectorAll('.slide')) {
    const stage = slide.querySelector('.slide-stage').getBoundingClientRect();
    const body = slide.querySelector('.slide-body').getBoundingClientRect();
    for (const el of slide.querySelectorAll('*')) {
      const own = el instanceof SVGTextElement ? el.textContent.trim()
        : Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (!r.width && !r.height) continue;
      const limit = el.closest('.slide-body') ? body : stage;
      if (!inside(r, limit)) out.push(slide.id + ': ' + el.textContent.trim().slice(0, 40));
    }
  }
  return out;
}
"""


@pytest.fixture
def web_app(demo_app):
    from dashboard.downloads import register_downloads

    if "dashboard_report_xlsx" not in demo_app.view_functions:
        register_downloads(demo_app)
    return demo_app


def open_slides(browser, base: str, size: dict, messages: list[str]):
    """The counselor's 会议模式 with every figure drawn; console output goes to ``messages``."""
    page = browser.new_page(viewport=size)
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(str(e)))
    login(page, base, "T0001", "demo-counselor")
    page.wait_for_url(re.compile(r".*/dashboard/.*"))
    page.goto(base + "/dashboard/meeting")
    page.wait_for_selector("#meeting-mode-section-stipend", timeout=20_000)
    for graph in ("weekly", "warnings", "grades"):
        page.wait_for_selector(f"#meeting-mode-{graph} .main-svg")
    page.wait_for_timeout(300)  # the graphs' resize to their boxes
    return page


@pytest.mark.parametrize("size", [PROJECTOR, SMALL], ids=["1920", "1280"])
def test_slides_fill_the_screen_and_step_with_the_keys(web_app, artifacts_dir, size, browser):
    messages: list[str] = []
    with live_server(web_app) as base:
        page = open_slides(browser, base, size, messages)
        slides = page.locator(".slide")
        count = slides.count()
        assert count >= 12
        assert not page.locator(".navbar").is_visible()
        # Each slide is the window, its 16:9 stage filling it.
        for i in range(count):
            box = slides.nth(i).bounding_box()
            assert box["width"] == pytest.approx(size["width"], abs=1)
            assert box["height"] == pytest.approx(size["height"], abs=1)
        stage = page.locator(".slide-stage").first.bounding_box()
        assert stage["width"] == pytest.approx(size["width"], abs=2)
        assert page.evaluate(OVERFLOWS) == []
        # Readable from the back of the room: sizes as the projector shows them.
        scale = size["width"] / 1600
        title = page.locator(".slide-title").first.bounding_box()["height"]
        value = page.locator(".slide-kpi-value").first.bounding_box()["height"]
        assert title >= 60 * 1.2 * scale - 1 and value >= 92 * scale
        assert page.locator("#meeting-mode-counter").inner_text() == f"1 / {count}"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("PageDown")
        page.keyboard.press(" ")
        assert page.locator("#meeting-mode-counter").inner_text() == f"4 / {count}"
        assert slides.nth(3).bounding_box()["y"] == pytest.approx(0, abs=1)
        page.keyboard.press("ArrowLeft")
        assert page.locator("#meeting-mode-counter").inner_text() == f"3 / {count}"
        page.locator("#meeting-mode-section-attendance-weekly").click()  # a click advances
        assert page.locator("#meeting-mode-counter").inner_text() == f"4 / {count}"
        name = size["width"]
        page.screenshot(path=str(artifacts_dir / f"slides-{name}-top.png"))
        for slide_id in ("overview", "attendance-weekly", "grades", "stipend"):
            page.locator(f"#meeting-mode-section-{slide_id}").scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts_dir / f"slides-{name}-{slide_id}.png"))
        page.keyboard.press("End")
        assert page.locator("#meeting-mode-counter").inner_text() == f"{count} / {count}"
    assert messages == []


def test_slides_print_one_per_page(web_app, artifacts_dir, browser, tmp_path):
    messages: list[str] = []
    with live_server(web_app) as base:
        page = open_slides(browser, base, PROJECTOR, messages)
        count = page.locator(".slide").count()
        page.emulate_media(media="print")
        assert not page.locator(".navbar").is_visible()
        assert not page.locator(".slides-toolbar").is_visible()
        assert page.evaluate(OVERFLOWS) == []
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    path = artifacts_dir / "slides.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdfinfo"):
        # CI installs poppler-utils (.ci/run): there a missing tool fails instead of skipping.
        message = "poppler-utils (pdfinfo, pdftoppm) not installed"
        if os.environ.get("REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages == count
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout).groups())
    assert width / height == pytest.approx(297 / 167, rel=0.01)  # landscape, 16:9
    out = artifacts_dir / "slides-pdf"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(out / "page")], check=True)
    assert len(list(out.glob("page-*.png"))) >= count
    assert messages == []


def test_slides_stack_on_a_phone(web_app, artifacts_dir, browser):
    messages: list[str] = []
    with live_server(web_app) as base:
        page = open_slides(browser, base, PHONE, messages)
        width = PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Every toolbar action is on screen, none cut off.
        for button in ("#meeting-mode-fullscreen", "#meeting-mode-print", "#meeting-mode-xlsx"):
            box = page.locator(button).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, button
        slides = page.locator(".slide")
        boxes = [slides.nth(i).bounding_box() for i in range(slides.count())]
        assert all(b["width"] <= width for b in boxes)
        assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in itertools.pairwise(boxes))
        assert page.evaluate(OVERFLOWS) == []
        size = page.locator(".slide-kpi-value").first.evaluate("e => getComputedStyle(e).fontSize")
        assert float(size.removesuffix("px")) >= 28
        page.screenshot(path=str(artifacts_dir / "slides-phone.png"), full_page=True)
    assert messages == []

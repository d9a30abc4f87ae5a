"""Issue 15 (fit): the workbench nav on one line from 1280 to 1920 px and folded on a phone;
every admin table usable at 390 px; no console errors or warnings on any dashboard page."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import PHONE, live_server

pytestmark = pytest.mark.browser

USERS = {
    "counselor": ("T0001", "demo-counselor"),
    "leader": ("20242103", "demo1234"),
    "leadership": ("L0001", "demo-leader"),
}

# For each table on a page at phone width: stacked rows must fit the screen; a table that
# scrolls must keep its row actions (the last cell, when it holds a button or link) on screen
# and give every column room for two Chinese characters. The schedule's week grid is a matrix
# (a person per weekday cell): it scrolls by design, each cell its own action.
TABLE_PROBLEMS = """(width) => {
  const problems = [];
  for (const table of document.querySelectorAll('main table')) {
    if (!table.offsetParent || table.classList.contains('schedule-grid')) continue;
    const name = table.id || table.querySelector('th')?.innerText.trim() || 'table';
    const stacked = table.classList.contains('table-stack');
    for (const row of table.tBodies[0]?.rows || []) {
      const cells = [...row.cells];
      if (stacked) {
        for (const cell of cells) {
          const r = cell.getBoundingClientRect();
          if (r.width && (r.right > width + 1 || r.left < -1)) problems.push(`${name}: cell off screen`);
        }
        continue;
      }
      const last = cells[cells.length - 1];
      if (last && last.querySelector('button, a, input:not([type=checkbox])')) {
        const r = last.getBoundingClientRect();
        if (r.right > width + 1) problems.push(`${name}: actions off screen at ${Math.round(r.right)}`);
      }
      for (const cell of cells) {
        const r = cell.getBoundingClientRect();
        const onlyCheckbox = cell.querySelector('input[type=checkbox]') && !cell.innerText.trim();
        if (cells.length > 1 && r.width && r.width < 40 && !onlyCheckbox && cell.innerText.trim())
          problems.push(`${name}: column squeezed to ${Math.round(r.width)} px (${cell.innerText.trim().slice(0, 8)})`);
      }
      break;  // one row tells the column widths
    }
  }
  return [...new Set(problems)];
}"""


def login(page, base: str, who: str) -> None:
    username, password = USERS[who]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def watch_console(page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda m: (
            messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    return messages


def test_workbench_nav_is_one_line_with_menus(demo_app, browser, artifacts_dir):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        login(page, base, "counselor")
        for width in (1280, 1440, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}/admin/settings")
            workbench_nav_fits(page, width)
            page.screenshot(path=str(artifacts_dir / f"fit-workbench-nav-{width}.png"))


def workbench_nav_fits(page, width: int) -> None:
    """One line, every item on screen, the menus open on screen, the page marked."""
    nav = page.locator(".admin-nav-wide")
    box = nav.bounding_box()
    assert box["height"] < 50, "the nav wraps onto a second line"
    for link in nav.locator(":scope > a, :scope > details > summary").all():
        item = link.bounding_box()
        assert item["x"] + item["width"] <= width, link.inner_text()
    assert page.locator(".admin-nav-phone").is_hidden()
    for menu in ("学期工作", "团队与设置"):
        page.click(f".admin-menu summary:has-text('{menu}')")
        for item in page.locator(".admin-menu[open] .admin-menu-item").all():
            assert item.is_visible()
            right = item.bounding_box()
            assert right["x"] + right["width"] <= width
    # The page being shown is marked in its menu and on the menu's own label.
    assert page.locator(".admin-menu summary.active").inner_text() == "团队与设置"
    assert page.locator(".admin-menu-item.active").inner_text() == "规则设置"


def test_workbench_nav_folds_on_a_phone(demo_app, browser, artifacts_dir):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=PHONE)
        login(page, base, "counselor")
        page.goto(f"{base}/admin/schedule")
        assert page.locator(".admin-nav-wide").is_hidden()
        summary = page.locator(".admin-nav-phone summary")
        assert "值班安排" in summary.inner_text()  # names the page you are on
        summary.click()
        links = page.locator(".admin-nav-phone-list a")
        assert links.count() >= 20
        for link in links.all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        page.screenshot(path=str(artifacts_dir / "fit-workbench-menu-phone.png"))


# The college leaders' workbench pages are read-only views of the counselor's.
@pytest.mark.parametrize("who", ["counselor", "leader"])
def test_every_admin_table_is_usable_on_a_phone(demo_app, browser, artifacts_dir, who):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=PHONE)
        login(page, base, who)
        page.goto(f"{base}/admin/schedule")
        hrefs = page.eval_on_selector_all(
            ".admin-nav-phone-list a", "links => links.map(a => a.getAttribute('href'))"
        )
        hrefs = [h for h in hrefs if h.startswith("/") and not h.startswith("/dashboard")]
        assert len(hrefs) >= 3
        problems: dict[str, list[str]] = {}
        for href in hrefs:
            page.goto(base + href)
            found = page.evaluate(TABLE_PROBLEMS, PHONE["width"])
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                found.append(f"page scrolls sideways ({wide} px)")
            if found:
                problems[href] = found
        assert problems == {}
        page.goto(f"{base}/admin/schedule")
        page.locator("text=日期调整").first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"fit-schedule-overrides-phone-{who}.png"))


def dashboard_paths(page) -> list[str]:
    """Every page link in the shell's nav, the "更多" menu included."""
    page.wait_for_selector("#shell-nav a")
    hrefs = page.eval_on_selector_all(
        "#shell-nav a[href^='/dashboard/']", "links => links.map(a => a.getAttribute('href'))"
    )
    return sorted({re.sub(r"\?.*", "", h) for h in hrefs})


# The counselor opens every page; the 团长 has their own order and the today board first.
@pytest.mark.parametrize("who", ["counselor", "leader"])
def test_no_console_messages_on_any_dashboard_page(demo_app, browser, who):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        messages = watch_console(page)
        login(page, base, who)
        page.goto(f"{base}/dashboard/")
        paths = dashboard_paths(page)
        assert len(paths) >= 4
        seen: dict[str, list[str]] = {}
        for path in paths:
            messages.clear()
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # grids log their warnings just after the first paint
            if messages:
                seen[path] = list(messages)
        assert seen == {}


def test_dashboard_nav_fits_from_1280(demo_app, browser, artifacts_dir):
    with live_server(demo_app) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        login(page, base, "counselor")
        page.goto(f"{base}/dashboard/attendance")
        page.wait_for_selector("#shell-nav a")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        bar = page.locator(".navbar").first.bounding_box()
        assert bar["height"] < 70, "the navbar wraps"
        assert "active" in page.locator("#shell-nav a:has-text('考勤')").get_attribute("class")
        page.click("#shell-more")
        assert page.locator("text=会议模式").first.is_visible()
        page.screenshot(path=str(artifacts_dir / "fit-dashboard-nav-1280.png"))
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/dashboard/attendance")
        page.wait_for_selector("#shell-toggler")
        assert page.locator("#shell-nav").is_hidden()
        page.click("#shell-toggler")
        page.wait_for_selector("#shell-nav a:has-text('预警')", state="visible")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifacts_dir / "fit-dashboard-nav-phone.png"))

"""The 团长 adds a shift from tomorrow in a real browser: the numbers so far on 考勤 and 预警 do
not move (SPEC §3 "The record holds"); screenshots at phone and desktop size."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from data.models import User
from tests.browser.helpers import DESKTOP, PHONE, live_server
from tests.browser.test_browser_overview import login

pytestmark = [pytest.mark.browser, pytest.mark.db]

LEADER, PASSWORD = "20242103", "demo1234"
GRID_ROWS = """(id) => {
    const api = dash_ag_grid.getApi(id);
    const rows = [];
    api.forEachNode((node) => rows.push(JSON.stringify(node.data)));
    return rows.sort();
}"""


def _grid(page, base: str, slug: str) -> list[str]:
    page.goto(f"{base}/dashboard/{slug}")
    page.wait_for_selector(f"#{slug}-grid .ag-row", timeout=20_000)
    page.wait_for_function(f"() => dash_ag_grid.getApi('{slug}-grid') !== undefined")
    return page.evaluate(GRID_ROWS, f"{slug}-grid")


def _saturday_shift(page, base: str, who: str, shot) -> None:
    page.goto(f"{base}/admin/schedule")
    page.select_option("#assign-user", label=who)
    page.select_option("#assign-weekday", "6")
    page.fill("#assign-start", "09:00")
    page.fill("#assign-end", "11:00")
    page.click("#assign button[type=submit]")
    page.wait_for_selector("#schedule-preview")
    text = page.locator("#preview-changes").inner_text()
    assert "新增" in text and "取消 0 个" in text
    assert page.locator("#preview-past").count() == 0  # from tomorrow: nothing past changes
    shot("preview")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/schedule\?semester=\d+$"))
    assert page.locator(".alert-success", has_text="已安排").is_visible()
    shot("saved")


def test_a_shift_from_tomorrow_leaves_the_numbers_so_far_alone(demo_app, artifacts_dir, browser):
    database = demo_app.extensions["zhuguantong.db"]
    with database.session() as s:
        people = s.execute(
            select(User.name, User.username).where(User.username.in_(["20230215", "20230101"]))
        ).all()
    labels = [f"{name}（{username}）" for name, username in people]
    errors: list[str] = []
    with live_server(demo_app) as base:
        for size, name, who in ((DESKTOP, "desktop", labels[0]), (PHONE, "phone", labels[1])):
            page = browser.new_page(viewport=size)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            login(page, base, LEADER, PASSWORD)
            page.wait_for_load_state()
            before = {slug: _grid(page, base, slug) for slug in ("attendance", "warnings")}
            assert before["attendance"] and before["warnings"]

            def shot(step: str, page=page, name=name) -> None:
                path = artifacts_dir / f"record-holds-{step}-{name}.png"
                page.screenshot(path=str(path), full_page=True)

            _saturday_shift(page, base, who, shot)
            after = {slug: _grid(page, base, slug) for slug in ("attendance", "warnings")}
            assert after == before
            page.goto(f"{base}/dashboard/warnings")
            page.wait_for_selector("#warnings-grid .ag-row", timeout=20_000)
            page.wait_for_timeout(300)
            shot("warnings")
            page.close()
    assert errors == []

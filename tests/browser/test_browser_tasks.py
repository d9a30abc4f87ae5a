"""交办任务 on a phone: the demo assistant sees a task on /me and marks it done."""

from __future__ import annotations

import re

import pytest

from data.demo import DEMO_LOGINS
from tests.browser.helpers import PHONE, collect_errors, fits_width, live_server, log_in

pytestmark = [pytest.mark.browser, pytest.mark.db]

ASSISTANT = next(
    (username, password) for role, username, password, _ in DEMO_LOGINS if role == "助管"
)


def test_assistant_marks_a_task_done_on_a_phone(demo_app, artifacts_dir, browser):
    errors: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=PHONE)
        collect_errors(page, errors)
        log_in(page, base, *ASSISTANT)
        page.wait_for_url(re.compile(r".*/me$"))

        page.click(".me-nav a[href='#tasks']")
        task = page.locator("#tasks li", has_text="更新值班室物品登记表")
        assert task.locator(".badge").inner_text() == "即将到期"
        due_soon = int(page.locator("#task-due-soon").inner_text())
        assert fits_width(page)
        button = task.locator("button", has_text="标记完成")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44
        page.locator("#tasks").screenshot(path=str(artifacts_dir / "me-tasks-phone.png"))

        task.locator("input[name=note]").fill("登记表已更新并贴在门后")
        button.click()
        page.wait_for_url(re.compile(r".*/me#tasks$"))
        assert page.locator(".alert-success", has_text="已标记完成").is_visible()
        task = page.locator("#tasks li", has_text="更新值班室物品登记表")
        assert task.locator(".badge").inner_text() == "已完成，待验收"
        assert "登记表已更新并贴在门后" in task.inner_text()
        assert task.locator("button").count() == 0
        assert int(page.locator("#task-due-soon").inner_text()) == due_soon - 1
        page.screenshot(path=str(artifacts_dir / "me-task-done-phone.png"), full_page=True)
    assert errors == []

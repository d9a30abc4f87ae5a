"""First run in a real browser on a phone (390×844): empty install → /setup → the counselor is
logged in; then the login page carries the team's own name (issue 12, item 1). Screenshots of
/setup, its validation and the login page before and after."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data.models import User
from tests.browser.helpers import PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_first_run_on_a_phone(app, db, browser, artifacts_dir):
    with live_server(app) as base:
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login")
        assert page.locator("text=首次使用？开始设置").is_visible()
        page.screenshot(path=str(artifacts_dir / "setup-login-empty-phone.png"), full_page=True)
        page.goto(f"{base}/")
        assert page.url.endswith("/setup")
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / "setup-phone.png"), full_page=True)

        page.fill("#college", "化学与材料学院")
        page.fill("#team", "化材学院助管团")
        page.fill("#username", "T9001")
        page.fill("#name", "陈老师")
        page.fill("#password", "chosen-by-me-1")
        page.fill("#confirm", "chosen-by-me-2")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".invalid-feedback", has_text="两次输入的密码不一致").is_visible()
        page.screenshot(path=str(artifacts_dir / "setup-invalid-phone.png"), full_page=True)
        with db.session() as s:
            assert s.scalar(select(func.count(User.id))) == 0

        page.fill("#password", "chosen-by-me-1")
        page.fill("#confirm", "chosen-by-me-1")
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/**")
        with db.session() as s:
            assert s.scalar(select(User.username)) == "T9001"
        context.close()

        fresh = browser.new_context(viewport=PHONE, locale="zh-CN")
        login = fresh.new_page()
        login.goto(f"{base}/login")
        assert login.locator("text=化材学院助管团 · 值班签到与考核").is_visible()
        assert login.locator("text=开始设置").count() == 0
        assert _fits(login)
        login.screenshot(path=str(artifacts_dir / "setup-login-after-phone.png"), full_page=True)
        assert login.goto(f"{base}/setup").status == 404


def test_leader_top_bar_on_a_phone(app, team, browser, artifacts_dir):
    """The 团长's 我的值班 / 工作台 button fits the phone's top bar beside name and 退出."""
    from tests import factories

    with live_server(app) as base:
        page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        page.goto(f"{base}/login?next=/admin/meetings")
        page.fill("#username", team.leader)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/meetings")
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / "leader-meetings-phone.png"))
        page.click("nav.navbar >> text=我的值班")
        page.wait_for_url("**/me")
        assert page.locator("nav.navbar >> text=工作台").is_visible()
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / "leader-me-phone.png"))

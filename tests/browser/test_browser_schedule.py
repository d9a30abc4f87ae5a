"""The 团长 edits the duty schedule in a real browser and tomorrow's expected duties follow;
screenshots of the schedule grid and the directory at desktop and phone sizes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from data.attendance import duties_on
from data.models import Semester, User
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)  # Monday; tomorrow is a Tuesday
TOMORROW = date(2026, 9, 15)


def _tomorrow_names(app, team) -> list[str]:
    database = app.extensions["zhuguantong.db"]
    with database.session() as s:
        semester = s.get(Semester, team.semester_id)
        names = dict(s.execute(select(User.id, User.name)).all())
        with app.app_context():
            from web import now

            tomorrow = now().astimezone(LOCAL_TZ).date() + timedelta(days=1)
        return sorted(names[d.user_id] for d in duties_on(s, semester, tomorrow))


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_leader_edits_schedule_in_browser(app, team, db, artifacts_dir, browser):
    app.config["CLOCK"] = lambda: NOW
    with db.session() as s:
        for user in s.scalars(select(User).where(User.team_id == team.team_id)):
            user.phone, user.qq, user.grade, user.post = (
                "13800138000",
                "12345678",
                "2023级",
                "学工办",
            )
        s.commit()
    assert _tomorrow_names(app, team) == ["王五"]
    errors: list[str] = []
    with live_server(app) as base:
        page = browser.new_page(viewport=DESKTOP)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _login(page, base, team.leader)
        page.goto(f"{base}/admin/schedule")
        assert "每周值班表" in page.content()

        page.select_option("#assign-user", label="张三（2023101）")
        page.select_option("#assign-weekday", str(TOMORROW.isoweekday()))
        page.fill("#assign-start", "14:00")
        page.fill("#assign-end", "16:00")
        page.click("#assign button[type=submit]")
        # The preview: which duties change from which date; nothing saved yet.
        page.wait_for_selector("#schedule-preview")
        assert "受影响的值班" in page.locator("#preview-changes").inner_text()
        assert _tomorrow_names(app, team) == ["王五"]
        page.screenshot(path=str(artifacts_dir / "schedule-preview-desktop.png"), full_page=True)
        page.click("#confirm-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/admin/schedule\?semester=\d+$"))
        assert page.locator(
            ".alert-success", has_text="已安排：张三 → 周二 14:00–16:00"
        ).is_visible()
        assert "张三" in page.locator("#tomorrow-duties").inner_text()
        assert _tomorrow_names(app, team) == ["张三", "王五"]
        tuesday = page.locator("#schedule-grid td[data-weekday='2']")
        assert "张三" in " ".join(tuesday.all_inner_texts())
        page.screenshot(path=str(artifacts_dir / "schedule-desktop.png"), full_page=True)

        page.goto(f"{base}/directory")
        assert page.locator("#directory tbody tr").count() == 5
        page.screenshot(path=str(artifacts_dir / "directory-desktop.png"), full_page=True)

        phone = browser.new_page(viewport=PHONE)
        phone.on("pageerror", lambda e: errors.append(str(e)))
        _login(phone, base, team.leader)
        phone.goto(f"{base}/admin/schedule")
        assert _no_horizontal_overflow(phone)
        phone.screenshot(path=str(artifacts_dir / "schedule-phone.png"), full_page=True)
        phone.goto(f"{base}/directory")
        assert _no_horizontal_overflow(phone)
        phone.screenshot(path=str(artifacts_dir / "directory-phone.png"), full_page=True)
    assert errors == []

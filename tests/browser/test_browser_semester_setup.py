"""学期设置 in a real browser: the counselor declares a 调休 make-up day and adds a break, the
duties follow; screenshots of the page at phone and desktop sizes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from data.attendance import duties_on
from data.models import Semester, SemesterBreak
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)
MAKEUP_SATURDAY = date(2026, 10, 10)


def _duty_count(db, team, day: date) -> int:
    with db.session() as s:
        return len(duties_on(s, s.get(Semester, team.semester_id), day))


def test_counselor_sets_up_the_semester_in_browser(app, team, db, artifacts_dir, browser):
    app.config["CLOCK"] = lambda: NOW
    assert _duty_count(db, team, MAKEUP_SATURDAY) == 0
    with live_server(app) as base:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", team.counselor)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base}/admin/semester-setup")
        page.fill("#makeup-on", "2026-10-10")
        page.select_option("#makeup-weekday", "5")
        page.click("#semester-makeup button[type=submit]")
        page.wait_for_load_state()
        assert "按周五值班" in page.inner_text("#semester-makeup")
        page.fill("#break-name", "运动会停课")
        page.fill("#break-start", "2026-10-21")
        page.fill("#break-end", "2026-10-23")
        page.click("#semester-breaks form:last-of-type button[type=submit]")
        page.wait_for_load_state()
        assert "运动会停课" in page.inner_text("#semester-breaks")
        page.screenshot(path=str(artifacts_dir / "semester_setup_desktop.png"), full_page=True)
        phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
        small = phone.new_page()
        small.goto(f"{base}/admin/semester-setup")
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        small.screenshot(path=str(artifacts_dir / "semester_setup_phone.png"), full_page=True)
        # A past change shows its preview before anything is saved.
        small.fill("#edit-start", "2026-09-09")
        small.click("#semester-edit button[type=submit]")
        small.wait_for_load_state()
        assert "确认学期修改" in small.inner_text("h1")
        small.screenshot(
            path=str(artifacts_dir / "semester_setup_preview_phone.png"), full_page=True
        )
    assert _duty_count(db, team, MAKEUP_SATURDAY) == 1
    assert _duty_count(db, team, date(2026, 10, 21)) == 0
    with db.session() as s:
        assert s.get(Semester, team.semester_id).start == date(2026, 9, 7)  # not confirmed
        assert len(list(s.scalars(select(SemesterBreak)))) == 1

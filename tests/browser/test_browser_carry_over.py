"""The 续聘 carry-over page in a real browser, phone and desktop, on the demo team."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.demo import COUNSELOR_PASSWORD, COUNSELOR_USERNAME
from data.models import Appointment, Semester
from tests.browser.helpers import DESKTOP, PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]


def test_carry_over_page_phone_and_desktop(demo_app, demo_db, artifacts_dir, browser):
    with demo_db.session() as s:  # the current semester as just created: nobody carried over
        current = s.scalars(select(Semester).order_by(Semester.start.desc())).first()
        for a in s.scalars(select(Appointment).where(Appointment.semester_id == current.id)):
            s.delete(a)
        s.commit()
    errors: list[str] = []
    with live_server(demo_app) as base:
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/login")
            page.fill("#username", COUNSELOR_USERNAME)
            page.fill("#password", COUNSELOR_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{base}/admin/carry-over")
            boxes = page.locator("#rehirable input[name=user]")
            assert boxes.count() >= 30
            assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
            assert page.locator("#not-rehired tbody tr").count() == 3
            assert page.locator(".admin-nav .active", has_text="续聘").count() >= 1
            # The page itself must not scroll sideways (wide tables scroll inside their card).
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(
                path=str(artifacts_dir / f"admin-carry-over-{size}.png"), full_page=True
            )
            page.close()
    assert not errors

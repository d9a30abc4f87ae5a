"""The counselor approves a leave in a real browser; the assistant then sees 已批准 on /me."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from data.models import LeaveKind, LeaveStatus
from data.timeutil import LOCAL_TZ
from tests.browser.helpers import DESKTOP, PHONE, live_server
from tests.factories import PASSWORD
from tests.web.test_admin_leave import add_leave, get_leave, user_id

pytestmark = [pytest.mark.browser, pytest.mark.db]

# Tuesday noon: 张三's Wednesday duty is still ahead, 李四's Friday request came late.
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_counselor_approves_and_assistant_sees_it(app, db, team, artifacts_dir, browser):
    app.config["CLOCK"] = lambda: TUESDAY_NOON
    leave_id = add_leave(db, reason="参加高等数学期中考试", kind=LeaveKind.exam)
    add_leave(db, "2023102", date(2026, 11, 20), after_start=True, reason="睡过头了，忘记请假")
    errors: list[str] = []
    with live_server(app) as base:
        desk = browser.new_page(viewport=DESKTOP)
        desk.on("pageerror", lambda e: errors.append(str(e)))
        _login(desk, base, team.counselor)
        desk.goto(f"{base}/admin/leave")
        card = desk.locator(f"#leave-{leave_id}")
        assert "张三" in card.inner_text() and "11月25日 周三 08:00–10:00" in card.inner_text()
        assert desk.locator(".xianzhan", has_text="先斩后奏").is_visible()
        assert desk.locator(".admin-nav-wide .active", has_text="请假审批").is_visible()
        desk.screenshot(path=str(artifacts_dir / "admin-leave-desktop.png"), full_page=True)

        phone = browser.new_page(viewport=PHONE)
        phone.context.add_cookies(desk.context.cookies())
        phone.goto(f"{base}/admin/leave")
        assert _no_horizontal_overflow(phone)
        button = phone.locator(f"#leave-{leave_id} button", has_text="批准")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 36
        phone.screenshot(path=str(artifacts_dir / "admin-leave-phone.png"), full_page=True)

        # Rejecting without a reason is stopped by the browser (required) before any request.
        desk.click(f"#leave-{leave_id} .reject-form button")
        assert get_leave(db, leave_id).status is LeaveStatus.pending

        desk.click(f"#leave-{leave_id} button:has-text('批准')")
        desk.wait_for_url(re.compile(r".*/admin/leave$"))
        assert desk.locator(".alert-success", has_text="已批准张三的请假").is_visible()
        assert desk.locator(f"#history-{leave_id} .badge", has_text="已批准").is_visible()
        desk.screenshot(
            path=str(artifacts_dir / "admin-leave-approved-desktop.png"), full_page=True
        )

        leave = get_leave(db, leave_id)
        assert leave.status is LeaveStatus.approved
        assert leave.decided_by_id == user_id(db, team.counselor)

        mine = browser.new_page(viewport=PHONE)
        mine.on("pageerror", lambda e: errors.append(str(e)))
        _login(mine, base, team.assistants[0])
        mine.goto(f"{base}/me")
        item = mine.locator("#leave li", has_text="参加高等数学期中考试")
        assert item.locator(".badge", has_text="已批准").is_visible()
        mine.screenshot(path=str(artifacts_dir / "me-leave-approved-phone.png"), full_page=True)
    assert errors == []


def test_correction_audit_and_semester_pages_fit_a_phone(app, db, team, artifacts_dir, browser):
    """补签 via the browser, then the audit log and the lock page, on desktop and phone."""
    app.config["CLOCK"] = lambda: datetime(2026, 11, 26, 12, 0, tzinfo=LOCAL_TZ)
    uid = user_id(db, team.assistants[0])
    with live_server(app) as base:
        desk = browser.new_page(viewport=DESKTOP)
        _login(desk, base, team.counselor)
        desk.goto(f"{base}/admin/corrections?user={uid}&date=2026-11-25")
        assert desk.locator(".duty-card .outcome").inner_text() == "缺勤"
        desk.fill("#in-1", "08:03")
        desk.fill("#out-1", "10:00")
        desk.fill("#reason-1", "手机没电，当面核实到岗")
        desk.click(".duty-card button:has-text('保存补签')")
        desk.wait_for_load_state()
        assert desk.locator(".alert-success", has_text="缺勤 → 正常").is_visible()
        assert desk.locator(".duty-card .outcome").inner_text() == "正常"
        desk.screenshot(path=str(artifacts_dir / "admin-corrections-desktop.png"), full_page=True)

        phone = browser.new_page(viewport=PHONE)
        phone.context.add_cookies(desk.context.cookies())
        for path, name in (
            (f"/admin/corrections?user={uid}&date=2026-11-25", "admin-corrections-phone.png"),
            ("/admin/audit", "admin-audit-phone.png"),
            ("/admin/semester", "admin-semester-phone.png"),
        ):
            phone.goto(base + path)
            assert _no_horizontal_overflow(phone), path
            phone.screenshot(path=str(artifacts_dir / name), full_page=True)
        desk.goto(f"{base}/admin/audit")
        assert "补签" in desk.locator(".audit-entry").first.inner_text()
        desk.screenshot(path=str(artifacts_dir / "admin-audit-desktop.png"), full_page=True)
        desk.goto(f"{base}/admin/semester")
        # Mid-term the button is disabled and says from when (before any confirm).
        assert desk.locator("button:has-text('结束考核并锁定')").is_disabled()
        assert desk.locator(
            ".finalize-refused", has_text="学期 1 月 15 日结束后才能定稿"
        ).is_visible()
        app.config["CLOCK"] = lambda: datetime(2027, 1, 18, 9, 0, tzinfo=LOCAL_TZ)
        desk.goto(f"{base}/admin/semester")
        desk.on("dialog", lambda dialog: dialog.accept())
        desk.click("button:has-text('结束考核并锁定')")
        desk.wait_for_load_state()
        assert desk.locator(".lock-state", has_text="已锁定").is_visible()
        desk.screenshot(path=str(artifacts_dir / "admin-semester-desktop.png"), full_page=True)

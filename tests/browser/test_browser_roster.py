"""名单导入 in a real browser at desktop and phone sizes: upload with 本学期在岗 → preview (new
people, a changed phone) → confirm → printable password slips; screenshots of preview and slips."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from data.importers import ROSTER_COLUMNS
from data.models import User
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, live_server

pytestmark = [pytest.mark.browser, pytest.mark.db]

NOW = datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)
NAMES = ["陈一", "周二", "吴三", "郑四", "冯五", "褚六", "卫七", "蒋八", "沈九", "韩十"]


def _roster(prefix: str, phone: str) -> bytes:
    rows = [",".join(ROSTER_COLUMNS)]
    rows.append(f"2023101,张三,男,研究生,2023级,数学,{phone},,中共党员,否,助管,学工办")
    for i, name in enumerate(NAMES, start=1):
        rows.append(
            f"{prefix}{i:02d},{name},女,本科生,2023级,物理,138000000{i:02d},,群众,否,,学工办"
        )
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(
    ("size", "viewport", "prefix", "phone"),
    [("desktop", DESKTOP, "20251", "13900000001"), ("phone", PHONE, "20252", "13900000002")],
)
def test_roster_preview_and_slips(
    app, team, db, artifacts_dir, browser, size, viewport, prefix, phone
):
    app.config["CLOCK"] = lambda: NOW
    errors: list[str] = []
    with live_server(app) as base:
        page = browser.new_page(viewport=viewport)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _login(page, base, team.counselor)
        page.goto(f"{base}/admin/roster")
        page.set_input_files(
            "input[name=file]",
            files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": _roster(prefix, phone)}],
        )
        page.check("#in-post")
        page.screenshot(path=str(artifacts_dir / f"roster-upload-{size}.png"), full_page=True)
        assert page.input_value("#in-post-from") == "2026-10-12"
        page.click("#roster-import button[type=submit]")
        page.wait_for_selector("#roster-preview")
        assert "10" in page.locator("#preview-summary").inner_text()
        assert phone in page.locator("#preview-changes").inner_text()
        assert "2026-10-12" in page.locator("#preview-post").inner_text()
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / f"roster-preview-{size}.png"), full_page=True)

        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("#import-result")
        assert "新建账号 10 人" in page.locator("#import-result").inner_text()
        slips = page.get_attribute("#passwords a[href$='/slips']", "href")
        page.goto(base + slips)
        assert page.locator(".slip").count() == 10
        assert "https://zgt.example.edu.cn/login" in page.locator(".slip").first.inner_text()
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / f"roster-slips-{size}.png"), full_page=True)
        if size == "desktop":
            page.emulate_media(media="print")
            page.screenshot(path=str(artifacts_dir / "roster-slips-print.png"), full_page=True)
    with db.session() as s:
        zhang = s.scalar(select(User).where(User.username == "2023101"))
        assert zhang.phone == phone
    assert not errors, errors
    assert re.fullmatch(r"/admin/roster/passwords/\d+-[0-9a-f]{32}/slips", slips)

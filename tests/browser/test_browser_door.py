"""The assistant's ten seconds at the door, in a real phone-sized browser (SPEC §4).

Poster PNG → zbarimg → open the URL → log in → 签到 → 准时 → later 签退 with a work record →
the hours appear on /me.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, time

import pytest

from data.timeutil import LOCAL_TZ
from tests.browser.helpers import PHONE, live_server
from tests.conftest import AuthActions

pytestmark = [pytest.mark.browser, pytest.mark.db]

WEDNESDAY = date(2026, 11, 25)  # the small team's assistant 2023101 is on duty 08:00–10:00


def decode_qr(png: bytes, tmp_path) -> str:
    if not shutil.which("zbarimg"):
        pytest.fail("zbarimg (zbar-tools) is needed to read the poster") if _ci() else pytest.skip(
            "zbarimg not installed"
        )
    path = tmp_path / "poster.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _ci() -> bool:
    import os

    return bool(os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"))


def test_scan_sign_in_sign_out_and_see_the_hours(app, team, tmp_path, artifacts_dir, browser):
    clock = {"now": datetime.combine(WEDNESDAY, time(8, 3), tzinfo=LOCAL_TZ)}
    app.config["CLOCK"] = lambda: clock["now"]
    with live_server(app) as base:
        app.config["PUBLIC_URL"] = base  # the poster points at this server
        counselor = app.test_client()
        AuthActions(counselor).login(team.counselor)
        png = counselor.get(f"/admin/posters/{team.place_id}.png").data
        url = decode_qr(png, tmp_path)
        assert url.startswith(f"{base}/checkin/door?t=")

        page = browser.new_page(viewport=PHONE, device_scale_factor=2)
        page.goto(url)
        page.wait_for_url("**/login**")
        page.fill("#username", team.assistants[0])
        page.fill("#password", "correct-horse-9")
        page.click("button[type=submit]")
        page.wait_for_url("**/checkin/door")
        assert "周三 08:00–10:00 学工办" in page.inner_text("#door-duty")
        page.screenshot(path=str(artifacts_dir / "door-sign-in-phone.png"), full_page=True)
        box = page.locator("#door-button").bounding_box()
        assert box["height"] >= 48 and box["width"] >= 300  # a thumb-sized button
        page.click("#door-button")
        page.wait_for_url("**/checkin/result")
        assert page.inner_text("#door-headline") == "准时"
        assert "本学期已迟到 0 次（3 次即不合格）" in page.content()
        page.screenshot(path=str(artifacts_dir / "door-signed-in-phone.png"), full_page=True)

        clock["now"] = datetime.combine(WEDNESDAY, time(10, 2), tzinfo=LOCAL_TZ)
        page.goto(url)
        page.wait_for_url("**/checkin/door")
        page.fill("#record", "整理学生档案，接待来访学生 3 人")
        page.screenshot(path=str(artifacts_dir / "door-sign-out-phone.png"), full_page=True)
        page.click("#door-button")
        page.wait_for_url("**/checkin/result")
        assert page.inner_text("#door-headline") == "已签退"
        assert "本次计入 1 小时 57 分钟" in page.content()
        page.screenshot(path=str(artifacts_dir / "door-signed-out-phone.png"), full_page=True)

        page.goto(f"{base}/me")
        kpi = page.locator(".me-kpi").filter(has_text="小时").first.inner_text()
        assert kpi.replace("小时", "").strip() in ("1.9", "2.0")
        assert "整理学生档案" in page.content()
        page.screenshot(path=str(artifacts_dir / "door-me-after-phone.png"), full_page=True)

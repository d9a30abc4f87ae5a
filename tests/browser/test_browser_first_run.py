"""Issue 12 end to end in a real browser, from an empty database: the counselor (1440×900) sets
up the college, creates the semester, downloads the roster template, uploads a roster with one
bad row (nothing written), fixes it with 本学期在岗, prints the password slips, imports the
schedule and prints the door poster; on the first duty morning an assistant (390×844) scans the
poster, logs in with the initial password, changes it and lands on 签到, and signs in.
Screenshots of every step: test-artifacts/first-run-NN-*.png."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import openpyxl
import pytest
from sqlalchemy import func, select

from data.importers import ROSTER_COLUMNS, SCHEDULE_COLUMNS
from data.models import Appointment, CheckEvent, Semester, Shift, Stage, Team, User
from data.timeutil import LOCAL_TZ
from tests.browser.helpers import DESKTOP, PHONE, live_server
from tests.browser.test_browser_door import decode_qr

pytestmark = [pytest.mark.browser, pytest.mark.db]

# The counselor prepares on the Sunday before the semester; the first duty is Monday 08:00.
SETUP_NOW = datetime(2026, 9, 6, 10, 0, tzinfo=LOCAL_TZ)
FIRST_DAY = date(2026, 9, 7)
SCAN_NOW = datetime.combine(FIRST_DAY, time(8, 3), tzinfo=LOCAL_TZ)

NAMES = ["陈一", "周二", "吴三", "郑四", "冯五", "褚六", "卫七", "蒋八", "沈九", "韩十"]
USERNAMES = [f"20260{i:02d}" for i in range(1, 11)]
BAD_ROW = 8  # the 7th person, under the header row
ASSISTANT = USERNAMES[0]
NEW_PASSWORD = "my-own-secret-7"


def _roster_csv(bad_phone: str | None = None) -> bytes:
    rows = [",".join(ROSTER_COLUMNS)]
    for i, (username, name) in enumerate(zip(USERNAMES, NAMES, strict=True), start=1):
        phone = f"139000000{i:02d}"
        if bad_phone and i == BAD_ROW - 1:
            phone = bad_phone
        rows.append(f"{username},{name},女,本科生,2024级,数学,{phone},,共青团员,否,,学工办")
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def _schedule_csv() -> bytes:
    rows = [",".join(SCHEDULE_COLUMNS)]
    for i, username in enumerate(USERNAMES):
        weekday = i % 5 + 1  # two people each weekday; 2026001 on Monday
        start = "08:00" if i < 5 else "14:00"
        end = "10:00" if i < 5 else "16:00"
        rows.append(f"{username},{weekday},{start},{end},学工办")
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"first-run-{name}.png"), full_page=True)


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_college_starts_on_its_own(app, db, browser, artifacts_dir, tmp_path):
    clock = {"now": SETUP_NOW}
    app.config["CLOCK"] = lambda: clock["now"]
    assert _count(db, User) == 0
    errors: list[str] = []
    with live_server(app) as base:
        app.config["PUBLIC_URL"] = base  # slips and poster point at this server
        desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
        page = desk.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))

        # 1. First run: /setup → the counselor is logged in.
        page.goto(f"{base}/")
        page.wait_for_url("**/setup")
        page.fill("#college", "化学与材料学院")
        page.fill("#team", "化材学院助管团")
        page.fill("#username", "T9001")
        page.fill("#name", "陈老师")
        page.fill("#password", "chosen-by-me-1")
        page.fill("#confirm", "chosen-by-me-1")
        _shot(page, artifacts_dir, "01-setup")
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/**")
        page.wait_for_selector("text=还没有学期数据")
        assert page.locator("nav.navbar", has_text="陈老师").is_visible()
        _shot(page, artifacts_dir, "02-logged-in")
        with db.session() as s:
            assert s.scalar(select(Team.name)) == "化材学院助管团"
            assert s.scalar(select(User.username)) == "T9001"

        # 2. 学期设置 (the dashboard's own link): create the semester.
        page.click("text=去创建学期")
        page.wait_for_url("**/admin/semester-setup")
        assert "还没有学期" in page.inner_text("#semester-create")
        page.fill("#new-name", "2026秋")
        page.fill("#new-start", FIRST_DAY.isoformat())
        page.fill("#new-end", "2027-01-15")
        page.click("#semester-create button[type=submit]")
        page.wait_for_selector("#semester-edit")
        assert page.locator(".alert-success", has_text="已创建学期“2026秋”").is_visible()
        assert _fits(page)
        _shot(page, artifacts_dir, "03-semester")
        with db.session() as s:
            semester = s.scalar(select(Semester))
            assert (semester.name, semester.start) == ("2026秋", FIRST_DAY)
            semester_id = semester.id

        # 3. 名单导入: the template downloads and opens as a workbook.
        page.goto(f"{base}/admin/roster")
        with page.expect_download() as download:
            page.click("#templates >> text=名单模板")
        template = tmp_path / "roster-template.xlsx"
        download.value.save_as(template)
        book = openpyxl.load_workbook(template)
        sheet = book.worksheets[0]
        headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert headers[: len(ROSTER_COLUMNS)] == list(ROSTER_COLUMNS)
        assert sheet.max_row == 2 and "说明" in book.sheetnames
        _shot(page, artifacts_dir, "04-roster-page")

        # 4. A roster of 10 with one bad phone: row, column and why; nothing written.
        page.set_input_files(
            "#roster-import input[name=file]",
            files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": _roster_csv("138-abc")}],
        )
        page.click("#roster-import button[type=submit]")
        page.wait_for_selector("#import-errors")
        assert "没有写入任何数据" in page.inner_text("#import-result")
        cells = page.locator("#import-errors tbody tr").first.locator("td").all_inner_texts()
        assert cells[0] == str(BAD_ROW) and cells[1] == "手机"
        assert "手机号码格式不正确" in cells[2] and "138-abc" in cells[2]
        assert page.locator("#import-errors tbody tr").count() == 1
        _shot(page, artifacts_dir, "05-roster-bad-row")
        assert _count(db, User) == 1 and _count(db, Appointment) == 0

        # 5. Fixed, with 本学期在岗 → preview → confirm.
        page.goto(f"{base}/admin/roster")
        page.set_input_files(
            "#roster-import input[name=file]",
            files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": _roster_csv()}],
        )
        page.check("#in-post")
        assert page.input_value("#in-post-from") == FIRST_DAY.isoformat()
        page.click("#roster-import button[type=submit]")
        page.wait_for_selector("#roster-preview")
        assert "新建账号 10 人" in page.inner_text("#preview-summary")
        assert f"{FIRST_DAY} 起上岗 10 人" in page.inner_text("#preview-post")
        _shot(page, artifacts_dir, "06-roster-preview")
        assert _count(db, User) == 1
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("#import-result.alert-success")
        assert "新建账号 10 人" in page.inner_text("#import-result")
        _shot(page, artifacts_dir, "07-roster-done")
        with db.session() as s:
            stages = s.scalars(
                select(Appointment.stage).where(Appointment.semester_id == semester_id)
            )
            assert sorted(stages) == [Stage.appointed] * 10
            assert s.scalar(select(func.count(User.id)).where(User.must_change_password)) == 10

        # 6. The printable slips: one per new account, with the initial password.
        slips = page.get_attribute("#passwords a[href$='/slips']", "href")
        next_step = page.get_attribute("a:has-text('下一步：导入值班表')", "href")
        page.goto(base + slips)
        assert page.locator(".slip").count() == 10
        slip = page.locator(".slip", has_text=ASSISTANT)
        assert f"{base}/login" in slip.inner_text()
        password = slip.locator(".password").inner_text().strip()
        assert len(password) >= 8
        _shot(page, artifacts_dir, "08-password-slips")

        # 7. 值班表: import (preview → confirm); 2026001 on Monday 08:00–10:00 at 学工办.
        page.goto(base + next_step)
        assert page.input_value("#import-from") == FIRST_DAY.isoformat()
        page.set_input_files(
            "#import input[name=file]",
            files=[{"name": "值班表.csv", "mimeType": "text/csv", "buffer": _schedule_csv()}],
        )
        page.click("#import button[type=submit]")
        page.wait_for_selector("#schedule-preview")
        assert "导入值班表 10 行" in page.inner_text("#schedule-preview")
        _shot(page, artifacts_dir, "09-schedule-preview")
        assert _count(db, Shift) == 0
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("#import-result.alert-success")
        assert "已导入 10 行" in page.inner_text("#import-result")
        _shot(page, artifacts_dir, "10-schedule-done")
        page.goto(f"{base}/admin/schedule?semester={semester_id}")
        monday = " ".join(page.locator("#schedule-grid td[data-weekday='1']").all_inner_texts())
        assert "陈一" in monday
        _shot(page, artifacts_dir, "11-schedule")

        # 8. 签到海报: the schedule's place has its poster; the QR is the door URL.
        page.goto(f"{base}/admin/posters")
        card = page.locator("section[id^=place-]", has_text="学工办")
        png_href = card.locator("text=PNG 图片").get_attribute("href")
        _shot(page, artifacts_dir, "12-posters")
        card.locator("text=打印海报").click()
        page.wait_for_selector(".sheet .poster-qr")
        _shot(page, artifacts_dir, "13-poster")
        png = page.request.get(base + png_href)
        assert png.ok and png.headers["content-type"] == "image/png"
        door_url = decode_qr(png.body(), tmp_path)
        assert re.fullmatch(re.escape(base) + r"/checkin/door\?t=\S+", door_url)

        # 9. Monday 08:03: the assistant scans on a phone, changes the password, signs in.
        clock["now"] = SCAN_NOW
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
        mobile = phone.new_page()
        mobile.on("pageerror", lambda e: errors.append(str(e)))
        mobile.goto(door_url)
        mobile.wait_for_url("**/login**")
        assert "化材学院助管团" in mobile.content()
        mobile.fill("#username", ASSISTANT)
        mobile.fill("#password", password)
        assert _fits(mobile)
        _shot(mobile, artifacts_dir, "14-phone-login")
        mobile.click("button[type=submit]")
        mobile.wait_for_url("**/account/password**")
        assert mobile.locator(".alert", has_text="首次登录请先修改初始密码").is_visible()
        mobile.fill("#current", password)
        mobile.fill("#new", NEW_PASSWORD)
        mobile.fill("#confirm", NEW_PASSWORD)
        assert _fits(mobile)
        _shot(mobile, artifacts_dir, "15-phone-change-password")
        mobile.click("main button:has-text('保存新密码')")
        mobile.wait_for_url("**/checkin/door")
        assert "周一 08:00–10:00 学工办" in mobile.inner_text("#door-duty")
        assert mobile.locator("#door-button", has_text="签到").is_visible()
        assert _fits(mobile)
        _shot(mobile, artifacts_dir, "16-phone-door")
        with db.session() as s:
            user = s.scalar(select(User).where(User.username == ASSISTANT))
            assert not user.must_change_password and user.check_password(NEW_PASSWORD)
            assert s.scalar(select(func.count(CheckEvent.id))) == 0

        mobile.click("#door-button")
        mobile.wait_for_url("**/checkin/result")
        assert mobile.inner_text("#door-headline") == "准时"
        assert _fits(mobile)
        _shot(mobile, artifacts_dir, "17-phone-signed-in")
        with db.session() as s:
            event = s.scalar(select(CheckEvent))
            assert event.user_id == user.id and event.duty_date == FIRST_DAY
            assert event.action.value == "sign_in"
    assert not errors, errors

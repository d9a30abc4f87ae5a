"""名单导入 in the workbench (issue 12 item 3): errors, preview, confirm, 本学期在岗, re-import,
the initial passwords as a sheet and slips (once each), the three templates, permissions."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.importers import EVENT_COLUMNS, ROSTER_COLUMNS, SCHEDULE_COLUMNS
from data.models import Appointment, AuditLog, Stage, User
from data.services.roster import PasswordStash
from data.timeutil import LOCAL_TZ
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

LOGIN_URL = "https://zgt.example.edu.cn/login"
HEADER = ",".join(ROSTER_COLUMNS)
GOOD = [
    "2025001,陈一,男,研究生,2025级,数学,13800000001,123456781,中共党员,否,助管,学工办",
    "2025002,周二,女,本科生,2022级,物理,13800000002,123456782,共青团员,是,,学工办",
]
BAD = "2025003,吴三,男,研究生,2025级,数学,abc,123456783,群众,否,助管,学工办"


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)
    return app


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def csv_file(*rows: str, header: str = HEADER) -> tuple[io.BytesIO, str]:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8-sig")), "名单.csv"


def upload(client, *rows: str, **form):
    data = {"csrf_token": token(client), "file": csv_file(*rows)} | form
    return client.post("/admin/roster/import", data=data, content_type="multipart/form-data")


def confirm(client, preview_html: str):
    """Post the preview's confirm form as the browser would."""
    form = preview_html.split('id="confirm-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    fields["csrf_token"] = token(client)
    return client.post("/admin/roster/import", data=fields)


def count_users(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(User.id)))


def user_of(db, username: str) -> User | None:
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is not None:
            s.expunge(user)
        return user


def import_all(client, *rows: str, **form) -> str:
    """Upload, confirm; the result page's HTML."""
    preview = upload(client, *rows, **form)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    done = confirm(client, preview.get_data(as_text=True))
    assert done.status_code == 200
    return done.get_data(as_text=True)


def password_links(html: str) -> tuple[str, str]:
    sheet = re.search(r'href="(/admin/roster/passwords/[^"]+\.xlsx)"', html).group(1)
    slips = re.search(r'href="(/admin/roster/passwords/[^"]+/slips)"', html).group(1)
    return sheet, slips


def test_bad_row_is_listed_by_row_column_and_reason_and_nothing_is_written(
    client, auth, team, clocked, db
):
    auth.login(team.counselor)
    users, audits = count_users(db), _audits(db)
    response = upload(client, *GOOD, BAD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "没有写入任何数据" in html
    row = html.split('id="import-errors"', 1)[1]
    assert re.search(r"<td>4</td><td[^>]*>手机</td><td>手机号码格式不正确：abc</td>", row)
    assert count_users(db) == users and _audits(db) == audits
    # The rejected file is not kept: nothing can be confirmed from it.
    assert not list((Path(clocked.instance_path) / "uploads").glob("*"))


def test_skip_bad_previews_then_writes_only_the_good_rows(client, auth, team, clocked, db):
    auth.login(team.counselor)
    preview = upload(client, *GOOD, BAD, skip_bad="1")
    html = preview.get_data(as_text=True)
    assert "将跳过的错误行" in html and "手机号码格式不正确" in html
    assert user_of(db, "2025001") is None
    done = confirm(client, html).get_data(as_text=True)
    assert "新建账号 2 人" in done and "跳过错误行 1 行" in done
    assert user_of(db, "2025001") is not None and user_of(db, "2025003") is None


def test_preview_lists_new_people_and_writes_nothing_until_confirmed(
    client, auth, team, clocked, db
):
    auth.login(team.counselor)
    users = count_users(db)
    html = upload(client, *GOOD).get_data(as_text=True)
    new = html.split('id="preview-new"', 1)[1].split("</section>", 1)[0]
    assert "2025001" in new and "陈一" in new and "周二" in new
    assert count_users(db) == users
    assert "初始密码" in new and not re.search(r"[A-Za-z2-9]{10}</td>", new)  # no password yet
    done = confirm(client, html).get_data(as_text=True)
    assert "新建账号 2 人" in done
    assert count_users(db) == users + 2
    created = user_of(db, "2025002")
    assert created.must_change_password and created.hardship and created.phone == "13800000002"
    with db.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).one()
    assert entry.after["created"] == ["2025001", "2025002"]
    assert "password" not in str(entry.after).lower() and "初始密码" not in str(entry.after)
    # The stashed upload is used once: replaying the confirmation is refused.
    again = confirm(client, html)
    assert again.status_code == 302
    assert "导入文件已失效" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_in_post_appoints_from_the_date_without_trial(client, auth, team, clocked, db):
    auth.login(team.counselor)
    page = client.get("/admin/roster").get_data(as_text=True)
    # The default date while the semester runs is today (SPEC §7).
    assert 'id="in-post-from" value="2026-10-12"' in page
    form = {"in_post": "1", "semester": str(team.semester_id), "from": "2026-10-05"}
    preview = upload(client, *GOOD, **form).get_data(as_text=True)
    assert "2026-10-05</strong> 起上岗 2 人" in preview and "陈一" in preview
    with db.session() as s:
        assert s.scalar(select(func.count(Appointment.id))) == 4  # the team's own, nothing new
    html = confirm(client, preview).get_data(as_text=True)
    assert "2026-10-05 起上岗 2 人" in html
    with db.session() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "appointment.import"))
        assert len(entries.all()) == 2  # audited once per person
    for username in ("2025001", "2025002"):
        with db.session() as s:
            a = s.scalar(select(Appointment).join(User).where(User.username == username))
            assert a.stage is Stage.appointed
            assert a.appointed_on == date(2026, 10, 5) and a.trial_start is None
            assert a.semester_id == team.semester_id


def test_in_post_date_outside_the_semester_is_refused(client, auth, team, clocked, db):
    auth.login(team.counselor)
    users = count_users(db)
    response = upload(
        client, *GOOD, in_post="1", semester=str(team.semester_id), **{"from": "2027-03-01"}
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "上岗日期 2027-03-01 不在学期" in shown
    response = upload(client, *GOOD, in_post="1", semester=str(team.semester_id), **{"from": "x"})
    assert "上岗日期应为 YYYY-MM-DD" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert count_users(db) == users


def test_reimport_shows_and_applies_a_changed_phone(client, auth, team, clocked, db):
    auth.login(team.counselor)
    import_all(client, *GOOD)
    changed = GOOD[0].replace("13800000001", "13900000009")
    html = upload(client, changed, GOOD[1]).get_data(as_text=True)
    changes = html.split('id="preview-changes"', 1)[1].split("</section>", 1)[0]
    assert "陈一" in changes and "手机" in changes
    assert "13800000001" in changes and "13900000009" in changes
    assert "周二" not in changes  # unchanged people are not listed
    assert user_of(db, "2025001").phone == "13800000001"  # not yet
    done = confirm(client, html).get_data(as_text=True)
    assert "更新资料 1 人" in done and "新建账号 0 人" in done
    assert 'id="passwords"' not in done  # nobody new: no passwords to hand out
    assert user_of(db, "2025001").phone == "13900000009"


def test_passwords_sheet_and_slips_work_once(client, auth, team, clocked, db):
    auth.login(team.counselor)
    html = import_all(client, *GOOD)
    sheet_url, slips_url = password_links(html)
    assert not re.search(r"[A-HJ-NP-Za-km-z2-9]{10}</td>", html)  # not on screen

    sheet = client.get(sheet_url)
    assert sheet.status_code == 200 and "no-store" in sheet.headers["Cache-Control"]
    frame = pd.read_excel(io.BytesIO(sheet.data), dtype=str)
    assert list(frame.columns) == ["学号", "姓名", "初始密码", "登录地址"]
    assert frame["学号"].tolist() == ["2025001", "2025002"]
    assert set(frame["登录地址"]) == {LOGIN_URL}
    passwords = dict(zip(frame["学号"], frame["初始密码"], strict=True))
    for username, password in passwords.items():
        assert user_of(db, username).check_password(password)

    slips = client.get(slips_url)
    page = slips.get_data(as_text=True)
    assert slips.status_code == 200 and "no-store" in slips.headers["Cache-Control"]
    assert page.count('class="slip"') == 2 and "@media print" in page
    for username, password in passwords.items():
        slip = page.split(f"<dd>{username}</dd>", 1)[1].split("</article>", 1)[0]
        assert password in slip and LOGIN_URL in slip

    # Each works once; then the stash is gone from the server.
    for url in (sheet_url, slips_url):
        again = client.get(url)
        assert again.status_code == 302
        assert "初始密码已取过或已过期" in client.get(again.headers["Location"]).get_data(
            as_text=True
        )
    assert not list((Path(clocked.instance_path) / "roster-passwords").glob("*.json"))


def test_password_stash_is_owner_only_and_expires(tmp_path):
    stash = PasswordStash(tmp_path, hours=8)
    token = stash.put(7, [("2025001", "陈一", "Secret2345")])
    path = tmp_path / f"{token}.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert stash.take(8, token, "sheet") is None  # another counselor
    assert stash.take(7, "../" + token, "sheet") is None
    assert stash.take(7, token, "sheet") == [["2025001", "陈一", "Secret2345"]]
    assert stash.take(7, token, "sheet") is None
    old = time.time() - 9 * 3600
    os.utime(path, (old, old))
    assert stash.take(7, token, "slips") is None and not path.exists()


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        ("roster", (*ROSTER_COLUMNS, "邮箱")),
        ("schedule", SCHEDULE_COLUMNS),
        ("events", EVENT_COLUMNS),
    ],
)
def test_templates_have_headers_an_example_and_notes(client, auth, team, kind, columns):
    auth.login(team.counselor)
    response = client.get(f"/admin/templates/{kind}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    data, notes = book.worksheets[0], book["说明"]
    rows = list(data.iter_rows(values_only=True))
    assert rows[0] == tuple(columns) and len(rows) == 2 and all(rows[1][:2])
    noted = {row[0] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert set(columns) <= noted
    assert client.get("/admin/templates/nothing.xlsx").status_code == 404


def test_roster_template_imports_as_is(client, auth, team, clocked, db):
    """The example row is valid: a counselor who fills in the template is not met by errors."""
    auth.login(team.counselor)
    body = client.get("/admin/templates/roster.xlsx").data
    data = {"csrf_token": token(client), "file": (io.BytesIO(body), "名单模板.xlsx")}
    response = client.post("/admin/roster/import", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="roster-preview"' in html, html


def test_templates_are_linked_from_roster_and_schedule_pages(client, auth, team):
    auth.login(team.counselor)
    for page in ("/admin/roster", f"/admin/schedule?semester={team.semester_id}"):
        html = client.get(page).get_data(as_text=True)
        for kind in ("roster", "schedule", "events"):
            assert f"/admin/templates/{kind}.xlsx" in html, page
    assert "名单导入" in client.get("/admin/roster").get_data(as_text=True)


def test_bad_files_are_refused_with_a_message(client, auth, team, clocked, db):
    auth.login(team.counselor)
    users = count_users(db)
    cases = [
        ((io.BytesIO(b"x"), "名单.txt"), "只支持 .xlsx 或 .csv 文件"),
        ((io.BytesIO(b"PK\x03\x04broken"), "名单.xlsx"), "导入失败"),
        ((io.BytesIO("学号,名字\n1,2\n".encode()), "名单.csv"), "导入失败"),
        ((io.BytesIO(b"a" * (2 * 1024 * 1024 + 1)), "名单.csv"), "文件过大"),
    ]
    for file, message in cases:
        data = {"csrf_token": token(client), "file": file}
        response = client.post(
            "/admin/roster/import", data=data, content_type="multipart/form-data"
        )
        assert response.status_code == 302
        assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    forged = {"csrf_token": token(client), "stash": "../../etc/passwd", "confirm": "1"}
    response = client.post("/admin/roster/import", data=forged)
    assert "导入文件已失效" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count_users(db) == users


def test_only_the_counselor(client, auth, team, clocked, db):
    auth.login(team.counselor)
    sheet_url, slips_url = password_links(import_all(client, *GOOD))
    auth.logout()
    urls = ["/admin/roster", sheet_url, slips_url]
    for username in (team.leader, team.assistants[0], team.leadership):
        auth.login(username)
        for url in urls:
            assert client.get(url).status_code == 403, (username, url)
        assert upload(client, GOOD[0].replace("2025001", "2025009")).status_code == 403
        auth.logout()
    assert user_of(db, "2025009") is None
    # Templates carry no personal data: the 团长 (who imports schedules) may fetch them.
    auth.login(team.leader)
    assert client.get("/admin/templates/schedule.xlsx").status_code == 200
    assert "名单导入" not in client.get("/admin/schedule").get_data(as_text=True)
    auth.logout()
    auth.login(team.assistants[0])
    assert client.get("/admin/templates/roster.xlsx").status_code == 403
    auth.logout()
    # The counselor still can fetch the passwords after the others were refused.
    auth.login(team.counselor)
    assert client.get(sheet_url).status_code == 200


def _audits(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(AuditLog.id)))

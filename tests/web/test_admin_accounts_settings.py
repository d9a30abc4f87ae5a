"""Accounts (create / deactivate / reset) and the policy settings form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from data.demo import COUNSELOR_PASSWORD, COUNSELOR_USERNAME
from data.models import AuditLog, Semester, TeamSettings, User
from data.policy.settings import DEFAULTS, EPOCHS_KEY
from data.report import build_report
from tests.conftest import DEMO_NOW, AuthActions
from tests.web.test_admin_recruit import audit_count, last_audit, other_team, post

pytestmark = pytest.mark.db


def user_id(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def one_time_password(html: str) -> str:
    match = re.search(r'id="one-time-password">([^<]+)<', html)
    assert match, "no password shown"
    return match.group(1).strip()


# --- Accounts ----------------------------------------------------------------------------


def test_create_account_shows_password_once(client, auth, db, team):
    auth.login(team.counselor)
    before = audit_count(db)
    response = post(
        client,
        "/admin/accounts",
        "/admin/accounts",
        {"username": "2025009", "name": "新助管", "role": "assistant"},
    )
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    password = one_time_password(response.get_data(as_text=True))
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert (
        entry.action == "user.create"
        and entry.before is None
        and entry.after["username"] == "2025009"
    )
    assert password not in str(entry.after)
    assert password not in client.get("/admin/accounts").get_data(as_text=True)
    auth.logout()
    response = auth.login("2025009", password)
    assert response.headers["Location"].endswith("/account/password")  # must change it first


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "2023101", "name": "重复", "role": "assistant"}, "已被使用"),
        ({"username": "有 空格", "name": "x", "role": "assistant"}, "只能由字母、数字"),
        ({"username": "2025010", "name": "", "role": "assistant"}, "请填写姓名"),
        ({"username": "2025010", "name": "x", "role": "admin"}, "请选择角色"),
    ],
)
def test_create_account_refusals(client, auth, db, team, form, message):
    auth.login(team.counselor)
    before = audit_count(db)
    response = post(client, "/admin/accounts", "/admin/accounts", form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert audit_count(db) == before


def test_deactivate_blocks_login_and_reactivate(client, auth, db, team):
    target = user_id(db, team.assistants[0])
    auth.login(team.counselor)
    before = audit_count(db)
    post(client, "/admin/accounts", f"/admin/accounts/{target}/active", {"active": "0"})
    assert audit_count(db) == before + 1 and last_audit(db).after == {"active": False}
    auth.logout()
    html = auth.login(team.assistants[0]).get_data(as_text=True)
    assert "该账号已停用" in html
    auth.login(team.counselor)
    post(client, "/admin/accounts", f"/admin/accounts/{target}/active", {"active": "1"})
    assert audit_count(db) == before + 2 and last_audit(db).before == {"active": False}
    auth.logout()
    assert auth.login(team.assistants[0]).status_code == 302


def test_counselor_cannot_deactivate_self(client, auth, db, team):
    me = user_id(db, team.counselor)
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client,
        "/admin/accounts",
        f"/admin/accounts/{me}/active",
        {"active": "0"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "不能停用自己的账号" in html and audit_count(db) == before
    with db.session() as s:
        assert s.get(User, me).active


def test_reset_password(client, auth, db, team):
    target = user_id(db, team.assistants[1])
    auth.login(team.counselor)
    before = audit_count(db)
    response = post(client, "/admin/accounts", f"/admin/accounts/{target}/reset")
    password = one_time_password(response.get_data(as_text=True))
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "user.reset_password" and entry.after["must_change_password"] is True
    auth.logout()
    assert auth.login(team.assistants[1]).status_code == 401  # the old password is gone
    response = auth.login(team.assistants[1], password)
    assert response.headers["Location"].endswith("/account/password")


def test_other_teams_user_is_404(client, auth, db, team):
    other_team(db)
    foreign = user_id(db, "2029001")
    auth.login(team.counselor)
    assert (
        post(
            client, "/admin/accounts", f"/admin/accounts/{foreign}/active", {"active": "0"}
        ).status_code
        == 404
    )
    assert post(client, "/admin/accounts", f"/admin/accounts/{foreign}/reset").status_code == 404
    html = client.get("/admin/accounts").get_data(as_text=True)
    assert "外院学生" not in html and "张三" in html and "修改我的密码" in html


def test_accounts_csrf_missing_is_400(client, auth, db, team):
    auth.login(team.counselor)
    target = user_id(db, team.assistants[0])
    assert client.post(f"/admin/accounts/{target}/active", data={"active": "0"}).status_code == 400
    assert (
        client.post(
            "/admin/accounts", data={"username": "x1", "name": "x", "role": "assistant"}
        ).status_code
        == 400
    )


# --- Settings ----------------------------------------------------------------------------


def settings_form(client) -> dict[str, str]:
    """The settings form as the browser would submit it unchanged."""
    html = client.get("/admin/settings").get_data(as_text=True)
    form: dict[str, str] = {}
    for name, value in re.findall(
        r'<input class="form-control"[^>]*name="(\w+)"[^>]*value="([^"]*)"', html
    ):
        form[name] = value
    for name in re.findall(r'type="checkbox" name="(\w+)"[^>]*checked', html):
        form[name] = "1"
    form["checkin_modes"] = re.search(r'<option value="(\w+)" selected', html).group(1)
    # Every other choice (e.g. election_tie_rule) as selected.
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        form.setdefault(name, re.search(r'<option value="(\w+)" selected', body).group(1))
    form["allowed_networks"] = re.search(
        r'name="allowed_networks"[^>]*>([^<]*)</textarea>', html
    ).group(1)
    return form


def stored(db, team) -> dict | None:
    with db.session() as s:
        row = s.get(TeamSettings, team.team_id)
        return row.values if row else None


def test_settings_page_shows_every_field_with_defaults(client, auth, team):
    auth.login(team.counselor)
    html = client.get("/admin/settings").get_data(as_text=True)
    for group in ("考勤", "预警", "例会培训", "试用与辞职", "考核", "补贴", "签到"):
        assert f">{group}</legend>" in html
    for name in DEFAULTS.to_dict():
        if name != "grade_factors":
            assert f'name="{name}"' in html, name
    assert 'name="factor_excellent"' in html and "两者都可" in html and "恢复默认值" in html


def test_unchanged_submit_writes_nothing(client, auth, db, team):
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client, "/admin/settings", "/admin/settings", settings_form(client), follow_redirects=True
    ).get_data(as_text=True)
    assert "没有修改任何设置" in html and audit_count(db) == before and stored(db, team) is None


def test_save_networks_modes_factors_quota(client, auth, db, team):
    auth.login(team.counselor)
    form = settings_form(client)
    form.update(
        allowed_networks="10.0.0.0/8\r\n 172.16.0.0/12 \r\n",
        checkin_modes="kiosk",
        factor_excellent="1.5",
        excellent_quota="0.2",
        grace_minutes="10",
    )
    form.pop("device_binding")
    before = audit_count(db)
    html = post(client, "/admin/settings", "/admin/settings", form, follow_redirects=True).get_data(
        as_text=True
    )
    assert "已保存" in html and audit_count(db) == before + 1
    values = stored(db, team)
    assert values["allowed_networks"] == ["10.0.0.0/8", "172.16.0.0/12"]
    assert values["checkin_modes"] == "kiosk" and values["excellent_quota"] == 0.2
    assert values["grade_factors"]["excellent"] == 1.5 and values["device_binding"] is False
    assert "late_critical" not in values  # defaults are not stored
    entry = last_audit(db)
    assert entry.action == "settings.update"
    assert (
        set(entry.before)
        == set(entry.after)
        == {
            "allowed_networks",
            "checkin_modes",
            "grade_factors",
            "excellent_quota",
            "grace_minutes",
            "device_binding",
        }
    )
    assert entry.before["grace_minutes"] == 5 and entry.after["grace_minutes"] == 10
    # Reset to defaults: one audit entry, no values stored but the per-duty epochs, which
    # keep the grace of the duties in between (SPEC §3 "The record holds").
    post(client, "/admin/settings", "/admin/settings/reset")
    assert audit_count(db) == before + 2 and set(stored(db, team)) == {EPOCHS_KEY}
    graces = [e["values"]["grace_minutes"] for e in stored(db, team)[EPOCHS_KEY]]
    assert graces == [5, 10, 5]
    assert last_audit(db).after["grace_minutes"] == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"allowed_networks": "10.0.0.0/8\n10.0.0.300/33"}, "网段格式不正确：10.0.0.300/33"),
        ({"late_warning": "4"}, "迟到阈值须满足"),
        ({"absence_warning": "3"}, "缺勤阈值须满足"),
        ({"qualified_min": "95"}, "等级分数线须满足"),
        ({"grace_minutes": "-1"}, "“迟到/早退宽限”"),
        ({"grace_minutes": "五"}, "“迟到/早退宽限”须填写 0–720 之间的整数（分钟）"),
        ({"trial_days": "1.5"}, "“试用期”须填写 0–366 之间的整数（天）"),
        ({"excellent_quota": "2"}, "优秀比例"),
        ({"kiosk_step_seconds": "1"}, "刷新间隔"),
        ({"checkin_modes": "sms"}, "请选择签到方式"),
    ],
)
def test_bad_settings_refused(client, auth, db, team, change, message):
    auth.login(team.counselor)
    before = audit_count(db)
    form = {**settings_form(client), **change}
    response = post(client, "/admin/settings", "/admin/settings", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "未保存" in html and message in html
    assert audit_count(db) == before and stored(db, team) is None


def demo_audits(demo_db) -> int:
    with demo_db.session() as s:
        return len(s.scalars(select(AuditLog.id)).all())


def test_lower_late_critical_takes_effect_at_once(demo_app, demo_db):
    with demo_db.session() as s:
        current = s.scalars(select(Semester).order_by(Semester.start.desc())).first()
        report = build_report(s, current, DEMO_NOW)
        twos = [m for m in report.members if m.attendance.late == 2]
    assert twos, "the demo has someone with exactly two lates"
    person = twos[0]
    assert not any(
        metric == "late" and level == "critical" for metric, _, level in person.warning.evidence
    )
    client = demo_app.test_client()
    AuthActions(client).login(COUNSELOR_USERNAME, COUNSELOR_PASSWORD)
    form = {**settings_form(client), "late_warning": "2", "late_critical": "2"}
    # Step one (issue 10): a preview naming who changes level; nothing is saved yet.
    audits_before = demo_audits(demo_db)
    html = post(client, "/admin/settings", "/admin/settings", form).get_data(as_text=True)
    assert 'id="settings-preview"' in html and "已保存" not in html
    row = re.search(rf"<tr>\s*<td>{person.name} .*?</tr>", html, re.S)
    assert row and "警告 → <strong>不合格风险</strong>" in row.group(0)
    assert demo_audits(demo_db) == audits_before
    with demo_db.session() as s:
        stored_values = s.get(TeamSettings, current.team_id).values or {}
        assert stored_values.get("late_critical", 3) == 3
    # Step two: the same values with confirm=1 save them, at once.
    html = post(
        client,
        "/admin/settings",
        "/admin/settings",
        {**form, "confirm": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert re.search(r"已保存，立即生效（[1-9]\d* 人等级或预警变化", html)
    assert demo_audits(demo_db) == audits_before + 1
    with demo_db.session() as s:
        current = s.get(Semester, current.id)
        again = {m.user_id: m for m in build_report(s, current, DEMO_NOW).members}[person.user_id]
        assert again.warning.level == "critical"
        assert ("late", 2, "critical") in again.warning.evidence
        entry = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert entry.before == {"late_critical": 3} and entry.after == {"late_critical": 2}


@pytest.mark.browser
def test_screenshots_review_list_and_settings(demo_app, artifacts_dir, browser):
    """Desktop and phone screenshots of the review list and the settings page."""
    from tests.browser.helpers import DESKTOP, PHONE, live_server

    with live_server(demo_app) as base:
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport)
            page.goto(f"{base}/login")
            page.fill("#username", COUNSELOR_USERNAME)
            page.fill("#password", COUNSELOR_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{base}/admin/recruit?stage=all")
            assert page.locator("#applicants").is_visible()
            page.screenshot(path=str(artifacts_dir / f"admin-recruit-{size}.png"), full_page=True)
            page.goto(f"{base}/admin/settings")
            assert page.locator("#settings-form").is_visible()
            # The page itself must not scroll sideways (wide tables scroll inside their card).
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(artifacts_dir / f"admin-settings-{size}.png"), full_page=True)
            page.close()

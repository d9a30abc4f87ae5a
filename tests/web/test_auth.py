"""Login, logout, safe redirects, CSRF and server-side role checks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from checkin.auth import safe_next
from data.models import User
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

DASH_UPDATE = "/dashboard/_dash-update-component"
UPDATE_BODY = {
    "output": "overview-body.children",
    "outputs": {"id": "overview-body", "property": "children"},
    "inputs": [{"id": "shell-semester", "property": "value", "value": None}],
    "changedPropIds": [],
    "state": [],
}


def test_login_page_is_chinese_and_has_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录助管通" in html and "学号/工号" in html
    assert csrf_token(html)


def test_wrong_password_is_refused(client, auth, team):
    response = auth.login(team.counselor, "wrong-password")
    assert response.status_code == 401
    assert "学号/工号或密码不正确" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_unknown_user_gets_the_same_message(auth, team):
    response = auth.login("nobody", "whatever")
    assert "学号/工号或密码不正确" in response.get_data(as_text=True)


def test_login_without_csrf_is_refused(client, team):
    response = client.post("/login", data={"username": team.counselor, "password": "x"})
    assert response.status_code in (400, 401)
    assert client.get("/dashboard/").status_code == 302


def test_staff_land_on_dashboard_assistants_on_me(app, team):
    for username, home in ((team.counselor, "/dashboard/"), (team.assistants[0], "/me")):
        client = app.test_client()
        from tests.conftest import AuthActions

        response = AuthActions(client).login(username)
        assert response.status_code == 302
        assert response.headers["Location"] == home


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/?semester=1", "/dashboard/?semester=1"),
        ("/me", "/me"),
        ("https://evil.example.com/", None),
        ("//evil.example.com/x", None),
        ("/\\evil.example.com", None),
        ("javascript:alert(1)", None),
        ("evil.example.com", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_safe_next(auth, team):
    response = auth.login(team.counselor, next_url="/dashboard/%3Fsemester%3D1")
    assert response.headers["Location"] == "/dashboard/?semester=1"


def test_login_ignores_an_unsafe_next(auth, team):
    response = auth.login(team.counselor, next_url="https://evil.example.com/")
    assert response.headers["Location"] == "/dashboard/"


def test_logout(client, auth, team):
    auth.login(team.counselor)
    assert client.get("/dashboard/").status_code == 200
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard/").status_code == 302


def test_logout_needs_csrf(client, auth, team):
    auth.login(team.counselor)
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard/").status_code == 200


def test_anonymous_dashboard_get_redirects_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard/")


@pytest.mark.parametrize("path", ["/dashboard/_dash-layout", "/dashboard/_dash-dependencies"])
def test_anonymous_dash_internals_are_refused(client, path):
    assert client.get(path).status_code == 401


def test_anonymous_dash_update_is_refused(client, team):
    response = client.post(DASH_UPDATE, json=UPDATE_BODY)
    assert response.status_code == 401
    assert "请先登录" in response.get_data(as_text=True)


def test_assistant_is_refused_the_dashboard(client, auth, team):
    auth.login(team.assistants[0])
    assert client.get("/dashboard/").status_code == 403
    response = client.post(DASH_UPDATE, json=UPDATE_BODY)
    assert response.status_code == 403


def test_counselor_can_call_a_dashboard_callback(client, auth, team):
    auth.login(team.counselor)
    body = dict(
        UPDATE_BODY,
        inputs=[{"id": "shell-semester", "property": "value", "value": team.semester_id}],
    )
    response = client.post(DASH_UPDATE, json=body)
    assert response.status_code == 200
    payload = json.dumps(response.get_json(), ensure_ascii=False)
    assert "在岗助管" in payload


def test_deactivated_user_cannot_log_in(client, auth, db, team):
    with db.session() as s:
        s.scalar(select(User).where(User.username == team.assistants[0])).active = False
    response = auth.login(team.assistants[0])
    assert response.status_code == 401
    assert "已停用" in response.get_data(as_text=True)


def test_first_login_must_change_password(client, auth, db, team):
    with db.session() as s:
        s.scalar(
            select(User).where(User.username == team.assistants[1])
        ).must_change_password = True
    response = auth.login(team.assistants[1])
    assert response.headers["Location"] == "/account/password"
    # The page asked for is kept, so the user ends where they were going (issue 12).
    assert client.get("/me").headers["Location"] == "/account/password?next=/me"
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current": "correct-horse-9",
            "new": "short",
            "confirm": "short",
            "csrf_token": csrf_token(page),
        },
    )
    assert "新密码至少 8 位" in response.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current": "correct-horse-9",
            "new": "a-new-password-1",
            "confirm": "a-new-password-1",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[1]))
        assert not user.must_change_password and user.check_password("a-new-password-1")


def test_passwords_are_hashed(db, team):
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.counselor))
        assert "correct-horse-9" not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_repeated_wrong_passwords_for_one_account_slow_down(client, auth, team):
    for _ in range(5):
        assert auth.login(team.counselor, "wrong-password").status_code == 401
    response = auth.login(team.counselor, "wrong-password")
    assert response.status_code == 429
    assert "登录尝试次数过多" in response.get_data(as_text=True)
    # The limit is per account: another account from the same address still gets in.
    assert auth.login(team.assistants[0]).status_code == 302


def test_successful_logins_do_not_count(app, team):
    from tests.conftest import AuthActions

    for _ in range(8):
        client = app.test_client()
        assert AuthActions(client).login(team.counselor).status_code == 302


def test_one_address_trying_many_accounts_slows_down(app, client, auth, team):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    for name in ("a1", "a2", "a3"):
        assert auth.login(name, "x").status_code == 401
    assert auth.login("a4", "x").status_code == 429

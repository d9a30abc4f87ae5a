"""Logins that can be ended (issue 13): logout, password change, reset and deactivation end the
session and remember-me cookies for good, copied ones included; Secure cookies by PUBLIC_URL.

A second device is a second test client given the first one's cookies.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from data.models import LoginSession, User
from data.services import sessions
from data.timeutil import utcnow
from tests import factories
from tests.conftest import AuthActions, csrf_token
from tests.web.test_admin_recruit import post

NEW_PASSWORD = "a-new-password-1"


def login(app, username: str, remember: bool = False):
    """A fresh browser logged in as ``username``."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    data = {"username": username, "password": factories.PASSWORD, "csrf_token": csrf_token(page)}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def copy(app, source, *names: str):
    """Another browser holding ``source``'s cookies ``names`` (a stolen or synced copy)."""
    other = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def logged_in(client) -> bool:
    # Any logged-in account may open the password page; anyone else is sent to /login.
    response = client.get("/account/password")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def rows(db, username: str) -> list[LoginSession]:
    with db.session() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        return list(s.scalars(select(LoginSession).where(LoginSession.user_id == user_id)))


def change_password(client):
    page = client.get("/account/password").get_data(as_text=True)
    data = {
        "current": factories.PASSWORD,
        "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(page),
    }
    return client.post("/account/password", data=data)


# --- Logout ------------------------------------------------------------------------------


def test_a_copied_session_cookie_is_refused_after_logout(app, team):
    browser = login(app, team.assistants[0])
    thief = copy(app, browser, "session")
    assert logged_in(thief)
    AuthActions(browser).logout()
    response = thief.get("/me")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_remember_cookie_is_refused_after_logout(app, team):
    browser = login(app, team.assistants[0], remember=True)
    copied = copy(app, browser, "remember_token")
    spare = copy(app, browser, "remember_token")  # kept, never used before the logout
    assert logged_in(copied)  # the remember cookie alone logs in, until the logout
    AuthActions(browser).logout()
    assert browser.get_cookie("remember_token") is None
    assert not logged_in(copied)  # its session, made from the remember cookie, ends too
    assert not logged_in(spare)


@pytest.mark.db
def test_logout_ends_only_that_browsers_login(app, db, team):
    phone = login(app, team.assistants[0], remember=True)
    laptop = login(app, team.assistants[0], remember=True)
    stolen = copy(app, phone, "remember_token")
    AuthActions(phone).logout()
    assert not logged_in(phone) and not logged_in(stolen)
    assert logged_in(laptop)
    ended = [row.revoked_at is not None for row in rows(db, team.assistants[0])]
    assert sorted(ended) == [False, True]


def test_only_the_tokens_hash_is_stored(app, db, team):
    browser = login(app, team.assistants[0])
    with browser.session_transaction() as cookie_session:
        login_id = cookie_session["_user_id"]
    user_id, token = sessions.parse_login_id(login_id)
    (row,) = rows(db, team.assistants[0])
    assert row.user_id == user_id and row.token_hash == sessions.token_hash(token) != token


# --- Password change, reset, deactivation -------------------------------------------------


@pytest.mark.db
def test_own_password_change_keeps_this_browser_and_ends_the_others(app, db, team):
    browser = login(app, team.assistants[0], remember=True)
    other_device = login(app, team.assistants[0], remember=True)
    old_remember = copy(app, browser, "remember_token")
    old_session = copy(app, browser, "session")
    response = change_password(browser)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    assert logged_in(browser)
    assert not logged_in(other_device)
    assert not logged_in(old_remember) and not logged_in(old_session)
    # This browser's new remember-me cookie names its new login and works on its own.
    assert logged_in(copy(app, browser, "remember_token"))
    live = [row for row in rows(db, team.assistants[0]) if row.revoked_at is None]
    assert len(live) == 1


def test_a_password_change_without_remember_me_sets_no_remember_cookie(app, team):
    browser = login(app, team.assistants[0])
    change_password(browser)
    assert logged_in(browser) and browser.get_cookie("remember_token") is None


def test_reset_by_the_counselor_logs_the_account_out_everywhere(app, db, team):
    phone = login(app, team.assistants[0], remember=True)
    copied = copy(app, phone, "remember_token")
    counselor = login(app, team.counselor)
    with db.session() as s:
        target = s.scalar(select(User.id).where(User.username == team.assistants[0]))
    response = post(counselor, "/admin/accounts", f"/admin/accounts/{target}/reset")
    assert response.status_code == 200
    assert not logged_in(phone) and not logged_in(copied)
    assert logged_in(counselor)


@pytest.mark.db
def test_deactivation_logs_the_account_out_everywhere(app, db, team):
    phone = login(app, team.assistants[0], remember=True)
    copied = copy(app, phone, "remember_token")
    counselor = login(app, team.counselor)
    with db.session() as s:
        target = s.scalar(select(User.id).where(User.username == team.assistants[0]))
    post(counselor, "/admin/accounts", f"/admin/accounts/{target}/active", {"active": "0"})
    assert not logged_in(phone) and not logged_in(copied)
    # Reactivated, the old logins stay ended: only a new login gets in.
    post(counselor, "/admin/accounts", f"/admin/accounts/{target}/active", {"active": "1"})
    assert not logged_in(phone) and not logged_in(copied)
    assert logged_in(login(app, team.assistants[0]))


# --- The user loader ----------------------------------------------------------------------


@pytest.mark.db
def test_the_loader_refuses_ids_that_are_not_a_live_login(app, db, team):
    browser = login(app, team.assistants[0])
    with browser.session_transaction() as cookie_session:
        mine = cookie_session["_user_id"]
    user_id, token = sessions.parse_login_id(mine)
    with db.session() as s:
        other_id = s.scalar(select(User.id).where(User.username == team.assistants[1]))
    forged = [
        str(user_id),  # a cookie from before this change: a bare id
        f"{other_id}.{token}",  # my token on someone else's id
        f"{user_id}.{'A' * 43}",  # a token never issued
        f"{user_id}.{token}x",
        f"²{user_id}.{token}",
        f"{user_id}.{token}.{token}",
        "9" * 5000 + f".{token}",
        "",
    ]
    for login_id in forged:
        stranger = app.test_client()
        with stranger.session_transaction() as cookie_session:
            cookie_session["_user_id"] = login_id
            cookie_session["_fresh"] = True
        assert not logged_in(stranger), login_id


@pytest.mark.db
def test_a_login_older_than_the_remember_duration_is_refused(app, db, team):
    browser = login(app, team.assistants[0], remember=True)
    with db.session() as s:
        row = s.scalar(select(LoginSession))
        row.created_at = utcnow() - timedelta(days=31)
    assert not logged_in(browser)


@pytest.mark.db
def test_a_new_login_clears_the_users_ended_and_expired_rows(db, team):
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[0]))
        now = utcnow()
        old = sessions.start(s, user, now - timedelta(days=40))
        ended = sessions.start(s, user, now)
        sessions.end(s, ended, now)
        live = sessions.start(s, user, now)
        sessions.start(s, user, now)
        hashes = set(s.scalars(select(LoginSession.token_hash)))
        assert sessions.token_hash(old) not in hashes
        assert sessions.token_hash(ended) not in hashes
        assert sessions.token_hash(live) in hashes
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 2


@pytest.mark.parametrize(
    "raw",
    [None, 5, ["1.x"], "1", "1.", ".abc", "0." + "A" * 43, "1." + "A" * 42, "1." + "é" * 43],
)
def test_parse_login_id_refuses_anything_else(raw):
    assert sessions.parse_login_id(raw) is None


def test_setup_logs_the_first_counselor_in_with_a_login_row(client, db):
    page = client.get("/setup").get_data(as_text=True)
    response = client.post(
        "/setup",
        data={
            "college": "数理学院",
            "team": "数理学工助管团",
            "username": "T9001",
            "name": "李老师",
            "password": "a-strong-pass-1",
            "confirm": "a-strong-pass-1",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert len(rows(db, "T9001")) == 1


# --- Secure cookies -----------------------------------------------------------------------


def secure_app(database_url, monkeypatch, public_url: str, env: str | None, **config):
    from app import create_app

    if env is None:
        monkeypatch.delenv("COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("COOKIE_SECURE", env)
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "PUBLIC_URL": public_url,
            **config,
        }
    )


@pytest.mark.parametrize(
    ("public_url", "env", "secure"),
    [
        ("https://zgt.example.edu.cn", None, True),
        ("http://127.0.0.1:8050", None, False),
        ("https://zgt.example.edu.cn", "0", False),
        ("http://10.1.2.3:8050", "1", True),
    ],
)
def test_secure_cookies_follow_public_url_and_the_environment(
    database_url, monkeypatch, team, public_url, env, secure
):
    app = secure_app(database_url, monkeypatch, public_url, env)
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "username": team.counselor,
            "password": factories.PASSWORD,
            "remember": "y",
            "csrf_token": csrf_token(page),
        },
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    assert all(("; Secure" in c) is secure for c in cookies), cookies
    app.extensions["zhuguantong.db"].dispose()


def test_config_overrides_the_environment(database_url, monkeypatch):
    app = secure_app(database_url, monkeypatch, "http://x", "0", COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    app.extensions["zhuguantong.db"].dispose()


def test_a_bad_cookie_secure_value_stops_the_boot(database_url, monkeypatch):
    with pytest.raises(RuntimeError, match="COOKIE_SECURE"):
        secure_app(database_url, monkeypatch, "https://x", "yes")

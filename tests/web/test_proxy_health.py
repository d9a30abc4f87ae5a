"""Trusted proxies (X-Forwarded-* believed only from TRUSTED_PROXIES), /healthz, static URLs."""

from __future__ import annotations

import re

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import select

from data.db import Database
from data.models import User
from web_deploy import TrustedProxies, parse_networks

FORGED = {
    "X-Forwarded-For": "10.1.2.3",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/x",
    "X-Real-IP": "10.1.2.3",
    "Forwarded": "for=10.1.2.3",
}


def echo_app(trusted) -> Flask:
    app = Flask("echo")

    @app.get("/")
    def echo():
        return jsonify(
            addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            root=request.script_root,
            forwarded=sorted(
                k for k, _ in request.headers.items() if "Forward" in k or "Real" in k
            ),
        )

    app.wsgi_app = TrustedProxies(app.wsgi_app, trusted)
    return app


def seen(trusted, peer: str, headers: dict) -> dict:
    client = echo_app(trusted).test_client()
    return client.get("/", headers=headers, environ_base={"REMOTE_ADDR": peer}).get_json()


def test_a_trusted_proxy_gives_the_client_address_scheme_and_host():
    headers = {**FORGED, "X-Forwarded-For": "203.0.113.9, 10.20.30.40"}
    got = seen("127.0.0.1", "127.0.0.1", headers)
    # Only the proxy's own hop (the last entry) is believed, not what the client sent before.
    assert got["addr"] == "10.20.30.40"
    assert (got["scheme"], got["host"], got["root"]) == ("https", "evil.example:8443", "")


@pytest.mark.parametrize(
    ("trusted", "peer"),
    [
        ("", "127.0.0.1"),  # the default trusts no one
        ("127.0.0.1", "127.0.0.7"),
        ("10.0.0.0/8, 192.168.1.1", "192.168.1.2"),
        ("::1", "127.0.0.1"),
        ("127.0.0.1", "not-an-address"),
    ],
)
def test_anyone_else_has_the_forwarded_headers_dropped(trusted, peer):
    got = seen(trusted, peer, FORGED)
    assert got["addr"] == peer and got["scheme"] == "http" and got["host"] == "localhost"
    assert got["forwarded"] == []


@pytest.mark.parametrize(
    ("trusted", "peer"),
    [
        ("10.0.0.0/8, 192.168.1.1", "10.200.0.1"),
        (["fd00::/8", "127.0.0.1"], "fd00::5"),
        ("127.0.0.1", "::ffff:127.0.0.1"),  # gunicorn bound to [::]
    ],
)
def test_networks_lists_and_ipv6(trusted, peer):
    assert seen(trusted, peer, FORGED)["addr"] == "10.1.2.3"


def test_a_bad_trusted_proxies_entry_stops_the_start():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks("127.0.0.1, 10.0.0.300")
    assert parse_networks(" , 127.0.0.1 ,") == parse_networks(["127.0.0.1"])


@pytest.fixture
def proxied_app(app):
    """The real app as configured with TRUSTED_PROXIES=127.0.0.1."""
    app.wsgi_app = TrustedProxies(app.wsgi_app.app, "127.0.0.1")
    return app


def test_the_app_reads_the_client_address_through_its_proxy(proxied_app):
    import web

    seen_ips = []
    proxied_app.add_url_rule("/_ip", "ip", lambda: seen_ips.append(web.client_ip()) or "ok")
    client = proxied_app.test_client()
    client.get("/_ip", headers=FORGED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    client.get("/_ip", headers=FORGED, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert seen_ips == ["10.1.2.3", "10.9.9.9"]


def test_trusted_proxies_comes_from_the_environment(monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k"})
    try:
        assert app.wsgi_app.is_trusted("10.0.0.1") and not app.wsgi_app.is_trusted("10.0.0.2")
    finally:
        app.extensions["zhuguantong.db"].dispose()


@pytest.mark.db
def test_healthz_answers_without_login_or_limit(client, auth, team, db):
    for _ in range(30):
        reply = client.get("/healthz")
        assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok", "database": "ok"}
    assert reply.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in reply.headers
    # A logged-in user who must still change the password is not redirected either.
    with db.session() as s:
        s.scalar(
            select(User).where(User.username == team.assistants[0])
        ).must_change_password = True
    auth.login(team.assistants[0])
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable(app):
    app.extensions["zhuguantong.db"] = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "error", "database": "OperationalError"}


def test_static_urls_carry_a_content_hash(app, client):
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'href="/static/door\.css\?v=([0-9a-f]{12})"', page)
    assert match, "door.css is linked without its version"
    assert client.get(f"/static/door.css?v={match.group(1)}").status_code == 200
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="no-such-file.css") == "/static/no-such-file.css"
        assert url_for("static", filename="../app.py") == "/static/../app.py"

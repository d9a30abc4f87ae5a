"""Shared fixtures, flaskr-style: ``db``, ``app``, ``client``, ``runner``, ``auth``.

SQLite by default (a migrated template file copied per test); PostgreSQL when
``TEST_DATABASE_URL`` is set (migrated once, tables truncated per test).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from data.db import Database
from data.migrate import upgrade
from data.models import Base
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory):
    """A database migrated to head once per test session."""
    if TEST_DATABASE_URL:
        database = Database(TEST_DATABASE_URL)
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(database.engine)
        database.dispose()
        return TEST_DATABASE_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{template}")
    upgrade(database.engine)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return template


@pytest.fixture
def database_url(_migrated, tmp_path) -> str:
    if TEST_DATABASE_URL:
        database = Database(TEST_DATABASE_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        database.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "test.db"
    shutil.copy(_migrated, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def session(db):
    with db.sessionmaker() as s:
        yield s


@pytest.fixture
def app(database_url, tmp_path):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "PUBLIC_URL": "https://zgt.example.edu.cn",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["zhuguantong.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = factories.PASSWORD, next_url: str | None = None):
        page = self._client.get("/login")
        data = {
            "username": username,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        }
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self._client.post(url, data=data)

    def logout(self):
        # Logout is a CSRF-protected POST; any page of the session carries a valid token.
        page = self._client.get("/account/password")
        return self._client.post(
            "/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
        )


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def team(db):
    """A small team: counselor, leader, leadership, three assistants and a current semester."""
    with db.session() as s:
        return factories.small_team(s)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path

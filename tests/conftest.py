"""Shared fixtures, flaskr-style: ``db``, ``app``, ``client``, ``runner``, ``auth``.

SQLite by default (a migrated template file copied per test); PostgreSQL when
``TEST_DATABASE_URL`` is set (migrated once, tables truncated per test).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from data.db import Database
from data.migrate import upgrade
from data.models import Base
from data.timeutil import LOCAL_TZ
from tests import factories


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist (the CI's PostgreSQL pass runs ``-n 2``) each worker gets its own
    database beside the given one (``test`` → ``test_gw0``), created here if missing, so two
    workers never truncate each other's tables. Without xdist the URL is used as given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    admin = Database(url)
    name = f"{admin.engine.url.database}_{worker}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    worker_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = worker_url  # modules and subprocesses read it too
    return worker_url


TEST_DATABASE_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))

# No timing in tests: these machines are noisy (speed is measured in bench/).
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")

# Fixture users need a hash, not a strong one: scrypt was most of the suite's CPU time.
from data.models import User  # noqa: E402

User.password_method = "pbkdf2:sha256:1000"


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


# The demo team, seeded once per test session (SQLite) and copied per test.
DEMO_TODAY = date(2026, 11, 24)
DEMO_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="session")
def _demo_template(_migrated, tmp_path_factory):
    if TEST_DATABASE_URL:
        return None
    from data.demo import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(_migrated, path)
    database = Database(f"sqlite:///{path}")
    with database.session() as s:
        seed_demo(s, seed=2026, today=DEMO_TODAY)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture
def demo_url(_demo_template, database_url, tmp_path) -> str:
    """A database holding the demo team as of DEMO_TODAY."""
    if _demo_template is None:
        from data.demo import seed_demo

        database = Database(database_url)
        with database.session() as s:
            seed_demo(s, seed=2026, today=DEMO_TODAY)
        database.dispose()
        return database_url
    path = tmp_path / "demo.db"
    shutil.copy(_demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def demo_db(demo_url):
    database = Database(demo_url)
    yield database
    database.dispose()


@pytest.fixture
def demo_app(demo_url, tmp_path):
    """The app on the demo database, its clock fixed at DEMO_NOW."""
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": demo_url,
            "SECRET_KEY": "test-secret-key",
            "CLOCK": lambda: DEMO_NOW,
        }
    )
    yield app
    app.extensions["zhuguantong.db"].dispose()


# One Chromium for the whole test session (starting it is most of a browser test's cost); each
# test gets it through ``browser`` and its pages' contexts are closed after the test.
@pytest.fixture(scope="session")
def _chromium():
    from tests.browser.helpers import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def browser(_chromium):
    before = set(_chromium.contexts)
    yield _chromium
    for context in _chromium.contexts:
        if context not in before:
            context.close()


def pytest_sessionstart(session) -> None:
    from tests import run_summary

    run_summary.start_run()


def pytest_terminal_summary(terminalreporter) -> None:
    from tests import run_summary

    run_summary.print_summary(terminalreporter)

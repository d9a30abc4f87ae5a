"""Login throttling (issue 13): keyed by account+address and by address (``web.client_ip``),
shared between app instances through Redis when RATELIMIT_STORAGE_URI names it.

Redis tests use their own database number and key prefix and clean their keys; without a
reachable Redis they are skipped, unless REQUIRE_REDIS=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import time

import pytest

from tests import factories
from tests.conftest import csrf_token

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PREFIX = f"zgt-test-{os.getpid()}"  # flask-limiter keeps the first prefix for the process
OWNER = "10.20.30.40"
PATTERN = f"*/{PREFIX}/*"  # limits' keys read "LIMITS:LIMITER/<prefix>/<key>/<endpoint>/…"
GUESSER = "10.99.0.1"


def _clean(client) -> None:
    keys = list(client.scan_iter(PATTERN))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_client():
    """A Redis client with this test's keys cleaned before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_URL} ({exc})"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    _clean(client)
    yield client
    _clean(client)
    client.close()


def make_app(database_url: str, store: str, **config):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_STORAGE_URI": REDIS_URL if store == "redis" else "memory://",
            "RATELIMIT_KEY_PREFIX": PREFIX,
            **config,
        }
    )


@pytest.fixture(params=["memory", "redis"])
def store(request) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_client")
    return request.param


@pytest.fixture
def apps(database_url):
    made = []

    def build(store: str, **config):
        made.append(make_app(database_url, store, **config))
        return made[-1]

    yield build
    for app in made:
        app.extensions["zhuguantong.db"].dispose()


def browser(app, address: str = "127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, username: str, password: str = "wrong-password") -> int:
    page = client.get("/login").get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": csrf_token(page)}
    return client.post("/login", data=data).status_code


def test_the_app_boots_and_counts_in_redis(apps, team, redis_client):
    app = apps("redis")
    client = browser(app)
    assert client.get("/login").status_code == 200
    assert attempt(client, team.counselor) == 401
    keys = [key.decode() for key in redis_client.scan_iter(PATTERN)]
    assert any(f"login:{team.counselor}:127.0.0.1" in key for key in keys), keys


def test_two_instances_share_the_count_through_redis(apps, team, redis_client):
    first, second = browser(apps("redis")), browser(apps("redis"))
    for client in (first, second, first, second, first):
        assert attempt(client, team.counselor) == 401
    assert attempt(second, team.counselor) == 429
    assert attempt(first, team.counselor, factories.PASSWORD) == 429
    # The five wrong attempts live in Redis, where every worker and instance reads them.
    counts = [
        int(redis_client.get(key))
        for key in redis_client.scan_iter(PATTERN)
        if f"login:{team.counselor}:127.0.0.1".encode() in key
    ]
    assert counts == [5, 5]  # the per-minute and the per-hour window


def test_a_throttled_account_still_logs_in_from_its_owners_address(apps, team, store):
    app = apps(store)
    guesser = browser(app, GUESSER)
    for _ in range(5):
        assert attempt(guesser, team.assistants[0]) == 401
    assert attempt(guesser, team.assistants[0], factories.PASSWORD) == 429
    assert attempt(browser(app, OWNER), team.assistants[0], factories.PASSWORD) == 302


def test_after_the_window_the_same_address_gets_in_again(apps, team, store):
    app = apps(store, LOGIN_LIMIT_PER_ACCOUNT="5 per 2 seconds")
    client = browser(app, GUESSER)
    for _ in range(5):
        assert attempt(client, team.assistants[0]) == 401
    assert attempt(client, team.assistants[0], factories.PASSWORD) == 429
    time.sleep(2.2)
    assert attempt(client, team.assistants[0], factories.PASSWORD) == 302


def test_one_address_is_limited_across_accounts(apps, team, store):
    app = apps(store, LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    client = browser(app, GUESSER)
    for name in ("a1", "a2", "a3"):
        assert attempt(client, name) == 401
    assert attempt(client, "a4") == 429
    # Another address is counted on its own.
    assert attempt(browser(app, OWNER), team.assistants[0], factories.PASSWORD) == 302


def test_logins_still_work_while_redis_is_down(apps, team):
    # Nothing listens on port 1: the limiter falls back to counting in memory instead of a 500.
    app = apps("memory", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = browser(app)
    assert attempt(client, team.counselor) == 401
    assert attempt(client, team.counselor, factories.PASSWORD) == 302

"""The door's server CPU next to its yardsticks, in one process (``python -m bench.checkin --quick``).

Every request goes through a Flask test client in this process and is timed with
``time.process_time`` (CPU, not wall time: the ratios hold on a busy machine). Four kinds,
measured in interleaved rounds so drift in the machine hits them alike:

- door sign-in: a first sign-in POST of a fresh assistant (a real write, 准时);
- repeated sign-in: the same POST again with the cookie from before the sign-in (its scan
  proof still in it), answered 已签到 without writing;
- logged-in no-op: GET /checkin/result with a login (a redirect: the full bench's app floor);
- bare insert: ``bench.bare_insert``'s endpoint through its own test client.

The fixture is ``bench.checkin.build_fixture`` (shifts from now − 2 min, 60 assistants on each,
the past weeks signed) with a cheap password hash so logging everybody in stays quick.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from bench import bare_insert
from checkin.door.tokens import make_poster_token

COOKIES = ("session", "remember_token", "zgt_device")
# As in the full bench, each assistant shares the shift with 59 others (there: a 60-person team
# on one shift); the quick run needs fresh assistants for every first sign-in, so it has three
# such shifts at the same time.
PER_SHIFT = 60


def _cookie_header(client: FlaskClient) -> str:
    pairs = []
    for name in COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            pairs.append(f"{name}={cookie.value}")
    return "; ".join(pairs)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)


def _ready(app: Flask, username: str, password: str, poster: str) -> tuple[str, str]:
    """Log in, scan, open the door page (untimed): the cookie header and the CSRF token."""
    phone = app.test_client()
    token = _csrf(phone.get("/login").get_data(as_text=True))
    login = phone.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    if login.status_code != 302:
        raise RuntimeError(f"login {username}: HTTP {login.status_code}")
    if phone.get(poster).status_code != 303:
        raise RuntimeError(f"scan {username} refused")
    page = phone.get("/checkin/door")
    if page.status_code != 200:
        raise RuntimeError(f"door page {username}: HTTP {page.status_code}")
    return _cookie_header(phone), _csrf(page.get_data(as_text=True))


def _timed(jobs: list[Callable[[], object]]) -> float:
    """CPU seconds of running every job once, in this process."""
    started = time.process_time()
    for job in jobs:
        job()
    return time.process_time() - started


def _check(response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{what}: HTTP {response.status_code}, expected {status}")


def run(assistants: int = 160, rounds: int = 8, weeks_elapsed: int = 8) -> dict[str, float]:
    """Per-request CPU milliseconds of each kind (medians over the rounds)."""
    from app import create_app
    from bench.checkin import build_fixture, describe

    per_round = assistants // rounds
    work = Path(tempfile.mkdtemp(prefix="zgt-bench-quick-"))
    try:
        url = f"sqlite:///{work / 'door' / 'zhuguantong.db'}"
        fixture = build_fixture(
            url, assistants, weeks_elapsed, "2025", quick_hash=True, per_shift=PER_SHIFT
        )
        print(f"fixture: {describe(fixture)}; in-process test clients, CPU time")
        secret = secrets.token_hex(32)
        os.environ.setdefault("INSTANCE_PATH", str(work / "instance"))
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret})
        bare_url = f"sqlite:///{work / 'bare' / 'bare.db'}"
        bare_insert.prepare(bare_url)
        os.environ["BARE_DATABASE_URL"] = bare_url
        bare_client = bare_insert.create_app().test_client()
        poster = f"/checkin/door?t={make_poster_token(secret, fixture.place_id, 1)}"
        from bench.checkin import PASSWORD

        ready = [_ready(app, u, PASSWORD, poster) for u in fixture.usernames]
        plain = app.test_client(use_cookies=False)

        def door(cookie: str, csrf: str, status_word: str) -> Callable[[], object]:
            def job() -> None:
                reply = plain.post(
                    "/checkin/door",
                    data={"action": "sign_in", "csrf_token": csrf},
                    headers={"Cookie": cookie},
                )
                _check(reply, 303, f"door ({status_word})")

            return job

        def floor(cookie: str) -> Callable[[], object]:
            return lambda: _check(
                plain.get("/checkin/result", headers={"Cookie": cookie}), 302, "floor"
            )

        def bare(i: int) -> Callable[[], object]:
            form = {"user_id": str(i), "payload": "sign_in"}
            return lambda: _check(bare_client.post("/insert", data=form), 200, "bare")

        # Warm-up (untimed): imports, templates, statement caches on every path.
        for cookie, csrf in ready[:2]:
            door(cookie, csrf, "warm-up")()
            door(cookie, csrf, "warm-up")()
            floor(cookie)()
        for i in range(20):
            bare(i)()
        fresh = ready[2:]
        per_round = len(fresh) // rounds
        samples: dict[str, list[float]] = {"door": [], "repeat": [], "floor": [], "bare": []}
        for k in range(rounds):
            batch = fresh[k * per_round : (k + 1) * per_round]
            kinds = {
                "door": [door(c, t, "first") for c, t in batch],
                "repeat": [door(c, t, "repeat") for c, t in batch],
                "floor": [floor(c) for c, _ in batch],
                "bare": [bare(i) for i in range(len(batch))],
            }
            # Rotate which kind goes first; a repeat always follows its own sign-in.
            groups = [["door", "repeat"], ["floor"], ["bare"]]
            order = [name for group in groups[k % 3 :] + groups[: k % 3] for name in group]
            for name in order:
                samples[name].append(_timed(kinds[name]) / len(batch) * 1000)
        _verify(app, fixture, 2 + rounds * per_round)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {name: statistics.median(values) for name, values in samples.items()}


def _verify(app: Flask, fixture, expected: int) -> None:
    """Every sign-in written once: the figures are of a working door."""
    from sqlalchemy import func, select

    from data.models import CheckAction, CheckEvent

    database = app.extensions["zhuguantong.db"]
    with database.session() as s:
        count = s.scalar(
            select(func.count(CheckEvent.id)).where(
                CheckEvent.action == CheckAction.sign_in, CheckEvent.duty_date == fixture.today
            )
        )
    if count != expected:
        raise RuntimeError(f"{count} sign-ins written today, expected {expected}")


def main(assistants: int = 160, rounds: int = 8) -> None:
    """Print the table and the one RESULT line."""
    cpu = run(assistants, rounds)
    print()
    print(f"{'measure (CPU per request, median of rounds)':<46}{'ms':>8}{'× floor':>9}")
    for label, key in (
        ("door sign-in (first, writes)", "door"),
        ("door repeated sign-in (已签到, no write)", "repeat"),
        ("logged-in no-op (GET /checkin/result)", "floor"),
        ("bare Flask + SQLite insert", "bare"),
    ):
        print(f"{label:<46}{cpu[key]:>8.2f}{cpu[key] / cpu['floor']:>9.2f}")
    print(f"repeat_vs_floor={cpu['repeat'] / cpu['floor']:.2f}")
    print(
        f"RESULT door_cpu_ms={cpu['door']:.2f} floor_cpu_ms={cpu['floor']:.2f} "
        f"bare_cpu_ms={cpu['bare']:.2f} door_vs_floor={cpu['door'] / cpu['floor']:.2f} "
        f"door_vs_bare={cpu['door'] / cpu['bare']:.2f}"
    )

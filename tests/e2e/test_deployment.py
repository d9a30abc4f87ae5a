"""The deployment on real parts: nginx (deploy/nginx) → two gunicorn → PostgreSQL + Redis.

Phones are loopback source addresses: 127.0.0.5 is the campus network (the team's allowed
networks), 127.0.0.6 is outside it, 127.0.0.7 talks to a gunicorn port directly with a forged
X-Forwarded-For. Each scenario prints one summary line and appends it to test-artifacts/e2e.txt.
Skipped when a part is missing, unless REQUIRE_E2E=1 (CI), where that fails instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from checkin.door.tokens import make_poster_token
from tests.e2e import stack as parts
from tests.e2e.phone import (
    Phone,
    SessionReader,
    Target,
    acknowledged,
    call,
    csrf_token,
    everyone_to_the_door,
    fire,
)
from tests.e2e.seed import COUNSELOR, PASSWORD, Seeded, seed, sign_ins
from tests.workbooks import assert_same_workbooks

pytestmark = pytest.mark.e2e

CAMPUS, OUTSIDE, FORGER, LOCAL = "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.1"
GROUPS = {"burst": 100, "outside": 1, "forged": 1, "throttle": 1, "crash": 80}
ARTIFACT = parts.ROOT / "test-artifacts" / "e2e.txt"


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``flask --app app ARGS`` as an operator (or the backup timer) runs it."""
    command = [str(parts.GUNICORN.with_name("flask")), "--app", "app", *args]
    return subprocess.run(
        command, cwd=parts.ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )


@dataclass
class Stack:
    url: str
    secret: str
    env: dict[str, str]  # the environment file of the instances (without DATABASE_URL)
    seeded: Seeded
    nginx: Target  # https, the site's main server
    plain: Target  # the site's port-80 server
    a: Target
    b: Target
    a_process: parts.Process
    b_process: parts.Process
    work: Path

    @property
    def poster(self) -> str:
        return f"/checkin/door?t={make_poster_token(self.secret, self.seeded.place_id, 1)}"

    def flask(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
        return flask({**self.env, "DATABASE_URL": url or self.url}, *args)


def report(line: str) -> None:
    print(line)
    with ARTIFACT.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    missing = parts.missing_parts()
    if missing:
        reason = "end-to-end deployment test needs " + "; ".join(missing)
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("e2e")
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text("", encoding="utf-8")
    started: list[parts.Process] = []
    try:
        yield _start(work, started)
    finally:
        for process in reversed(started):
            process.stop()
        for name in ("zgt_e2e", "zgt_e2e_restore"):
            parts.drop_database(name)


def _start(work: Path, started: list[parts.Process]) -> Stack:
    import redis

    url = parts.recreate_database("zgt_e2e")
    secret = secrets.token_hex(32)
    a, b, https, http = (parts.free_port() for _ in range(4))
    env = {
        "SECRET_KEY": secret,
        "PUBLIC_URL": f"https://127.0.0.1:{https}",
        "RATELIMIT_STORAGE_URI": parts.REDIS_URL,
        "TRUSTED_PROXIES": LOCAL,
        "INSTANCE_PATH": str(work / "instance"),
    }
    done = flask({**env, "DATABASE_URL": url}, "init-db")
    assert done.returncode == 0, done.stdout + done.stderr
    seeded = seed(url, GROUPS, [f"{CAMPUS}/32"])
    redis.Redis.from_url(parts.REDIS_URL).flushdb()  # no login counts left from a previous run
    for port, name in ((a, "a"), (b, "b")):
        log = work / f"gunicorn-{name}.log"
        started.append(parts.gunicorn(port, {**env, "DATABASE_URL": url}, log))
    cert, key = parts.self_signed_certificate(work)
    conf = work / "nginx.conf"
    site = parts.site_for_test(http, https, [a, b], cert, key, work)
    conf.write_text(parts.nginx_conf(site, work))
    parts.check_nginx_conf(conf, work)
    started.append(parts.nginx(conf, work))
    stack = Stack(
        url,
        secret,
        env,
        seeded,
        Target(https, https=True),
        Target(http),
        Target(a),
        Target(b),
        started[0],
        started[1],
        work,
    )
    for target, process in zip((stack.a, stack.b, stack.nginx), started, strict=True):
        parts.wait_until(
            lambda t=target: call(t, "GET", "/healthz").status == 200, process.name, process
        )
    return stack


def test_health_gzip_and_caching_through_nginx(stack):
    health = call(stack.nginx, "GET", "/healthz")
    assert health.status == 200 and json.loads(health.body) == {"status": "ok", "database": "ok"}
    assert call(stack.plain, "GET", "/healthz").status == 200  # for a monitor on port 80
    moved = call(stack.plain, "GET", "/login")
    assert moved.status == 301 and moved.location.startswith("https://")
    gzip = {"Accept-Encoding": "gzip"}
    assert call(stack.nginx, "GET", "/login", headers=gzip).headers["content-encoding"] == "gzip"
    css = re.search(  # the login page's stylesheet (door.css, the trimmed Bootstrap)
        r'href="(/static/[\w/.-]+\.css\?v=[0-9a-f]+)"', call(stack.nginx, "GET", "/login").text
    )
    assert css, "the login page links its stylesheet without its version"
    static = call(stack.nginx, "GET", css.group(1), headers=gzip)
    assert static.status == 200 and static.headers.get("content-encoding") == "gzip"
    assert static.headers["cache-control"] == "public, max-age=31536000, immutable"
    counselor = Phone(stack.nginx, CAMPUS)
    assert counselor.login(COUNSELOR, PASSWORD).status == 302
    scripts = re.findall(
        r'src="(/dashboard/_dash-component-suites/[^"]+)"', counselor.go("GET", "/dashboard/").text
    )
    fingerprinted = [u for u in scripts if re.search(r"/[^/.]+\.v[\w-]+m[0-9a-f]+\.", u)]
    assert fingerprinted, scripts
    script = counselor.go("GET", fingerprinted[0], **gzip)
    assert script.status == 200 and script.headers.get("content-encoding") == "gzip"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    report(
        f"(0) nginx: /healthz 200 on https and port 80; gzip html, css, js; {css.group(1)} and "
        f"{len(fingerprinted)} fingerprinted Dash scripts cached a year"
    )


def test_door_burst_through_nginx_writes_one_sign_in_per_duty(stack):
    people = stack.seeded.usernames["burst"]
    doors = everyone_to_the_door(stack.nginx, CAMPUS, people, PASSWORD, stack.poster)
    jobs = [lambda d=d: d.sign_in(stack.nginx) for d in doors] * 5
    started = time.monotonic()
    replies = fire(jobs, threads=50)
    seconds = time.monotonic() - started
    written = sign_ins(stack.url, people, stack.seeded.today)
    reader = SessionReader(stack.secret)
    acked = [r for r in replies if acknowledged(r)]
    repeats = sum(1 for r in acked if reader.headline(r).startswith("已签到"))
    five_xx = sum(1 for r in replies if r.status >= 500 or r.status == 0)
    lost = sum(
        1
        for d, r in zip(doors * 5, replies, strict=True)
        if acknowledged(r) and d.username not in written
    )
    line = (
        f"(a) door burst via nginx: requests={len(replies)} acknowledged={len(acked)} "
        f"written={sum(written.values())} (for {len(people)} duties) repeats-answered={repeats} "
        f"lost={lost} 5xx={five_xx} in {seconds:.1f}s"
    )
    report(line)
    assert five_xx == 0 and len(acked) == len(replies), line
    assert written == dict.fromkeys(people, 1), line
    assert repeats == len(replies) - len(people) and lost == 0, line


def test_allowed_networks_see_the_forwarded_address_and_ignore_forgeries(stack):
    (outsider,) = stack.seeded.usernames["outside"]
    (forger,) = stack.seeded.usernames["forged"]
    checks: dict[str, int] = {}

    # Outside the campus network, through nginx: refused, also when claiming the campus address.
    phone = Phone(stack.nginx, OUTSIDE)
    assert phone.login(outsider, PASSWORD).status == 302
    assert phone.go("GET", stack.poster).status == 303
    checks["127.0.0.6 via nginx"] = phone.go("GET", "/checkin/door").status
    checks["127.0.0.6 via nginx, forged XFF"] = phone.go(
        "GET", "/checkin/door", **{"X-Forwarded-For": CAMPUS}
    ).status
    form = {"action": "sign_in", "csrf_token": csrf_token(phone.go("GET", "/account/password"))}
    checks["127.0.0.6 POST sign-in"] = phone.go("POST", "/checkin/door", form).status

    # Straight to a gunicorn port from an untrusted peer: the forged header is dropped.
    direct = Phone(stack.a, FORGER)
    assert direct.login(forger, PASSWORD).status == 302
    assert direct.go("GET", stack.poster).status == 303
    forged = {"X-Forwarded-For": CAMPUS, "X-Forwarded-Proto": "https"}
    checks["127.0.0.7 direct, forged XFF"] = direct.go("GET", "/checkin/door", **forged).status
    form = {"action": "sign_in", "csrf_token": csrf_token(direct.go("GET", "/account/password"))}
    checks["127.0.0.7 POST sign-in"] = direct.go("POST", "/checkin/door", form, **forged).status
    # The same header from the trusted proxy address is believed (what nginx relies on).
    trusted = Phone(stack.b, LOCAL)
    trusted.cookies = dict(direct.cookies)
    trusted.go("GET", stack.poster)
    checks["127.0.0.1 direct, XFF campus"] = trusted.go(
        "GET", "/checkin/door", **{"X-Forwarded-For": CAMPUS}
    ).status

    written = sign_ins(stack.url, [outsider, forger], stack.seeded.today)
    line = "(b) allowed networks: " + ", ".join(f"{k}→{v}" for k, v in checks.items())
    line += f"; campus phones via nginx signed in (a); written for refused={sum(written.values())}"
    report(line)
    assert checks == {
        "127.0.0.6 via nginx": 403,
        "127.0.0.6 via nginx, forged XFF": 403,
        "127.0.0.6 POST sign-in": 403,
        "127.0.0.7 direct, forged XFF": 403,
        "127.0.0.7 POST sign-in": 403,
        "127.0.0.1 direct, XFF campus": 200,
    }, line
    assert written == {}, line


def login_limit() -> int:
    """The smallest wrong-password count the app allows per account (its configuration)."""
    from limits import parse_many

    from app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return min(item.amount for item in parse_many(app.config["LOGIN_LIMIT_PER_ACCOUNT"]))


def test_login_throttling_is_shared_between_instances(stack):
    (account,) = stack.seeded.usernames["throttle"]
    limit = login_limit()
    phones = [Phone(stack.a, LOCAL), Phone(stack.b, LOCAL)]
    statuses = []
    for attempt in range(limit + 4):
        phone = phones[attempt % 2]  # alternate instances: each sees only half the attempts
        token = csrf_token(phone.go("GET", "/login"))
        wrong = {"username": account, "password": "wrong-guess", "csrf_token": token}
        statuses.append(phone.go("POST", "/login", wrong).status)
    owner = Phone(stack.nginx, CAMPUS).login(account, PASSWORD).status
    line = (
        f"(c) login throttling via Redis: limit {limit}/account; wrong passwords alternating "
        f"two instances → {statuses}; the owner from another address → {owner}"
    )
    report(line)
    assert statuses == [401] * limit + [429] * 4, line
    assert owner == 302, line


def test_kill_one_instance_mid_burst_loses_no_acknowledged_sign_in(stack):
    people = stack.seeded.usernames["crash"]
    doors = everyone_to_the_door(stack.nginx, CAMPUS, people, PASSWORD, stack.poster)
    jobs = [lambda d=d: d.sign_in(stack.nginx) for d in doors] * 3
    killed: list[float] = []
    lock = threading.Lock()

    def kill_a_quarter_in(count: int) -> None:
        with lock:
            if count >= len(jobs) // 4 and not killed:
                stack.a_process.kill_group()  # kill -9, master and workers
                killed.append(time.monotonic())

    replies = fire(jobs, threads=32, on_reply=kill_a_quarter_in)
    owners = [d.username for d in doors] * 3
    acked_users = {u for u, r in zip(owners, replies, strict=True) if acknowledged(r)}
    failed = [r for r in replies if not acknowledged(r)]
    after_kill = sum(1 for r in replies if acknowledged(r) and r.finished > killed[0])
    written = sign_ins(stack.url, people, stack.seeded.today)
    lost = sorted(acked_users - set(written))
    # Failover: whoever saw an error presses again; nginx now sends everything to instance B.
    unlucky = {u for u, r in zip(owners, replies, strict=True) if not acknowledged(r)}
    retries = [d.sign_in(stack.nginx) for d in doors if d.username in unlucky]
    final = sign_ins(stack.url, people, stack.seeded.today)
    line = (
        f"(d) kill -9 of one instance mid-burst: requests={len(replies)} acknowledged="
        f"{len(replies) - len(failed)} written={sum(written.values())} lost={len(lost)} "
        f"errors={len(failed)} {sorted({r.status for r in failed})} acknowledged-after-kill="
        f"{after_kill}; retries={len(retries)} acknowledged={sum(map(acknowledged, retries))}; "
        f"final sign-ins={sum(final.values())} for {len(people)} duties"
    )
    report(line)
    assert not stack.a_process.alive and stack.b_process.alive, line
    assert lost == [] and all(n == 1 for n in written.values()), line
    assert after_kill > 0 and all(acknowledged(r) for r in retries), line
    assert final == dict.fromkeys(people, 1), line


def test_backup_restore_into_an_empty_database_gives_the_same_report(stack):
    folder = stack.work / "backups"
    made = stack.flask("backup", "--into", str(folder), "--keep", "2")
    assert made.returncode == 0, made.stderr
    (backup,) = folder.glob("zhuguantong-*.dump")
    restored_url = parts.recreate_database("zgt_e2e_restore")
    restored = stack.flask("restore", str(backup), url=restored_url)
    assert restored.returncode == 0, restored.stderr
    again = stack.flask("restore", str(backup), url=restored_url)
    assert again.returncode == 1 and "--force" in again.stderr, again.stderr
    day = stack.seeded.today.isoformat()

    def export(url: str, name: str) -> Path:
        path = stack.work / name
        done = stack.flask(
            "export-report", stack.seeded.semester, str(path), "--as-of", day, url=url
        )
        assert done.returncode == 0, done.stderr
        return path

    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(export, stack.url, "before.xlsx")
        after = pool.submit(export, restored_url, "after.xlsx")
        before_path, after_path = before.result(), after.result()
    assert_same_workbooks(before_path, after_path)
    everyone = [u for group in stack.seeded.usernames.values() for u in group]
    counts = sign_ins(stack.url, everyone, stack.seeded.today)
    restored_counts = sign_ins(restored_url, everyone, stack.seeded.today)
    line = (
        f"(e) backup --into → restore into an empty database: {backup.name} "
        f"({backup.stat().st_size} bytes); sign-ins {sum(counts.values())} → "
        f"{sum(restored_counts.values())}; semester workbook identical sheet by sheet"
    )
    report(line)
    assert restored_counts == counts, line

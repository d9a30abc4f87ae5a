"""Door sign-in throughput next to a bare Flask + SQLite insert, through gunicorn (SPEC §8).

    python -m bench.checkin [--assistants 60] [--requests 1000] [--concurrency 16] [--burst 500]

Everything runs on 127.0.0.1 in a fresh temporary directory (removed afterwards unless --keep):

1. Fixture (real clock): one team, one place, a semester around today (--weeks-elapsed weeks
   already done, with on-time events for the past duties), one shift today from now − 2 min to
   now + 2 h with every assistant assigned and appointed. If today has no weekly duties (public
   holiday, 调休 day off or 调休 workday, ``data.policy.duties``), each assistant also gets an
   ``extra`` ShiftOverride naming that shift for today, which is how the counselor schedules duty
   on such days; the door then finds the same duty.
2. ``bench.bare_insert`` under gunicorn (2 sync workers), warm-up, then --requests POSTs; run
   before and again after the door (step 3), the ratio uses their mean.
3. The app (``app:create_app()``) under gunicorn with the same settings. Untimed: each assistant
   logs in (own cookies), scans the poster URL and opens the door page (CSRF token, device cookie).
   Timed, --concurrency client threads:
   - first round: one sign-in POST per assistant (real writes);
   - repeated round: --requests sign-in POSTs cycling over the assistants, each a full request
     that reads the state and answers 已签到 (the session cookie from before the first sign-in is
     sent again: it still holds the scan's presence proof);
   - app floor: --requests logged-in GET /checkin/result (nothing to show: a redirect). Session,
     login and user load only, no door work: a read-only yardstick;
   - sign-out round: one sign-out POST with a work record per assistant (real writes).
   Only the POST is timed (its 303 reply; the redirect target is not fetched). The outcome is read
   from the signed session cookie of each reply.
4. Burst (--burst, 0 to skip): a fresh database and server with that many assistants; every
   sign-in is sent twice (one copy each, shuffled, all threads at once), to show 0 lost (every
   acknowledged sign-in is in the database) and 0 duplicated (one sign-in event per assistant).

Checks: exactly one sign-in and one sign-out event and one work record per assistant.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from bench import bare_insert
from checkin.door.tokens import make_poster_token
from data.db import Database
from data.migrate import upgrade
from data.models import (
    Appointment,
    CheckAction,
    CheckEvent,
    CheckMethod,
    OverrideKind,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    Stage,
    Team,
    User,
    WorkRecord,
)
from data.policy.duties import makeup_workdays, non_duty_days
from data.timeutil import LOCAL_TZ, local_to_utc

ROOT = Path(__file__).resolve().parents[1]  # the repository: gunicorn imports app and bench
HOST = "127.0.0.1"
PASSWORD = "demo1234"
RECORD = "整理学生档案，接待来访学生并登记"
REQUEST_TIMEOUT = 60.0  # seconds, every request
WORKERS = 2

# ---------------------------------------------------------------------------------------------
# Fixture
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    url: str
    place_id: int
    usernames: list[str]
    today: date
    shift: tuple[dtime, dtime]
    via_override: bool  # today has no weekly duties: 'extra' overrides put the shift on it


def build_fixture(
    url: str,
    assistants: int,
    weeks_elapsed: int,
    prefix: str,
    quick_hash: bool = False,
    per_shift: int | None = None,
) -> Fixture:
    """The bench's team; ``per_shift`` people share each (identical) shift, default everyone."""
    database = Database(url)
    upgrade(database.engine)
    now = datetime.now(LOCAL_TZ)
    today = now.date()
    midnight = datetime.combine(today, dtime(0, 0), tzinfo=LOCAL_TZ)
    start = max(now - timedelta(minutes=2), midnight).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    via_override = today in non_duty_days(today, today) | makeup_workdays(today, today)
    semester_start = today - timedelta(weeks=weeks_elapsed)
    # Once: scrypt is slow on purpose; --quick logs hundreds in, with a cheap hash (bench only).
    method = "pbkdf2:sha256:1" if quick_hash else "scrypt"
    password_hash = generate_password_hash(PASSWORD, method=method)
    with database.session() as s:
        team = Team(name="基准测试助管团", college="基准测试学院")
        place = Place(team=team, name="学工办")
        semester = Semester(
            team=team, name="基准学期", start=semester_start, end=today + timedelta(weeks=10)
        )
        s.add_all([team, place, semester])
        users = [
            User(
                team=team,
                username=f"{prefix}{i:04d}",
                name=f"助管{i}",
                role=Role.assistant,
                password_hash=password_hash,
            )
            for i in range(1, assistants + 1)
        ]
        s.add_all(users)
        s.flush()
        per_shift = per_shift or assistants
        shifts = [
            Shift(
                semester=semester,
                weekday=today.isoweekday(),
                start=start,
                end=end,
                place_id=place.id,
            )
            for _ in range(0, assistants, per_shift)
        ]
        s.add_all(shifts)
        s.flush()
        shift_of = {person.id: shifts[i // per_shift].id for i, person in enumerate(users)}
        for person in users:
            s.add(ShiftAssignment(shift_id=shift_of[person.id], user_id=person.id))
            s.add(
                Appointment(
                    user_id=person.id,
                    semester_id=semester.id,
                    stage=Stage.appointed,
                    applied_on=semester_start,
                    trial_start=semester_start,
                    appointed_on=semester_start,
                )
            )
            if via_override:
                s.add(
                    ShiftOverride(
                        semester_id=semester.id,
                        on=today,
                        kind=OverrideKind.extra,
                        shift_id=shift_of[person.id],
                        user_id=person.id,
                        reason="基准测试：节假日/调休日的值班",
                    )
                )
        # The weeks already done: on-time sign-in and sign-out for every past duty day.
        past = [today - timedelta(weeks=k) for k in range(1, weeks_elapsed + 1)]
        skipped = non_duty_days(semester_start, today) | makeup_workdays(semester_start, today)
        rows = []
        for day in (d for d in past if d >= semester_start and d not in skipped):
            for person in users:
                for action, moment in ((CheckAction.sign_in, start), (CheckAction.sign_out, end)):
                    rows.append(
                        dict(
                            user_id=person.id,
                            action=action,
                            at=local_to_utc(day, moment),
                            method=CheckMethod.qr,
                            duty_date=day,
                            shift_id=shift_of[person.id],
                            place_id=place.id,
                        )
                    )
        if rows:
            s.execute(insert(CheckEvent), rows)
        place_id = place.id
        usernames = [u.username for u in users]
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return Fixture(url, place_id, usernames, today, (start, end), via_override)


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, ready_path: str) -> Iterator[int]:
    """Serve ``app`` with gunicorn on loopback; stopped (and waited for) on the way out."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        app,
    ]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited: {log.read_text()[-2000:]}")
            try:
                if call(port, "GET", ready_path).status < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn {app} not ready after 90 s: {log.read_text()[-2000:]}"
                )
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
                proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# A tiny HTTP client (stdlib only; gunicorn's sync workers close every connection anyway)
# ---------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    location: str
    set_cookies: list[str]
    body: bytes
    seconds: float


def call(port: int, method: str, path: str, form: dict | None = None, cookie: str = "") -> Reply:
    headers = {"Host": f"{HOST}:{port}"}
    body = None
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    return Reply(
        response.status,
        response.getheader("Location", ""),
        response.msg.get_all("Set-Cookie") or [],
        data,
        elapsed,
    )


class Browser:
    """One phone: a cookie jar (name → value) kept up to date from Set-Cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def go(self, method: str, path: str, form: dict | None = None) -> Reply:
        reply = call(self.port, method, path, form, self.cookie)
        for header in reply.set_cookies:
            pair, _, attrs = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or "max-age=0" in attrs.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply


def csrf_token(html: bytes) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html.decode())
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)


@dataclass(frozen=True)
class Ready:
    """An assistant at the door: logged in, scanned, the door page open."""

    username: str
    cookie: str  # holds the login and the scan's presence proof
    csrf: str


def get_ready(port: int, username: str, poster_path: str) -> Ready:
    phone = Browser(port)
    token = csrf_token(phone.go("GET", "/login").body)
    login = phone.go(
        "POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": token}
    )
    if login.status != 302:
        raise RuntimeError(f"login {username}: HTTP {login.status} {login.body[:300]!r}")
    scan = phone.go("GET", poster_path)
    if scan.status != 303:
        raise RuntimeError(f"scan {username}: HTTP {scan.status} {scan.body[:300]!r}")
    page = phone.go("GET", "/checkin/door")
    if page.status != 200 or "签到".encode() not in page.body:
        raise RuntimeError(f"door page {username}: HTTP {page.status} {page.body[:300]!r}")
    return Ready(username, phone.cookie, csrf_token(page.body))


# ---------------------------------------------------------------------------------------------
# Firing and measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Round:
    name: str
    concurrency: int
    wall: float = 0.0
    replies: list[Reply] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.replies)

    @property
    def rps(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        samples = sorted(r.seconds for r in self.replies)
        return samples[max(0, math.ceil(q * len(samples)) - 1)] * 1000

    def row(self) -> str:
        return (
            f"{self.name:<34}{self.requests:>9}{self.concurrency:>6}{self.rps:>9.1f}"
            f"{self.percentile(0.5):>9.1f}{self.percentile(0.99):>9.1f}"
        )


def fire(name: str, jobs: list[Callable[[], Reply]], concurrency: int) -> Round:
    """Run every job on ``concurrency`` threads; the wall time spans the first to the last."""
    result = Round(name, concurrency)
    replies: list[Reply | None] = [None] * len(jobs)
    barrier = threading.Barrier(min(concurrency, len(jobs)) + 1)
    cursor = iter(range(len(jobs)))
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            replies[index] = jobs[index]()

    with ThreadPoolExecutor(max_workers=min(concurrency, len(jobs))) as pool:
        futures = [pool.submit(worker) for _ in range(min(concurrency, len(jobs)))]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        result.wall = time.perf_counter() - started
    result.replies = [r for r in replies if r is not None]
    return result


class SessionReader:
    """Reads the door's outcome from the signed session cookie of a reply."""

    def __init__(self, secret: str) -> None:
        app = Flask("bench-session-reader")
        app.secret_key = secret
        self.serializer = SecureCookieSessionInterface().get_signing_serializer(app)

    def headline(self, reply: Reply) -> str:
        for header in reply.set_cookies:
            pair = header.partition(";")[0]
            name, _, value = pair.strip().partition("=")
            if name == "session" and value:
                data = self.serializer.loads(value)
                return data.get("door_result", {}).get("headline", "")
        return ""


def door_job(port: int, ready: Ready, action: str, record: str | None = None):
    form = {"action": action, "csrf_token": ready.csrf}
    if record is not None:
        form["record"] = record
    if action == "sign_out":
        form["confirm"] = "1"  # the shift runs 2 h more: a sign-out now is 早退, confirmed at once
    return lambda: call(port, "POST", "/checkin/door", form, ready.cookie)


def outcomes(round_: Round, reader: SessionReader) -> dict[str, int]:
    """How many replies of each kind: '303 准时', '303 已签到（…）', 'HTTP 500', …"""
    counts: dict[str, int] = {}
    for reply in round_.replies:
        if reply.status == 303 and reply.location.endswith("/checkin/result"):
            key = "303 " + re.sub(r"（.*）|\d+", "…", reader.headline(reply))
        else:
            key = f"HTTP {reply.status}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def acknowledged(round_: Round) -> int:
    return sum(1 for r in round_.replies if r.status == 303)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    sign_ins: int
    users_signed_in: int
    max_sign_ins_per_user: int
    sign_outs: int
    work_records: int


def count_today(url: str, today: date) -> Counts:
    database = Database(url)
    start = local_to_utc(today, dtime(0, 0))
    window = (CheckEvent.at >= start, CheckEvent.at < start + timedelta(days=1))
    with database.session() as s:

        def events(action: CheckAction) -> int:
            return s.scalar(
                select(func.count(CheckEvent.id)).where(CheckEvent.action == action, *window)
            )

        per_user = (
            select(CheckEvent.user_id, func.count(CheckEvent.id).label("n"))
            .where(CheckEvent.action == CheckAction.sign_in, *window)
            .group_by(CheckEvent.user_id)
            .subquery()
        )
        users, most = s.execute(select(func.count(), func.max(per_user.c.n))).one()
        counts = Counts(
            sign_ins=events(CheckAction.sign_in),
            users_signed_in=users,
            max_sign_ins_per_user=most or 0,
            sign_outs=events(CheckAction.sign_out),
            work_records=s.scalar(
                select(func.count(WorkRecord.id)).where(WorkRecord.duty_date == today)
            ),
        )
    database.dispose()
    return counts


def verdict(ok: bool) -> str:
    return "OK" if ok else "FAIL"


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def door_env(url: str, secret: str, instance: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "INSTANCE_PATH": str(instance),
        # No login limit to raise: only wrong passwords count (checkin.auth), and all are right.
    }


def prepare_all(port: int, fixture: Fixture, secret: str, concurrency: int) -> list[Ready]:
    poster = f"/checkin/door?t={make_poster_token(secret, fixture.place_id, 1)}"
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda u: get_ready(port, u, poster), fixture.usernames))


def run_bare(work: Path, tag: str, requests: int, concurrency: int) -> Round:
    url = f"sqlite:///{work / f'bare-{tag}' / 'bare.db'}"
    bare_insert.prepare(url)
    env = {"BARE_DATABASE_URL": url}
    with gunicorn("bench.bare_insert:create_app()", env, work / f"bare-{tag}.log", "/") as port:

        def job(i: int) -> Callable[[], Reply]:
            form = {"user_id": str(i % 1000), "payload": "sign_in"}
            return lambda: call(port, "POST", "/insert", form)

        fire("warm-up", [job(i) for i in range(4 * concurrency)], concurrency)
        result = fire(f"bare insert ({tag})", [job(i) for i in range(requests)], concurrency)
    database = Database(url)
    with database.session() as s:
        rows = s.scalar(select(func.count()).select_from(bare_insert.hits))
    database.dispose()
    bad = requests - sum(1 for r in result.replies if r.status == 200)
    if bad or rows != requests + 4 * concurrency:
        raise RuntimeError(f"bare insert: {bad} failed replies, {rows} rows")
    return result


def describe(fixture: Fixture) -> str:
    start, end = fixture.shift
    how = "extra overrides (no weekly duty today)" if fixture.via_override else "weekly shift"
    return (
        f"{len(fixture.usernames)} assistants, today {fixture.today} "
        f"{start:%H:%M}–{end:%H:%M} via {how}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assistants", type=int, default=60)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--burst", type=int, default=500, help="assistants in the burst; 0 skips")
    parser.add_argument("--weeks-elapsed", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="in-process CPU time per request (door, repeat, no-op, bare insert); < 60 s",
    )
    args = parser.parse_args()
    if args.quick:
        from bench import checkin_quick

        checkin_quick.main()
        return
    secret = secrets.token_hex(32)
    reader = SessionReader(secret)
    failures: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="zgt-bench-checkin-"))
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, work, True)
        else:
            print(f"work dir: {work}")

        fixture = build_fixture(
            f"sqlite:///{work / 'door' / 'zhuguantong.db'}",
            args.assistants,
            args.weeks_elapsed,
            "2025",
        )
        print(f"fixture: {describe(fixture)}; {WORKERS} gunicorn sync workers each side")

        load_before = os.getloadavg()[0]
        bare_before = run_bare(work, "before", args.requests, args.concurrency)

        env = door_env(fixture.url, secret, work / "door")
        with gunicorn("app:create_app()", env, work / "door.log", "/login") as port:
            ready = prepare_all(port, fixture, secret, args.concurrency)
            first = fire(
                "door sign-in (writes)",
                [door_job(port, r, "sign_in") for r in ready],
                args.concurrency,
            )
            jobs = [door_job(port, r, "sign_in") for r in ready]
            repeated = fire(
                "door sign-in (repeated, reads)",
                [jobs[i % len(jobs)] for i in range(args.requests)],
                args.concurrency,
            )
            floor = fire(
                "app floor: logged-in GET, no work",
                [
                    (lambda r=r: call(port, "GET", "/checkin/result", cookie=r.cookie))
                    for r in (ready[i % len(ready)] for i in range(args.requests))
                ],
                args.concurrency,
            )
            out = fire(
                "door sign-out + record (writes)",
                [door_job(port, r, "sign_out", RECORD) for r in ready],
                args.concurrency,
            )
        counts = count_today(fixture.url, fixture.today)
        bare_after = run_bare(work, "after", args.requests, args.concurrency)
        load_after = os.getloadavg()[0]

        burst = burst_counts = None
        if args.burst:
            burst_fixture = build_fixture(
                f"sqlite:///{work / 'burst' / 'zhuguantong.db'}",
                args.burst,
                args.weeks_elapsed,
                "2026",
            )
            env = door_env(burst_fixture.url, secret, work / "burst")
            with gunicorn("app:create_app()", env, work / "burst.log", "/login") as port:
                ready_burst = prepare_all(port, burst_fixture, secret, args.concurrency)
                jobs = [door_job(port, r, "sign_in") for r in ready_burst] * 2
                random.Random(8).shuffle(jobs)
                burst = fire(f"burst: {args.burst} × 2 copies at once", jobs, min(len(jobs), 500))
            burst_counts = count_today(burst_fixture.url, burst_fixture.today)

    n = args.assistants
    header = f"{'measure':<34}{'requests':>9}{'conc':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print()
    print(header)
    print("-" * len(header))
    for row in (bare_before, bare_after, first, repeated, out, floor):
        print(row.row())
    if burst:
        print(burst.row())
    print()
    bare_rps = (bare_before.rps + bare_after.rps) / 2
    writes, reads = first.rps / bare_rps, repeated.rps / bare_rps
    print(
        f"door/bare uses the mean of the two bare runs ({bare_rps:.1f} req/s); "
        f"1-min load average {load_before:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} CPUs: other work on the machine skews every figure)"
    )
    print(
        f"door/bare throughput: sign-in writes {writes:.2f}×, repeated sign-in {reads:.2f}×, "
        f"sign-out writes {out.rps / bare_rps:.2f}× (SPEC §8 target ≥ 0.70×)"
    )
    print(
        f"app floor/bare: {floor.rps / bare_rps:.2f}× (session + login + user load, no door work; "
        "a read-only yardstick)"
    )
    print()
    print(f"first round replies:    {outcomes(first, reader)}")
    print(f"repeated round replies: {outcomes(repeated, reader)}")
    print(f"sign-out round replies: {outcomes(out, reader)}")
    checks = [
        ("sign-ins acknowledged", acknowledged(first), n),
        ("sign-in events today", counts.sign_ins, n),
        ("assistants with a sign-in", counts.users_signed_in, n),
        ("most sign-ins of one assistant", counts.max_sign_ins_per_user, 1),
        (
            "repeats answered already-signed-in",
            _count(repeated, reader, "已签到"),
            repeated.requests,
        ),
        ("app floor replies 302", sum(1 for r in floor.replies if r.status == 302), floor.requests),
        ("sign-out events today", counts.sign_outs, n),
        ("work records today", counts.work_records, n),
    ]
    if burst and burst_counts:
        b = args.burst
        checks += [
            ("burst: replies 303", acknowledged(burst), 2 * b),
            ("burst: replies that wrote", _wrote(burst, reader), b),
            ("burst: sign-in events", burst_counts.sign_ins, b),
            ("burst: assistants with a sign-in", burst_counts.users_signed_in, b),
            ("burst: most sign-ins of one assistant", burst_counts.max_sign_ins_per_user, 1),
        ]
        print(f"burst replies:          {outcomes(burst, reader)}")
    print()
    for label, got, want in checks:
        print(f"{label:<42}{got:>6} (expected {want:>5})  {verdict(got == want)}")
        if got != want:
            failures.append(label)
    lost = n - counts.sign_ins if counts.sign_ins < n else 0
    dup = counts.sign_ins - counts.users_signed_in
    print(f"\nmain run: {lost} lost, {dup} duplicated sign-ins")
    if burst_counts:
        b_lost = max(0, args.burst - burst_counts.sign_ins)
        b_dup = burst_counts.sign_ins - burst_counts.users_signed_in
        print(f"burst:    {b_lost} lost, {b_dup} duplicated sign-ins")
    if failures:
        raise SystemExit(f"FAILED: {', '.join(failures)}")


def _count(round_: Round, reader: SessionReader, prefix: str) -> int:
    return sum(1 for r in round_.replies if reader.headline(r).startswith(prefix))


def _wrote(round_: Round, reader: SessionReader) -> int:
    return sum(1 for r in round_.replies if reader.headline(r).startswith(("准时", "迟到")))


if __name__ == "__main__":
    main()

"""A phone on loopback: http.client from a chosen source address, its own cookie jar.

Every request opens its own connection (as gunicorn's sync workers close them anyway), so
a request is answered, refused, or fails on its own; a failure is a ``Reply`` with status 0.
"""

from __future__ import annotations

import http.client
import random
import re
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

TIMEOUT = 60.0
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


@dataclass
class Reply:
    status: int  # 0: no HTTP answer (connection refused or reset)
    location: str = ""
    set_cookies: list[str] = field(default_factory=list)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    finished: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass(frozen=True)
class Target:
    """Where requests go: nginx (https) or one gunicorn directly (http)."""

    port: int
    https: bool = False
    host: str = "127.0.0.1"

    @property
    def origin(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}"


def call(
    target: Target,
    method: str,
    path: str,
    *,
    source: str = "127.0.0.1",
    form: dict | None = None,
    cookie: str = "",
    headers: dict | None = None,
) -> Reply:
    sent = {"Host": f"{target.host}:{target.port}", **(headers or {})}
    body = None
    if form is not None:
        body = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        # A browser sends the form page as Referer; Flask-WTF requires it over https.
        sent.setdefault("Referer", f"{target.origin}/")
    if cookie:
        sent["Cookie"] = cookie
    if target.https:
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=TIMEOUT, source_address=(source, 0), context=TLS
        )
    else:
        conn = http.client.HTTPConnection(
            target.host, target.port, timeout=TIMEOUT, source_address=(source, 0)
        )
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException) as exc:
        return Reply(0, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    return Reply(
        response.status,
        response.getheader("Location", ""),
        response.msg.get_all("Set-Cookie") or [],
        data,
        {k.lower(): v for k, v in response.getheaders()},
    )


def csrf_token(reply: Reply) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reply.text)
    if not match:
        raise AssertionError(f"no CSRF token in HTTP {reply.status}: {reply.text[:300]}")
    return match.group(1)


class Phone:
    """One browser: a source address and a cookie jar kept from Set-Cookie."""

    def __init__(self, target: Target, source: str) -> None:
        self.target, self.source = target, source
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def go(self, method: str, path: str, form: dict | None = None, **headers: str) -> Reply:
        reply = call(
            self.target,
            method,
            path,
            source=self.source,
            form=form,
            cookie=self.cookie,
            headers=headers,
        )
        for header in reply.set_cookies:
            pair, _, attrs = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or "max-age=0" in attrs.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def login(self, username: str, password: str) -> Reply:
        token = csrf_token(self.go("GET", "/login"))
        return self.go(
            "POST", "/login", {"username": username, "password": password, "csrf_token": token}
        )


@dataclass(frozen=True)
class AtTheDoor:
    """An assistant logged in, scanned, the door page open: ready to press 签到."""

    username: str
    source: str
    cookie: str  # the login and the scan's presence proof
    csrf: str

    def sign_in(self, target: Target) -> Reply:
        form = {"action": "sign_in", "csrf_token": self.csrf}
        return call(
            target, "POST", "/checkin/door", source=self.source, form=form, cookie=self.cookie
        )


def to_the_door(
    target: Target, source: str, username: str, password: str, poster: str
) -> AtTheDoor:
    phone = Phone(target, source)
    login = phone.login(username, password)
    assert login.status == 302, f"login {username}: HTTP {login.status} {login.text[:300]}"
    scan = phone.go("GET", poster)
    assert scan.status == 303, f"scan {username}: HTTP {scan.status} {scan.text[:300]}"
    page = phone.go("GET", "/checkin/door")
    assert page.status == 200 and "签到" in page.text, f"door {username}: HTTP {page.status}"
    return AtTheDoor(username, source, phone.cookie, csrf_token(page))


def everyone_to_the_door(
    target: Target, source: str, usernames: list[str], password: str, poster: str
) -> list[AtTheDoor]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda u: to_the_door(target, source, u, password, poster), usernames))


def fire(
    jobs: list[Callable[[], Reply]],
    threads: int,
    on_reply: Callable[[int], None] | None = None,
) -> list[Reply]:
    """Every job at once on ``threads`` threads (shuffled order); replies in job order."""
    order = list(range(len(jobs)))
    random.Random(13).shuffle(order)
    replies: list[Reply | None] = [None] * len(jobs)
    lock, done = threading.Lock(), [0]
    cursor = iter(order)
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            replies[index] = jobs[index]()
            with lock:
                done[0] += 1
                count = done[0]
            if on_reply:
                on_reply(count)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return [r for r in replies if r is not None]


class SessionReader:
    """The door's answer as the app put it in the signed session cookie of a reply."""

    def __init__(self, secret: str) -> None:
        app = Flask("e2e-session-reader")
        app.secret_key = secret
        self.serializer = SecureCookieSessionInterface().get_signing_serializer(app)

    def headline(self, reply: Reply) -> str:
        for header in reply.set_cookies:
            name, _, value = header.partition(";")[0].strip().partition("=")
            if name == "session" and value:
                return self.serializer.loads(value).get("door_result", {}).get("headline", "")
        return ""


def acknowledged(reply: Reply) -> bool:
    """A sign-in the app answered as done (written now, or already there)."""
    return reply.status == 303 and reply.location.endswith("/checkin/result")


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False

"""Loopback stand-ins for the 企业微信/钉钉 robots (HTTP) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


@dataclass
class Hit:
    """One request the fake robot received."""

    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class FakeRobot:
    """A threaded HTTP server on 127.0.0.1; the path picks the answer.

    /ok → 200 errcode 0 · /refuse → 200 errcode 93000 · /error → HTTP 500 · /slow → sleeps ·
    /flaky → 500 for the first ``flaky_failures`` requests, then ok.
    """

    hits: list[Hit] = field(default_factory=list)
    flaky_failures: int = 0
    slow_seconds: float = 2.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def count(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for h in self.hits if path is None or h.path == path)

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        if path == "/refuse":
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        if path == "/error":
            return 500, {"errcode": -1, "errmsg": "server error"}
        if path == "/slow":
            time.sleep(self.slow_seconds)
        if path == "/flaky":
            with self.lock:
                failing = self.count_locked("/flaky") <= self.flaky_failures
            if failing:
                return 500, {"errcode": -1, "errmsg": "busy"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def count_locked(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)

    def start(self) -> FakeRobot:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with robot.lock:
                    robot.hits.append(Hit(parts.path, parse_qs(parts.query), body))
                status, answer = robot.answer(parts.path)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailBox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp() -> tuple[Controller, MailBox]:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, box

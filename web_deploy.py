"""Running behind nginx: trusted proxies, the health check, cache-safe static URLs."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

import web

log = logging.getLogger("zhuguantong.deploy")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every header a proxy could use to claim another client, scheme, host or prefix.
FORWARDED_KEYS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_REAL_IP",
)


def parse_networks(value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks: "127.0.0.1, 10.0.0.0/8" or a list; a bad entry raises."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    networks = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: not an address or network: {item!r}") from None
    return tuple(networks)


class TrustedProxies:
    """ProxyFix for requests from a trusted proxy; the forwarded headers of anyone else dropped.

    Plain ProxyFix believes X-Forwarded-For from every peer, so a phone talking to gunicorn
    directly could claim to be on the campus network. Here only a peer inside TRUSTED_PROXIES
    is believed, and only its own hop (the last X-Forwarded-For entry, which nginx appends).
    """

    def __init__(self, app: Any, trusted: str | Iterable[str] | None) -> None:
        self.app = app
        self.networks = parse_networks(trusted)
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def is_trusted(self, address: str | None) -> bool:
        """Whether ``address`` (a REMOTE_ADDR) is one of the configured proxies."""
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # gunicorn bound to [::] reports IPv4 peers as ::ffff:a.b.c.d
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        for key in FORWARDED_KEYS:
            environ.pop(key, None)
        return self.app(environ, start_response)


def healthz() -> tuple[Any, int]:
    """200 when the database answers ``SELECT 1``, else 503; no login, no session, no limit."""
    try:
        with web.get_database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure is "not healthy"; the details go to the log only
        log.error("health check: database unreachable: %s", exc)
        body, status = {"status": "error", "database": type(exc).__name__}, 503
    else:
        body, status = {"status": "ok", "database": "ok"}, 200
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _health_first() -> tuple[Any, int] | None:
    # Answered before the login, password-change, limiter and dashboard hooks: a monitor
    # has no account, and a sick database must not be hidden behind a redirect.
    if request.endpoint == "healthz":
        return healthz()
    return None


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def static_version(folder: str, filename: str) -> str | None:
    """A short hash of the static file's content (None if there is no such file)."""
    path = safe_join(folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def setup_deployment(app: Flask) -> None:
    """Wrap the app for its proxy, add /healthz and version the /static/ URLs."""
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config.get("TRUSTED_PROXIES"))
    app.add_url_rule("/healthz", "healthz", healthz)
    app.before_request_funcs.setdefault(None, []).insert(0, _health_first)

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        # nginx caches /static/ for a year: a changed file must get a new URL (?v=<hash>).
        if endpoint == "static" and "v" not in values and app.static_folder:
            version = static_version(app.static_folder, values.get("filename", ""))
            if version:
                values["v"] = version

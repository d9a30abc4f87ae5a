"""Running behind nginx: trusted proxies, the health check, cache-safe static URLs, compression."""

from __future__ import annotations

import gc
import hashlib
import ipaddress
import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from dash.fingerprint import check_fingerprint
from flask import Flask, Response, jsonify, request
from flask_compress import Compress
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

import web

log = logging.getLogger("zhuguantong.deploy")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A fingerprinted URL never serves other bytes, so browsers may keep it without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
SUITES = "/_dash-component-suites/"

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


def _current_dash_asset(app: Flask) -> bool:
    # Dash links its assets/ files as …/assets/site.css?m=<mtime>; the URL is current while
    # the file keeps that mtime (a deploy restarts the app, which links the new mtime).
    dash_app = app.extensions.get("dash")
    if dash_app is None or not request.args.get("m"):
        return False
    config = dash_app.config
    prefix = f"{config.requests_pathname_prefix}{config.assets_url_path.strip('/')}/"
    if not request.path.startswith(prefix):
        return False
    path = safe_join(config.assets_folder, request.path[len(prefix) :])
    try:
        return path is not None and request.args["m"] == str(os.stat(path).st_mtime)
    except OSError:
        return False


def is_fingerprinted(app: Flask) -> bool:
    """Whether this request names content that never changes under its URL: /static/…?v=
    <current hash>, a Dash component-suite file with version and hash in its name
    (dash/fingerprint.py), or a Dash asset with the file's current ?m=<mtime>."""
    if request.endpoint == "static" and app.static_folder:
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        return bool(version) and version == static_version(app.static_folder, filename)
    if SUITES in request.path:
        return check_fingerprint(request.path)[1]
    return _current_dash_asset(app)


class SuiteCache:
    """flask-compress's cache, holding only Dash's component-suite files, compressed once.

    They are the same bytes on every request (plotly.min.js alone is 4.7 MB: ≈ 60 ms of CPU
    to compress with zstd, 0.4 s with br); every other reply is compressed afresh. Keyed by
    algorithm and the file's path without its fingerprint: bounded by the files Dash serves.
    """

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        """The compressed body stored under ``key``, if any."""
        return self.store.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Keep ``value`` when ``key`` names a component-suite file; forget anything else."""
        if SUITES in key:
            self.store[key] = value


def suite_cache_key(req: Any) -> str:
    """The component-suite file a request names (its fingerprint removed); '' for the rest."""
    return check_fingerprint(req.path)[0] if SUITES in req.path else ""


def setup_compression(app: Flask) -> None:
    """Compress text replies (pages, CSS, JS, Dash's JSON) and cache fingerprinted files a year.

    Without a proxy nothing else compresses: the dashboard's first load is 7.7 MB raw and
    about 2 MB compressed. Behind nginx the app's own encoding passes through unchanged.
    """
    # zstd first: on plotly's bundle it is 2 % larger than br (quality 4) for a seventh of the
    # CPU, and pages and callback JSON are compressed on every reply. br for browsers without
    # zstd (Safari), gzip for the rest.
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip"])
    # Static files are streamed from disk: flask-compress leaves gzip out there by default.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip"])
    app.config.setdefault("COMPRESS_CACHE_BACKEND", SuiteCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", suite_cache_key)
    compress = Compress(app)
    app.extensions["zhuguantong.compress"] = compress

    @app.after_request
    def _cache_fingerprinted(response: Response) -> Response:
        if response.status_code in (200, 304) and is_fingerprinted(app):
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def freeze_startup_objects() -> None:
    """Keep what start-up built out of the cyclic collector's full passes (a served worker).

    A worker's modules, Dash layouts and Plotly's validators are a quarter of a million objects
    that live as long as the process; every full collection walked them all, ≈ 150–200 ms at
    university scale, landing in whichever callback allocated last (a report build triggered
    one every other time). Frozen, a full pass walks only what requests made. Called once the
    app is loaded: by gunicorn (``deploy/gunicorn.conf.py``) and by the benchmarks, never by
    ``create_app``, which the test suite calls hundreds of times in one process.
    """
    gc.collect()  # start-up's garbage goes now, not into the frozen generation
    gc.freeze()

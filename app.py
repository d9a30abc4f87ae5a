"""助管通 application factory: ``flask --app app run`` or ``gunicorn 'app:create_app()'``."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user

import web
from data.db import Database
from data.inputs import as_text, parse_choice, parse_int, shorten
from web_deploy import setup_compression, setup_deployment
from web_errors import register_error_handlers

ROOT = Path(__file__).resolve().parent
DEFAULT_UPLOAD_MB = 8


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _upload_limit() -> int:
    """The largest request body in bytes: MAX_UPLOAD_MB (1–1024) from the environment, else 8."""
    raw = os.environ.get("MAX_UPLOAD_MB")
    megabytes = parse_int(raw, 1, 1024) if raw else DEFAULT_UPLOAD_MB
    if megabytes is None:
        raise RuntimeError(f"MAX_UPLOAD_MB 须为 1–1024 之间的整数：{shorten(raw or '')}")
    return megabytes * 2**20


def _cookie_secure(config: dict[str, Any]) -> bool:
    """Secure cookies: COOKIE_SECURE (config, else environment; 0 or 1), else PUBLIC_URL is https."""
    raw = config.get("COOKIE_SECURE", os.environ.get("COOKIE_SECURE", ""))
    if isinstance(raw, bool):
        return raw
    if as_text(raw).strip() == "":
        return str(config["PUBLIC_URL"]).startswith("https://")
    choice = parse_choice(raw, ("0", "1"))
    if choice is None:
        raise RuntimeError(f"COOKIE_SECURE 须为 0 或 1：{shorten(as_text(raw))}")
    return choice == "1"


def _configure(app: Flask, config: dict[str, Any] | None) -> None:
    """Defaults (overridable from the environment), then ``config``, then the secret key."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'zhuguantong.db'}"),
        PUBLIC_URL=os.environ.get("PUBLIC_URL", "http://127.0.0.1:8050"),
        TIMEZONE="Asia/Shanghai",
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # Proxies whose X-Forwarded-* headers are believed (comma-separated; empty: nobody).
        TRUSTED_PROXIES=os.environ.get("TRUSTED_PROXIES", ""),
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down must not stop logins: count in memory per process until it is back.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        # Wrong passwords allowed per account and per address before logins slow down.
        LOGIN_LIMIT_PER_ACCOUNT="5 per minute;20 per hour",
        LOGIN_LIMIT_PER_ADDRESS="20 per minute;200 per hour",  # a login page left open on a phone must still work
        MAX_CONTENT_LENGTH=_upload_limit(),  # a larger body gets the 413 page before it is read
    )
    if config:
        app.config.from_mapping(config)
    secure = _cookie_secure(app.config)
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if name not in (config or {}):  # set one by name in ``config`` to override just that
            app.config[name] = secure
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The whole app: extensions, the Flask pages, the dashboard behind its guard, CLI, errors."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(ROOT / "instance")),
        static_folder=str(ROOT / "assets"),
        static_url_path="/static",
    )
    _configure(app, config)
    app.json.ensure_ascii = False  # Chinese messages stay readable in JSON replies
    app.url_map.converters["int"] = web.IdConverter  # before any route: ids are bounded

    # Extensions.
    app.extensions["zhuguantong.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(web.close_session)
    web.login_manager.init_app(app)
    web.csrf.init_app(app)
    web.limiter.init_app(app)

    from checkin import bp as checkin_bp
    from dashboard import init_dashboard
    from dashboard.guard import protect_dashboard
    from data.cli import register_cli

    app.register_blueprint(checkin_bp)
    # Dash's own routes are CSRF-exempt JSON: the guard keeps the whole prefix behind the login.
    init_dashboard(app)
    register_cli(app)
    protect_dashboard(app)
    register_error_handlers(app)
    setup_deployment(app)  # trusted proxies, /healthz, versioned /static/ URLs
    setup_compression(app)  # br/gzip replies, fingerprinted files cached as immutable

    @app.get("/")
    def index():
        if not current_user.is_authenticated:
            from data.services.setup import needs_setup

            # An empty install starts with its first-run page, not a login nobody can pass.
            target = "checkin.setup" if needs_setup(web.get_session()) else "checkin.login"
            return redirect(url_for(target))
        return redirect(web.home_url(current_user))

    return app

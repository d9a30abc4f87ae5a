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
from web_errors import register_error_handlers

ROOT = Path(__file__).resolve().parent


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
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        # Wrong passwords allowed per account and per address before logins slow down.
        LOGIN_LIMIT_PER_ACCOUNT="5 per minute;20 per hour",
        LOGIN_LIMIT_PER_ADDRESS="20 per minute;200 per hour",  # a login page left open on a phone must still work
    )
    if config:
        app.config.from_mapping(config)
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

    @app.get("/")
    def index():
        if not current_user.is_authenticated:
            from data.services.setup import needs_setup

            # An empty install starts with its first-run page, not a login nobody can pass.
            target = "checkin.setup" if needs_setup(web.get_session()) else "checkin.login"
            return redirect(url_for(target))
        return redirect(web.home_url(current_user))

    return app

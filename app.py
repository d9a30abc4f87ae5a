"""助管通 application factory: ``flask --app app run`` or ``gunicorn 'app:create_app()'``."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

import web
from data.db import Database

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


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(ROOT / "instance")),
        static_folder=str(ROOT / "assets"),
        static_url_path="/static",
    )
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

    app.json.ensure_ascii = False  # Chinese messages stay readable in JSON replies

    # Extensions.
    app.extensions["zhuguantong.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(web.close_session)
    web.login_manager.init_app(app)
    web.csrf.init_app(app)
    web.limiter.init_app(app)

    # Blueprints.
    from checkin import bp as checkin_bp

    app.register_blueprint(checkin_bp)

    # Dashboard: Dash's own routes are CSRF-exempt JSON; the guard below protects them.
    from dashboard import init_dashboard

    init_dashboard(app)

    from data.cli import register_cli

    register_cli(app)

    # Auth guard for the whole dashboard prefix, including _dash-update-component.
    @app.before_request
    def guard_dashboard():
        if not request.path.startswith("/dashboard"):
            return None
        if not current_user.is_authenticated:
            if request.method == "GET" and not request.path.startswith("/dashboard/_"):
                return redirect(url_for("checkin.login", next=request.full_path.rstrip("?")))
            return jsonify(error="请先登录。"), 401
        if current_user.role not in web.STAFF_ROLES:
            if request.method == "GET" and not request.path.startswith("/dashboard/_"):
                return render_template(
                    "error.html", code=403, message="助管账号无权查看统计面板。"
                ), 403
            return jsonify(error="无权访问。"), 403
        return None

    @app.get("/")
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("checkin.login"))
        return redirect(web.home_url(current_user))

    @app.errorhandler(429)
    def too_many(_error):
        message = "登录尝试次数过多，请稍等一分钟再试。忘记密码请联系兼辅老师重置。"
        return render_template("error.html", code=429, message=message), 429

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        message = "页面已过期或缺少安全校验，请返回刷新后重试（签到请重新扫码）。"
        if request.path.startswith("/dashboard/_"):
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    for code, message in (
        (403, "无权访问此页面。"),
        (404, "页面不存在。"),
        (405, "不支持的请求方式。"),
    ):
        app.register_error_handler(
            code,
            lambda _e, c=code, m=message: (render_template("error.html", code=c, message=m), c),
        )
    return app

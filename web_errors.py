"""The app's error pages: HTML for pages, JSON for the dashboard's own calls."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

TOO_MANY = "登录尝试次数过多，请稍等一分钟再试。忘记密码请联系兼辅老师重置。"
CSRF_FAILED = "页面已过期或缺少安全校验，请返回刷新后重试（签到请重新扫码）。"
PLAIN = ((403, "无权访问此页面。"), (404, "页面不存在。"), (405, "不支持的请求方式。"))


def _page(code: int, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


def too_many(_error: Exception) -> tuple[str, int]:
    """429 from the login rate limits."""
    return _page(429, TOO_MANY)


def csrf_failed(_error: CSRFError) -> tuple[Response | str, int]:
    """A missing or stale CSRF token; the dashboard's JSON calls get JSON back."""
    if request.path.startswith("/dashboard/_"):
        return jsonify(error=CSRF_FAILED), 400
    return _page(400, CSRF_FAILED)


def register_error_handlers(app: Flask) -> None:
    """429, CSRF failures and the plain 403/404/405 pages, in Chinese."""
    app.register_error_handler(429, too_many)
    app.register_error_handler(CSRFError, csrf_failed)
    for code, message in PLAIN:
        app.register_error_handler(code, lambda _e, c=code, m=message: _page(c, m))

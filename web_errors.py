"""The app's error pages: HTML for pages, JSON for the dashboard's own calls."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

TOO_MANY = "登录尝试次数过多，请稍等一分钟再试。忘记密码请联系兼辅老师重置。"
CSRF_FAILED = "页面已过期或缺少安全校验，请返回刷新后重试（签到请重新扫码）。"
TOO_LARGE = "上传的文件太大（上限 {mb} MB）。"
TOO_LONG = "填写的内容太长，请删减后重试。"
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


def too_large(_error: Exception) -> tuple[Response | str, int]:
    """413: a body over MAX_CONTENT_LENGTH (refused before it is read), or a form field over
    Flask's MAX_FORM_MEMORY_SIZE in a body within it; JSON for the dashboard."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    within = request.content_length is not None and request.content_length <= limit
    message = TOO_LONG if within else TOO_LARGE.format(mb=limit // 2**20)
    if request.path.startswith("/dashboard/_"):
        return jsonify(error=message), 413
    return _page(413, message)


def register_error_handlers(app: Flask) -> None:
    """413, 429, CSRF failures and the plain 403/404/405 pages, in Chinese."""
    app.register_error_handler(413, too_large)
    app.register_error_handler(429, too_many)
    app.register_error_handler(CSRFError, csrf_failed)
    for code, message in PLAIN:
        app.register_error_handler(code, lambda _e, c=code, m=message: _page(c, m))

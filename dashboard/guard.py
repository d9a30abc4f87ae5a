"""The login and role check in front of everything under ``/dashboard/``.

Dash's own routes (``_dash-layout``, ``_dash-update-component``…) are CSRF-exempt JSON and
would answer anyone; this before_request hook is what keeps them behind the login, and it
refuses a callback body Dash would fail on (``dashboard.callback_request``). Pages and
callbacks check their own page's roles on top (``dashboard.access``).
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import web
from dashboard.callback_request import BAD_REQUEST, UPDATE_PATH, clean_locations, well_formed

PREFIX = "/dashboard"


def _is_page_request() -> bool:
    """A browser navigating to a page (answered with HTML), not one of Dash's JSON calls."""
    return request.method == "GET" and not request.path.startswith(PREFIX + "/_")


def guard_dashboard() -> Response | tuple[Response | str, int] | None:
    """Send anonymous visitors to the login and refuse assistants; None lets the request on."""
    if not request.path.startswith(PREFIX):
        return None
    if not current_user.is_authenticated:
        if _is_page_request():
            return redirect(url_for("checkin.login", next=request.full_path.rstrip("?")))
        return jsonify(error="请先登录。"), 401
    if current_user.role not in web.STAFF_ROLES:
        if _is_page_request():
            return render_template(
                "error.html", code=403, message="助管账号无权查看统计面板。"
            ), 403
        return jsonify(error="无权访问。"), 403
    if request.method == "POST" and request.path == UPDATE_PATH:
        return check_callback_request()
    return None


def check_callback_request() -> tuple[Response, int] | None:
    """400 for a body Dash would fail on; else its Location values made safe for Dash's router."""
    try:
        # Cached: Dash's view reads this same object, so the cleaning below is what it sees.
        body = request.get_json(silent=True)
    except RecursionError:  # thousands of nested brackets: not a ValueError, so not silenced
        body = None
    if not well_formed(body, current_app.extensions["dash"].callback_map):
        return jsonify(error=BAD_REQUEST), 400
    clean_locations(body)
    return None


def protect_dashboard(app: Flask) -> None:
    """Run the guard before every request (the whole prefix, ``_dash-update-component`` too)."""
    app.before_request(guard_dashboard)

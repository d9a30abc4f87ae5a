"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from flask_login.config import COOKIE_NAME
from sqlalchemy import select

from checkin import bp
from checkin.forms import ChangePasswordForm, LoginForm
from data.db import write_transaction
from data.inputs import clean_text
from data.models import User
from data.services import leader_terms, sessions
from data.services.setup import lone_team_name, needs_setup
from data.timeutil import utcnow
from web import (
    client_ip,
    end_login,
    get_session,
    home_url,
    limiter,
    log_in,
    login_max_age,
    now,
    start_login,
)

# Pages a user who must change the password may still reach.
PASSWORD_CHANGE_EXEMPT = {"checkin.login", "checkin.logout", "checkin.change_password", "static"}


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths; refuses //host, schemes and backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.before_app_request
def require_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_EXEMPT
    ):
        if request.path.startswith("/dashboard/_"):
            return {"error": "请先修改初始密码。"}, 403
        # A page asked for by GET is where the user was going: keep it for after the change.
        target = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None
        return redirect(url_for("checkin.change_password", next=target))
    return None


def _account_and_address() -> str:
    # Per account *and* address: guessing at an account never locks its owner out elsewhere.
    return f"login:{clean_text(request.form.get('username'), 32)}:{client_ip()}"


def _failed(response) -> bool:
    # Only wrong passwords count towards the limits, not successful logins.
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_and_address,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    key_func=client_ip,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = get_session().scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.check_password(form.password.data):
            flash("学号/工号或密码不正确。", "danger")
        elif not user.active:
            flash("该账号已停用，请联系兼辅老师。", "danger")
        else:
            # A 团长 elected from today takes office before the redirect picks their home page.
            leader_terms.catch_up(get_session(), user.team_id, now())
            start_login(user, remember=form.remember.data)
            if user.must_change_password:
                flash("首次登录请先修改初始密码。", "warning")
                # The door's scan waits behind the change: keep where the user was going.
                return redirect(url_for("checkin.change_password", next=next_url))
            return redirect(next_url or home_url(user))
    elif request.method == "POST" and form.csrf_token.errors:
        flash("页面已过期，请重新提交。", "danger")
    status = 401 if request.method == "POST" else 200
    db = get_session()
    return render_template(
        "login.html",
        form=form,
        next_url=next_url,
        team_name=lone_team_name(db),
        first_run=needs_setup(db),
    ), status


@bp.post("/logout")
def logout():
    end_login()
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("checkin.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    next_url = safe_next(request.args.get("next"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = get_session().get(User, current_user.id)
        if not user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确")
        elif form.new.data == form.current.data:
            form.new.errors.append("新密码不能与当前密码相同")
        else:
            _store_password(user, form.new.data)
            flash("密码已修改。", "success")
            return redirect(next_url or home_url(user))
    return render_template("change_password.html", form=form)


def _store_password(user: User, password: str) -> None:
    """The new password; every other device is logged out, this browser gets a fresh login."""
    db = get_session()
    with write_transaction(db):
        user.set_password(password)
        user.must_change_password = False
        at = utcnow()
        sessions.end_all(db, user.id, at)
        token = sessions.start(db, user, at, max_age=login_max_age())
    # Keep this browser's remember-me choice: the new cookie names the new login.
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    log_in(user, token, remember=cookie in request.cookies)

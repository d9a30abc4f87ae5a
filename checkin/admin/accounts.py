"""账号管理 (counselor): list, create, deactivate/reactivate, reset password.

New and reset passwords are shown once on the reply page (never flashed into the session
cookie); the rules and the audit entries are in ``data.services.accounts``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import clean_text, get_own, team_id
from data.db import write_transaction
from data.models import ROLE_LABELS, User
from data.services import Refused
from data.services import accounts as service
from web import client_ip, get_session, now

NO_STORE = {"Cache-Control": "private, no-store"}


def _page(**extra):
    db = get_session()
    users = db.scalars(
        select(User).where(User.team_id == team_id()).order_by(User.role, User.username)
    ).all()
    return render_template(
        "admin/accounts.html",
        users=users,
        role_labels=ROLE_LABELS,
        form=extra.pop("form", {}),
        **extra,
    )


def _own_user(user_id: int) -> User:
    """A user of the counselor's team; 404 for anyone else (no existence leak)."""
    return get_own(get_session(), User, user_id, team_of=lambda u: u.team_id)


@bp.get("/admin/accounts")
@roles_required(*COUNSELOR)
def accounts():
    return _page()


@bp.post("/admin/accounts")
@roles_required(*COUNSELOR)
def create_account():
    db = get_session()
    username = clean_text(request.form.get("username"), 33)  # 33: too long is refused, not cut
    name = clean_text(request.form.get("name"), service.NAME_MAX + 1)
    role = clean_text(request.form.get("role"), 20)
    team_id()  # 403 for a staff account without a team
    try:
        with write_transaction(db):
            user, password = service.create(
                db, current_user, username, name, role, at=now(), ip=client_ip()
            )
    except Refused as refused:
        flash(str(refused), "danger")
        return _page(form={"username": username, "name": name, "role": role}), 400
    page = render_template(
        "admin/accounts_password.html", user=user, password=password, created=True
    )
    return page, 200, NO_STORE


@bp.post("/admin/accounts/<int:user_id>/active")
@roles_required(*COUNSELOR)
def set_active(user_id: int):
    db = get_session()
    user = _own_user(user_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    active = wanted == "1"
    try:
        with write_transaction(db):
            changed = service.set_active(db, current_user, user, active, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.accounts"))
    state = "启用" if active else "停用"
    if changed:
        flash(f"已{state} {user.name}（{user.username}）的账号", "success")
    else:
        flash(f"{user.name} 的账号已经是{state}状态", "info")
    return redirect(url_for("checkin.accounts"))


@bp.post("/admin/accounts/<int:user_id>/reset")
@roles_required(*COUNSELOR)
def reset_password(user_id: int):
    db = get_session()
    user = _own_user(user_id)
    try:
        with write_transaction(db):
            password = service.reset_password(db, current_user, user, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("checkin.accounts"))
    page = render_template(
        "admin/accounts_password.html", user=user, password=password, created=False
    )
    return page, 200, NO_STORE

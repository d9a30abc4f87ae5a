"""Team accounts (counselor): list, create, deactivate/reactivate, reset password.

New and reset passwords are random, shown once on the reply page (never stored in clear or
flashed into the session cookie) and must be changed at the next login.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from checkin import bp
from checkin.access import roles_required
from checkin.admin_recruit import audit, own_user, team_id
from data.audit import snapshot
from data.importers import USERNAME_RE, new_password
from data.models import ROLE_LABELS, Role, User
from web import get_session

ACCOUNT_FIELDS = ("username", "name", "role", "active", "must_change_password")
NAME_MAX = 50
NO_STORE = {"Cache-Control": "private, no-store"}


def _page(**extra):
    db = get_session()
    users = db.scalars(
        select(User).where(User.team_id == team_id()).order_by(User.role, User.username)
    ).all()
    return render_template(
        "admin_accounts.html",
        users=users,
        role_labels=ROLE_LABELS,
        form=extra.pop("form", {}),
        **extra,
    )


@bp.get("/admin/accounts")
@roles_required(Role.counselor)
def accounts():
    return _page()


def _create_error(username: str, name: str, role: str) -> str | None:
    if not USERNAME_RE.match(username):
        return "学号/工号只能由字母、数字、- 和 _ 组成（最多 32 位）"
    if not name or len(name) > NAME_MAX:
        return f"请填写姓名（最多 {NAME_MAX} 字）"
    if role not in Role.__members__:
        return "请选择角色"
    if get_session().scalar(select(User.id).where(User.username == username)) is not None:
        return f"学号/工号 {username} 已被使用"
    return None


@bp.post("/admin/accounts")
@roles_required(Role.counselor)
def create_account():
    db = get_session()
    username = (request.form.get("username") or "").strip()
    name = " ".join((request.form.get("name") or "").split())
    role = request.form.get("role") or ""
    error = _create_error(username, name, role)
    form = {"username": username, "name": name, "role": role}
    if error:
        flash(error, "danger")
        return _page(form=form), 400
    password = new_password()
    user = User(
        team_id=team_id(), username=username, name=name, role=Role(role), must_change_password=True
    )
    user.set_password(password)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:  # the same username created concurrently
        db.rollback()
        flash(f"学号/工号 {username} 已被使用", "danger")
        return _page(form=form), 400
    audit(db, "user.create", "user", user.id, None, snapshot(user, ACCOUNT_FIELDS))
    db.commit()
    return (
        render_template("admin_accounts_password.html", user=user, password=password, created=True),
        200,
        NO_STORE,
    )


@bp.post("/admin/accounts/<int:user_id>/active")
@roles_required(Role.counselor)
def set_active(user_id: int):
    db = get_session()
    user = own_user(user_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    active = wanted == "1"
    if user.id == current_user.id and not active:
        flash("不能停用自己的账号", "danger")
        return redirect(url_for("checkin.accounts"))
    if user.active == active:
        flash(f"{user.name} 的账号已经是{'启用' if active else '停用'}状态", "info")
        return redirect(url_for("checkin.accounts"))
    before = snapshot(user, ("active",))
    user.active = active
    audit(
        db,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        before,
        snapshot(user, ("active",)),
    )
    db.commit()
    flash(f"已{'启用' if active else '停用'} {user.name}（{user.username}）的账号", "success")
    return redirect(url_for("checkin.accounts"))


@bp.post("/admin/accounts/<int:user_id>/reset")
@roles_required(Role.counselor)
def reset_password(user_id: int):
    db = get_session()
    user = own_user(user_id)
    if user.id == current_user.id:
        flash("请在“修改密码”中修改自己的密码", "warning")
        return redirect(url_for("checkin.accounts"))
    password = new_password()
    before = snapshot(user, ("must_change_password",))
    user.set_password(password)
    user.must_change_password = True
    # The hash itself stays out of the audit log; the entry records that it changed.
    audit(
        db,
        "user.reset_password",
        "user",
        user.id,
        {**before, "password": "旧密码"},
        {"must_change_password": True, "password": "已重置"},
    )
    db.commit()
    return (
        render_template(
            "admin_accounts_password.html", user=user, password=password, created=False
        ),
        200,
        NO_STORE,
    )

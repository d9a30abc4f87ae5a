"""Team accounts (counselor): create, deactivate/reactivate, reset password.

Deactivation and a reset end every login of the account (``data.services.sessions``).

New and reset passwords are random and returned once to be shown on the reply page (never
stored in clear, never in the audit log); the account must change it at the next login.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.importers import USERNAME_RE, new_password
from data.inputs import as_text, clean_text
from data.models import Role, User
from data.services import Refused, audit, sessions

ACCOUNT_FIELDS = ("username", "name", "role", "active", "must_change_password")
NAME_MAX = 50


def _taken(username: str) -> str:
    return f"学号/工号 {username} 已被使用"


def create(
    db: Session,
    actor: User,
    username: str,
    name: str,
    role: str,
    *,
    at: datetime,
    ip: str = "",
) -> tuple[User, str]:
    """A new account in the actor's team; (the user, the one-time password)."""
    username, name = as_text(username).strip(), clean_text(name, NAME_MAX + 1)
    if not USERNAME_RE.match(username):
        raise Refused("学号/工号只能由字母、数字、- 和 _ 组成（最多 32 位）")
    if not name or len(name) > NAME_MAX:
        raise Refused(f"请填写姓名（最多 {NAME_MAX} 字）")
    if role not in Role.__members__:
        raise Refused("请选择角色")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Refused(_taken(username))
    password = new_password()
    user = User(
        team_id=actor.team_id,
        username=username,
        name=name,
        role=Role(role),
        must_change_password=True,
    )
    user.set_password(password)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:  # the same username created concurrently
        raise Refused(_taken(username)) from None
    after = snapshot(user, ACCOUNT_FIELDS)
    audit(db, actor, "user.create", "user", user.id, None, after, at=at, ip=ip)
    return user, password


def set_active(
    db: Session, actor: User, user: User, active: bool, *, at: datetime, ip: str = ""
) -> bool:
    """Enable or disable an account (never one's own); False when it already was so."""
    if user.id == actor.id and not active:
        raise Refused("不能停用自己的账号")
    if user.active == active:
        return False
    before = snapshot(user, ("active",))
    user.active = active
    if not active:
        sessions.end_all(db, user.id, at)  # logged out on every device, remember-me included
    action = "user.activate" if active else "user.deactivate"
    audit(db, actor, action, "user", user.id, before, snapshot(user, ("active",)), at=at, ip=ip)
    return True


def reset_password(db: Session, actor: User, user: User, *, at: datetime, ip: str = "") -> str:
    """A new one-time password for someone else's account (one's own is changed, not reset)."""
    if user.id == actor.id:
        raise Refused("请在“修改密码”中修改自己的密码")
    password = new_password()
    before = snapshot(user, ("must_change_password",))
    user.set_password(password)
    user.must_change_password = True
    sessions.end_all(db, user.id, at)  # whoever knew the old password is logged out too
    # The hash itself stays out of the audit log; the entry records that it changed.
    audit(
        db,
        actor,
        "user.reset_password",
        "user",
        user.id,
        {**before, "password": "旧密码"},
        {"must_change_password": True, "password": "已重置"},
        at=at,
        ip=ip,
    )
    return password

"""Logins that can be ended: one row per browser login, found by the sha256 of its token.

The token travels in the Flask-Login id "<user id>.<token>", so the session cookie and the
remember-me cookie both name the row; only the hash is stored, so a copy of the database logs
nobody in. Logout ends one row; a password change or reset and a deactivation end them all.
Every write here joins the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from data.inputs import as_text, parse_id
from data.models import LoginSession, User

TOKEN_BYTES = 32
TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) gives, nothing else
MAX_AGE = timedelta(days=30)  # the remember-me cookie's life: no login outlives it


def token_hash(token: str) -> str:
    """The stored form of a login token."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_login_id(raw: Any) -> tuple[int, str] | None:
    """(user id, token) from a Flask-Login id "<id>.<token>", else None."""
    user_part, dot, token = as_text(raw).partition(".")
    user_id = parse_id(user_part)
    if not dot or user_id is None or not TOKEN_TEXT.fullmatch(token):
        return None
    return user_id, token


def start(db: Session, user: User, at: datetime, *, max_age: timedelta = MAX_AGE) -> str:
    """A new login of ``user``; its token, which is kept nowhere but in the browser."""
    # Clean up here instead of on a timer: the user's ended rows and those past every cookie.
    db.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            or_(LoginSession.revoked_at.is_not(None), LoginSession.created_at < at - max_age),
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.add(LoginSession(user_id=user.id, token_hash=token_hash(token), created_at=at))
    db.flush()
    return token


def end(db: Session, token: str, at: datetime) -> None:
    """End the one login of ``token`` (logout): its cookies, copied or not, log nobody in."""
    db.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def end_all(db: Session, user_id: int, at: datetime) -> None:
    """End every login of the user, on every device."""
    db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def find_user(
    db: Session, login_id: Any, at: datetime, *, max_age: timedelta = MAX_AGE
) -> User | None:
    """The active user whose live login ``login_id`` names, in one query; else None."""
    parsed = parse_login_id(login_id)
    if parsed is None:
        return None
    user_id, token = parsed
    user = db.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            LoginSession.token_hash == token_hash(token),
            LoginSession.revoked_at.is_(None),
            LoginSession.created_at >= at - max_age,
        )
    )
    if user is not None:
        user.login_token = token
    return user

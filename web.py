"""Flask glue shared by the check-in blueprint and the dashboard: extensions, session, roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from data.audit import record
from data.db import Database
from data.models import Role, User
from data.timeutil import utcnow

login_manager = LoginManager()
login_manager.login_view = "checkin.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"
csrf = CSRFProtect()
# In memory per process by default; RATELIMIT_STORAGE_URI=redis://… shares counts between workers.
limiter = Limiter(key_func=lambda: request.remote_addr or "", default_limits=[])

STAFF_ROLES = frozenset({Role.leader, Role.counselor, Role.leadership})


def get_database() -> Database:
    return current_app.extensions["zhuguantong.db"]


def get_session() -> Session:
    """The request's database session, closed at teardown."""
    if "db_session" not in g:
        g.db_session = get_database().sessionmaker()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def now() -> datetime:
    """The current instant; tests swap the clock through ``app.config['CLOCK']``."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


def client_ip() -> str:
    # Behind a reverse proxy configure ProxyFix; never trust X-Forwarded-For blindly.
    return request.remote_addr or ""


def home_url(user: User) -> str:
    """Where a user lands after login: assistants on their own page, staff on the dashboard."""
    return "/dashboard/" if user.role in STAFF_ROLES else "/me"


def audit(
    session: Session,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict | None,
    after: dict | None,
) -> None:
    """One audit entry by the logged-in user for the change being committed with it."""
    record(
        session,
        actor_id=current_user.id,
        team_id=current_user.team_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        source_ip=client_ip(),
        at=now(),
    )

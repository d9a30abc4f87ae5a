"""Flask glue shared by the check-in blueprint and the dashboard: extensions, session, roles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_login import LoginManager, current_user, login_user
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from data.audit import record
from data.db import Database, write_transaction
from data.inputs import MAX_ID
from data.models import Role, User
from data.services import sessions
from data.timeutil import utcnow

login_manager = LoginManager()
login_manager.login_view = "checkin.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"
csrf = CSRFProtect()
# In memory per process by default; RATELIMIT_STORAGE_URI=redis://… shares counts between workers.
# Keyed by web.client_ip (resolved at call time: it is defined below).
limiter = Limiter(key_func=lambda: client_ip(), default_limits=[])

STAFF_ROLES = frozenset({Role.leader, Role.counselor, Role.leadership})


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits up to MAX_ID. A larger number would overflow
    the database's integer (a 500); like any id that does not exist, it is a 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


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


def login_max_age() -> timedelta:
    """How long a login lasts at most: the remember-me cookie's duration."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """The user of a live login "<id>.<token>" (one query); unknown or ended logins get None."""
    # Logins age in wall-clock time, not in the CLOCK tests move around for duties.
    return sessions.find_user(get_session(), login_id, utcnow(), max_age=login_max_age())


def log_in(user: User, token: str, remember: bool = False) -> None:
    """Flask-Login's login_user for the login row of ``token`` (both cookies carry it)."""
    user.login_token = token
    login_user(user, remember=remember)


def start_login(user: User, remember: bool = False) -> None:
    """A new revocable login of ``user`` in this browser, written in its own transaction."""
    db = get_session()
    with write_transaction(db, data=False):  # a login row: no data revision
        token = sessions.start(db, user, utcnow(), max_age=login_max_age())
    log_in(user, token, remember)


def end_login() -> None:
    """End this browser's login for good (a copied session or remember cookie stops working)."""
    token = getattr(current_user, "login_token", None)
    if token:
        db = get_session()
        with write_transaction(db, data=False):
            sessions.end(db, token, utcnow())


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

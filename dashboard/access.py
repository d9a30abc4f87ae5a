"""Who may see which dashboard page — checked on the server in every layout and callback.

``page_callback`` is how every page callback is registered: it checks the role, then hands
the callback the session and the visible semester, so no callback can forget either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
from dash import Input, State
from flask import abort
from flask_login import current_user

from dashboard.tables.semesters import semester_visible
from data.inputs import parse_id
from data.models import Role
from web import get_session

STATS = frozenset({Role.counselor, Role.leadership})
ATTENDANCE = frozenset({Role.counselor, Role.leadership, Role.leader})

# Page slug → roles allowed. The 团长 keeps the daily attendance (第八条四); leaders read
# statistics; the 兼辅 sees everything.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "today": ATTENDANCE,  # 今日值班: the 团长's board at the door
    "overview": ATTENDANCE,
    "attendance": ATTENDANCE,
    "warnings": ATTENDANCE,
    "worklog": STATS,
    "meetings": STATS,
    "assessment": STATS,
    "stipend": STATS,
    "compare": STATS,
    "meeting-mode": STATS,
    "notifications": frozenset({Role.counselor}),  # 提醒记录 (SPEC §4b)
}
SEMESTER_PICKER = "shell-semester"


def allowed(slug: str, role: Role | None = None) -> bool:
    role = role if role is not None else getattr(current_user, "role", None)
    return role in PAGE_ROLES.get(slug, frozenset())


def require(slug: str) -> None:
    """Abort with 403 unless the current user may see page ``slug`` (use in callbacks)."""
    if not current_user.is_authenticated or not allowed(slug):
        abort(403)


def sees_personal_data(role: Role | None = None) -> bool:
    """Phone, QQ, hardship and political status: the 兼辅 only (SPEC §1, §3 directory)."""
    role = role if role is not None else getattr(current_user, "role", None)
    return role is Role.counselor


def page_callback(slug: str, *dependencies: Any, empty: Any, **options: Any) -> Callable:
    """Register a callback of page ``slug`` that reads the shell's semester picker.

    The registered function takes Dash's arguments as they come (so it can be called
    directly, ``render(semester_id)``); it aborts with 403 unless the role may see the page,
    returns ``empty`` when the semester is missing, not an id or another team's, and otherwise
    calls the decorated function as ``func(session, semester, *other_arguments)``. The other
    arguments come as the client sent them: the function parses them with ``data.inputs``.
    """
    values = [d for d in dependencies if isinstance(d, Input | State)]
    at = next(i for i, d in enumerate(values) if d.component_id == SEMESTER_PICKER)

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args: Any) -> Any:
            require(slug)
            session = get_session()
            semester = semester_visible(session, current_user, parse_id(args[at]))
            if semester is None:
                from dashboard.components import no_semester_for_role  # it imports this module

                return no_semester_for_role(empty)
            return func(session, semester, *args[:at], *args[at + 1 :])

        run.page_slug = slug  # type: ignore[attr-defined]  # how a test tells it was used
        dash.callback(*dependencies, **options)(run)
        return run

    return decorate

"""Who may see which dashboard page — checked on the server in every layout and callback."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from data.models import Role

STATS = frozenset({Role.counselor, Role.leadership})
ATTENDANCE = frozenset({Role.counselor, Role.leadership, Role.leader})

# Page slug → roles allowed. The 团长 keeps the daily attendance (第八条四); leaders read
# statistics; the 兼辅 sees everything.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "overview": ATTENDANCE,
    "attendance": ATTENDANCE,
    "warnings": ATTENDANCE,
    "worklog": STATS,
    "meetings": STATS,
    "assessment": STATS,
    "stipend": STATS,
    "compare": STATS,
    "meeting-mode": STATS,
}


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

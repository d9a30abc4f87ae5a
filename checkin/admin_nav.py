"""The management sections shown in admin_base.html's nav, in order.

Each module that adds a management page registers it here with ``section(...)`` so the nav
only lists pages that exist, and only to the roles that may open them.
"""

from __future__ import annotations

from flask import current_app

from checkin import bp

_SECTIONS: list[tuple[str, str, tuple[str, ...]]] = []


def section(endpoint: str, label: str, roles: tuple[str, ...] = ("counselor",)) -> None:
    """Register a nav entry (``endpoint`` of the checkin blueprint, e.g. 'checkin.leave_queue')."""
    if all(e != endpoint for e, _, _ in _SECTIONS):
        _SECTIONS.append((endpoint, label, roles))


@bp.app_context_processor
def _admin_sections() -> dict:
    def admin_sections() -> list[tuple[str, str, tuple[str, ...]]]:
        return [s for s in _SECTIONS if s[0] in current_app.view_functions]

    return {"admin_sections": admin_sections}


section("checkin.posters", "签到海报")

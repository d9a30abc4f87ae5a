"""The management sections shown in admin_base.html's nav, in order.

Each module that adds a management page registers it here with ``section(...)`` so the nav
only lists pages that exist, and only to the roles that may open them.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from checkin import bp

_SECTIONS: list[tuple[str, str, tuple[str, ...]]] = []
_CONDITIONS: dict[str, Callable[[], bool]] = {}
# The order a counselor works through a term: daily first, then term events, then setup.
ORDER = (
    "checkin.leave_queue",
    "checkin.corrections",
    "checkin.schedule",
    "checkin.meetings",
    "checkin.recruit",
    "checkin.people",
    "checkin.assessment",
    "checkin.peer_review",
    "checkin.stipend",
    "checkin.semesters",
    "checkin.directory",
    "checkin.posters",
    "checkin.accounts",
    "checkin.settings",
    "checkin.audit_log",
)


def section(
    endpoint: str,
    label: str,
    roles: tuple[str, ...] = ("counselor",),
    when: Callable[[], bool] | None = None,
) -> None:
    """Register a nav entry (``endpoint`` of the checkin blueprint, e.g. 'checkin.leave_queue').

    ``when`` narrows it further per request (e.g. a team setting), like the page's own guard.
    """
    if all(e != endpoint for e, _, _ in _SECTIONS):
        _SECTIONS.append((endpoint, label, roles))
    if when is not None:
        _CONDITIONS[endpoint] = when


@bp.app_context_processor
def _admin_sections() -> dict:
    def admin_sections() -> list[tuple[str, str, tuple[str, ...]]]:
        present = [
            s
            for s in _SECTIONS
            if s[0] in current_app.view_functions and _CONDITIONS.get(s[0], lambda: True)()
        ]
        rank = {endpoint: i for i, endpoint in enumerate(ORDER)}
        return sorted(present, key=lambda s: rank.get(s[0], len(ORDER)))

    return {"admin_sections": admin_sections}


section("checkin.posters", "签到海报")

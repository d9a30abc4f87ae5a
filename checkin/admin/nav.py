"""The workbench nav: the sections of ``checkin.access`` this user may open now."""

from __future__ import annotations

from flask_login import current_user

from checkin import bp
from checkin.access import NavEntry, nav_for, sections_for


@bp.app_context_processor
def _admin_sections() -> dict:
    def admin_sections() -> list[tuple[str, str]]:
        return sections_for(getattr(current_user, "role", None))

    def admin_nav() -> list[NavEntry]:
        return nav_for(getattr(current_user, "role", None))

    return {"admin_sections": admin_sections, "admin_nav": admin_nav}

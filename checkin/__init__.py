"""The check-in blueprint: login, the door, and the assistant's own page."""

from importlib import import_module

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates")


@bp.app_template_filter("localtime")
def localtime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored (UTC) moment in Asia/Shanghai time."""
    from data.timeutil import to_local

    return to_local(moment).strftime(fmt) if moment else ""


# Views register themselves on bp when their module is imported: the door, the assistant's
# own pages and the workbench, each a package of one module per workflow.
VIEW_MODULES = (
    "auth",
    "door",  # door
    "kiosk",  # door
    "posters",  # door
    "me",  # me
    "apply",  # me
    "directory",  # me
    "peer_review",  # me
    "summaries",  # me
    "leave",  # admin-a (the assistant's leave requests)
    "admin.nav",  # admin
    "admin_accounts",  # admin-a
    "admin_audit",  # admin-a
    "admin_semester",  # admin-a
    "admin_settings",  # admin-a
    "admin_corrections",  # admin-a
    "admin_leave",  # admin-a
    "admin_assessment",  # admin-b
    "admin_meetings",  # admin-b
    "admin_people",  # admin-b
    "admin_recruit",  # admin-b
    "admin_stipend",  # admin-b
    "admin_schedule",  # admin-b
    "admin_schedule_edit",  # admin-b
    "admin_schedule_import",  # admin-b
)
for _module in VIEW_MODULES:
    import_module(f"checkin.{_module}")

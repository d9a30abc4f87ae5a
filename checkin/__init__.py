"""The check-in blueprint: login, the door, and the assistant's own page."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates")


@bp.app_template_filter("localtime")
def localtime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored (UTC) moment in Asia/Shanghai time."""
    from data.timeutil import to_local

    return to_local(moment).strftime(fmt) if moment else ""


# Views register themselves on bp when their module is imported.
from checkin import (  # noqa: E402,F401
    admin_accounts,
    admin_assessment,
    admin_audit,
    admin_corrections,
    admin_leave,
    admin_meetings,
    admin_nav,
    admin_people,
    admin_recruit,
    admin_schedule,
    admin_schedule_edit,
    admin_schedule_import,
    admin_semester,
    admin_settings,
    admin_stipend,
    apply,
    auth,
    directory,
    door,
    kiosk,
    leave,
    me,
    peer_review,
    posters,
    summaries,
)

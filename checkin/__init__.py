"""The check-in blueprint: login, the door, and the assistant's own page."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates")


@bp.app_template_filter("localtime")
def localtime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored (UTC) moment in Asia/Shanghai time."""
    from data.timeutil import to_local

    return to_local(moment).strftime(fmt) if moment else ""


from checkin import auth, door, me  # noqa: E402,F401  (views register themselves on bp)

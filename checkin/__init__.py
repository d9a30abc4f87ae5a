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
    "setup",  # first run, only while there is no user
    "door.views",  # door
    "door.kiosk",  # door
    "door.posters",  # door
    "me.page",  # me
    "me.apply",  # me
    "me.directory",  # me
    "me.peer_review",  # me
    "me.summaries",  # me
    "me.leave",  # me (the assistant's leave requests)
    "me.inbox",  # every role: 站内提醒, the bell, 提醒设置
    "admin.nav",  # admin
    "admin.accounts",  # admin-a
    "admin.audit",  # admin-a
    "admin.semesters",  # admin-a
    "admin.semester_setup",  # admin: semesters, breaks, 调休 make-up days
    "admin.settings",  # admin-a
    "admin.notify",  # admin (提醒渠道: robots, SMTP, test message)
    "admin.corrections",  # admin-a
    "admin.leave",  # admin-a
    "admin.assessment",  # admin-b
    "admin.meetings",  # admin-b
    "admin.people",  # admin-b
    "admin.commendations",  # admin-b (嘉奖)
    "admin.tasks",  # admin (交办任务)
    "me.tasks",  # me (交办任务: mark done)
    "admin.recruitment",  # admin-b
    "admin.carry_over",  # admin (续聘)
    "admin.stipend",  # admin-b
    "admin.schedule",  # admin-b
    "admin.schedule_edit",  # admin-b
    "admin.schedule_import",  # admin-b
    "admin.roster",  # admin (名单导入)
    "admin.roster_files",  # admin (templates, initial passwords)
    "admin.election",  # admin (团长选举)
    "me.election",  # me (团长选举: stand, vote)
    "me.swaps",  # me (换班申请: offer, take, withdraw)
    "admin.swaps",  # admin (换班审批: approve, decline)
)
for _module in VIEW_MODULES:
    import_module(f"checkin.{_module}")

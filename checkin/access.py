"""Who may do what on the Flask side, declared once.

Views name a role group in ``@roles_required(*access.GROUP)``; the workbench nav is built from
``SECTIONS`` with the same groups, so a page and its nav entry cannot disagree. A section whose
page is open only under a team setting names a condition (``when``), checked by the page too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app
from flask_login import current_user

from data.models import Role
from web import login_manager

ON_DUTY = (Role.assistant, Role.leader)  # the door, /me, applications, peer review
COUNSELOR = (Role.counselor,)
EDITORS = (Role.leader, Role.counselor)  # schedule, meeting minutes and attendance
VIEWERS = (Role.leader, Role.counselor, Role.leadership)  # schedule and meetings, read-only
RESULTS = (Role.counselor, Role.leadership)  # assessment and stipend, read-only for leaders
CORRECTORS = (Role.counselor, Role.leader)  # 补签: the 团长 only when the setting allows it
DIRECTORY_READERS = (Role.assistant, Role.leader, Role.counselor)
DIRECTORY_EDITORS = (Role.leader, Role.counselor)
MEMBERS = (Role.assistant, Role.leader)  # who can be put on duty
STAFF = (Role.leader, Role.counselor, Role.leadership)


def roles_required(*roles: Role) -> Callable:
    """Refuse the view (403) unless the logged-in user has one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# The workbench nav in the order a counselor works through a term: daily first, then term
# events, then the team's setup. (endpoint, label, roles, menu): sections of a menu fold into
# one dropdown when the role sees more than MENU_INLINE of them, so the nav stays one line.
DAILY, TERM, SETUP = "", "学期工作", "团队与设置"
SECTIONS: tuple[tuple[str, str, tuple[Role, ...], str], ...] = (
    ("checkin.me", "我的值班", (Role.leader,), DAILY),  # the 团长 is on duty too (SPEC §1)
    ("checkin.leave_queue", "请假审批", COUNSELOR, DAILY),
    ("checkin.corrections", "补签", CORRECTORS, DAILY),
    ("checkin.schedule", "值班安排", VIEWERS, DAILY),
    ("checkin.swap_queue", "换班审批", (Role.leader,), DAILY),  # the 兼辅: from 值班安排
    ("checkin.meetings", "例会与培训", VIEWERS, DAILY),
    ("checkin.recruit", "招聘审核", COUNSELOR, TERM),
    ("checkin.carry_over", "续聘", COUNSELOR, TERM),
    ("checkin.people", "离任管理", COUNSELOR, TERM),
    ("checkin.commendations", "嘉奖", COUNSELOR, TERM),
    ("checkin.tasks", "交办任务", EDITORS, TERM),  # 第六条五
    ("checkin.assessment", "考核", RESULTS, TERM),
    ("checkin.peer_review", "同学互评", (Role.leader,), TERM),
    ("checkin.stipend", "补贴", RESULTS, TERM),
    ("checkin.semester_setup", "学期设置", COUNSELOR, TERM),
    ("checkin.semesters", "学期锁定", COUNSELOR, TERM),
    ("checkin.election", "团长选举", COUNSELOR, TERM),
    ("checkin.directory", "通讯录", DIRECTORY_EDITORS, SETUP),
    ("checkin.posters", "签到海报", COUNSELOR, SETUP),
    ("checkin.roster", "名单导入", COUNSELOR, SETUP),
    ("checkin.accounts", "账号管理", COUNSELOR, SETUP),
    ("checkin.settings", "规则设置", COUNSELOR, SETUP),
    ("checkin.notify_channels", "提醒渠道", COUNSELOR, SETUP),
    ("checkin.audit_log", "审计日志", COUNSELOR, SETUP),
)
MENU_INLINE = 2
_CONDITIONS: dict[str, Callable[[], bool]] = {}


def condition(endpoint: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    """Register a per-request condition for a section (e.g. a team setting); returns it as is."""

    def register(check: Callable[[], bool]) -> Callable[[], bool]:
        _CONDITIONS[endpoint] = check
        return check

    return register


def sections_for(role: Role | None) -> list[tuple[str, str]]:
    """(endpoint, label) of the sections this role may open now, in nav order."""
    return [
        (endpoint, label)
        for endpoint, label, roles, _menu in SECTIONS
        if role in roles
        and endpoint in current_app.view_functions
        and _CONDITIONS.get(endpoint, lambda: True)()
    ]


@dataclass(frozen=True)
class NavEntry:
    """One item of the workbench nav: a link, or a menu of links (``links`` non-empty)."""

    label: str
    endpoint: str = ""
    links: tuple[tuple[str, str], ...] = ()


def nav_for(role: Role | None) -> list[NavEntry]:
    """The sections of :func:`sections_for` with the larger menus folded into dropdowns."""
    visible = dict(sections_for(role))
    menus: dict[str, list[tuple[str, str]]] = {}
    for endpoint, label, _roles, menu in SECTIONS:
        if endpoint in visible:
            menus.setdefault(menu, []).append((endpoint, label))
    entries: list[NavEntry] = []
    for menu, links in menus.items():
        if menu and len(links) > MENU_INLINE:
            entries.append(NavEntry(menu, links=tuple(links)))
        else:
            entries.extend(NavEntry(label, endpoint) for endpoint, label in links)
    return entries

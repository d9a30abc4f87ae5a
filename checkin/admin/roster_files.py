"""Files around the imports: blank templates (roster, schedule, events) and the new accounts'
initial passwords as a sheet and as printable slips, each fetched once from the stash."""

from __future__ import annotations

from flask import abort, current_app, flash, render_template
from flask_login import current_user

from checkin import bp
from checkin.access import COUNSELOR, EDITORS, roles_required
from checkin.admin.roster import NO_STORE, back_to_roster, password_stash
from checkin.common import today, xlsx_response
from data.importers.templates import TEMPLATES, template_filename, template_frames
from data.models import Team
from data.services import roster as service
from web import get_session

GONE = (
    "初始密码已取过或已过期（{hours} 小时），为安全起见不再提供；如有遗失请在“账号管理”中重置密码。"
)


def login_url() -> str:
    """The address printed on slips: the public one, never the request's own host."""
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/login"


@bp.get("/admin/templates/<kind>.xlsx")
@roles_required(*EDITORS)  # the 团长 imports schedules too; templates hold no personal data
def import_template(kind: str):
    if kind not in TEMPLATES:
        abort(404)
    return xlsx_response(template_frames(kind), template_filename(kind))


def _taken(token: str, use: str) -> list[list[str]] | None:
    rows = password_stash().take(current_user.id, token, use)
    if rows is None:
        flash(GONE.format(hours=service.PASSWORD_HOURS), "warning")
    return rows


@bp.get("/admin/roster/passwords/<token>.xlsx")
@roles_required(*COUNSELOR)
def roster_passwords(token: str):
    rows = _taken(token, "sheet")
    if rows is None:
        return back_to_roster()
    frames = service.password_frames(rows, login_url())
    return xlsx_response(frames, f"初始密码-{today()}.xlsx")


@bp.get("/admin/roster/passwords/<token>/slips")
@roles_required(*COUNSELOR)
def roster_slips(token: str):
    rows = _taken(token, "slips")
    if rows is None:
        return back_to_roster()
    team = get_session().get(Team, current_user.team_id) if current_user.team_id else None
    page = render_template(
        "admin/roster_slips.html",
        rows=rows,
        login_url=login_url(),
        team=team.name if team else "",
        today=today(),
    )
    return page, 200, NO_STORE

"""The inbox (站内提醒) of every logged-in role, the navbar bell and the 提醒设置 form."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from checkin import bp
from checkin.access import ON_DUTY
from checkin.common import parse_id, perform
from data.services import inbox as service
from web import get_session


@bp.app_context_processor
def _bell() -> dict:
    """``unread_count()`` for the navbar bell: one COUNT per request, only when logged in."""

    def unread_count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_count" not in g:
            try:
                g.unread_count = service.unread_count(get_session(), current_user.id)
            except SQLAlchemyError:  # an error page after a failed query: no bell count
                g.unread_count = 0
        return g.unread_count

    return {
        "unread_count": unread_count,
        "notify_optional_kinds": service.OPTIONAL_KINDS,
    }


@bp.get("/inbox")
@login_required
def inbox():
    items = service.inbox_items(get_session(), current_user.id)
    return render_template("me/inbox.html", items=items, kind_labels=service.KIND_LABELS)


@bp.post("/inbox/read")
@login_required
def inbox_read():
    raw = request.form.get("id", "")
    item_id = None if raw == "all" else parse_id(raw) or 0
    marked = perform(service.mark_read, item_id)
    if marked is not None and item_id is None:
        flash(f"已将 {marked} 条提醒标为已读。" if marked else "没有未读提醒。", "success")
    return redirect(url_for("checkin.inbox"))


@bp.post("/me/notify")
@login_required
def notify_preferences():
    form = request.form
    saved = perform(service.save_preferences, form.get("email", ""), form.getlist("receive"))
    if saved is not None:
        flash("提醒设置已保存。", "success")
    if current_user.role in ON_DUTY:
        return redirect(url_for("checkin.me") + "#notify")
    return redirect(url_for("checkin.inbox") + "#notify")

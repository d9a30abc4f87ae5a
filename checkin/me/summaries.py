"""The 周总结 and 小结 forms of /me; the rules live in ``data.services.summaries``."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from checkin import bp
from checkin.me.forms import SummaryForm
from checkin.me.page import own_page
from data.db import write_transaction
from data.models import User
from data.services import Refused
from data.services.summaries import KINDS, save_summary
from web import client_ip, get_session, now


@bp.post("/me/summary")
@own_page
def summary_save():
    form = SummaryForm()
    kind = form.kind.data or ""
    if kind not in KINDS:
        flash("总结类型不正确。", "danger")
        return redirect(url_for("checkin.me"))
    label = KINDS[kind].label
    anchor = url_for("checkin.me") + f"#{kind}"
    if not form.validate():
        flash(f"{label}未保存：{_first_error(form)}", "danger")
        return redirect(anchor)
    db = get_session()
    try:
        with write_transaction(db):
            actor = db.get(User, current_user.id)
            created = save_summary(db, actor, kind, form.content.data, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(anchor)
    flash(f"{label}已{'提交' if created else '更新'}。", "success")
    return redirect(anchor)


def _first_error(form: SummaryForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "内容不正确"

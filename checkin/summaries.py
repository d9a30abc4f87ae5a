"""Weekly 周总结 and daily 小结 (第六条六): one per user, kind and period; saving again edits it.

Only the current period can be written (this week's Monday, or today): past weeks stay as they
were handed in, which is what the compliance count (weeks with a summary) relies on.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkin import bp
from checkin.me import monday_of, own_page
from checkin.me_forms import DAILY_MIN, WEEKLY_MIN, SummaryForm
from data.models import Summary, SummaryKind
from data.timeutil import local_today
from web import audit, get_session, now

KINDS = {
    "weekly": (SummaryKind.weekly, "周总结", WEEKLY_MIN),
    "daily": (SummaryKind.daily, "小结", DAILY_MIN),
}


@bp.post("/me/summary")
@own_page
def summary_save():
    form = SummaryForm()
    kind_text = form.kind.data or ""
    if kind_text not in KINDS:
        flash("总结类型不正确。", "danger")
        return redirect(url_for("checkin.me"))
    kind, label, minimum = KINDS[kind_text]
    anchor = url_for("checkin.me") + f"#{kind_text}"
    if not form.validate():
        flash(f"{label}未保存：{_first_error(form)}", "danger")
        return redirect(anchor)
    content = form.content.data
    if len(content) < minimum:
        flash(f"{label}未保存：至少写 {minimum} 个字。", "danger")
        return redirect(anchor)

    today = local_today(now())
    period = monday_of(today) if kind is SummaryKind.weekly else today
    session = get_session()
    try:
        created = _upsert(session, kind, period, content)
    except IntegrityError:
        # Two tabs saved the first version at once: the other one won, save over it.
        session.rollback()
        created = _upsert(session, kind, period, content)
    flash(f"{label}已{'提交' if created else '更新'}。", "success")
    return redirect(anchor)


def _upsert(session: Session, kind: SummaryKind, period: date, content: str) -> bool:
    """Write the summary and its audit row; True when it was new."""
    row = session.scalar(
        select(Summary).where(
            Summary.user_id == current_user.id,
            Summary.kind == kind,
            Summary.period_start == period,
        )
    )
    before = None
    if row is None:
        row = Summary(user_id=current_user.id, kind=kind, period_start=period, content=content)
        session.add(row)
    else:
        before = _snapshot(row)
        row.content = content
    session.flush()
    audit(session, "summary.save", "summary", row.id, before, _snapshot(row))
    session.commit()
    return before is None


def _snapshot(row: Summary) -> dict:
    return {
        "kind": row.kind.value,
        "period_start": row.period_start.isoformat(),
        "content": row.content,
    }


def _first_error(form: SummaryForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "内容不正确"

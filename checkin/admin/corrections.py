"""补签 (SPEC §3): pick a member and a day, correct a duty or withdraw a correction.

The rules (who may, the reason, the lock, the audit with the outcome before → after) are in
``data.services.corrections``; this module reads the page and turns refusals into messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import CORRECTORS, condition, roles_required
from checkin.common import get_own, parse_day, parse_id
from data.db import write_transaction
from data.models import DutyCorrection, User
from data.policy.types import Duty
from data.services import Refused
from data.services import corrections as service
from data.services.duties import duties_of, duty_when, member, members, require_day, shift_value
from data.timeutil import to_local
from web import client_ip, get_session, now

RECENT_SHOWN = 30
OUTCOME_BADGES = {
    "normal": "text-bg-success",
    "late": "text-bg-warning",
    "early": "text-bg-warning",
    "late_early": "text-bg-warning",
    "absent": "text-bg-danger",
    "leave": "text-bg-info",
    "missed_sign_out": "text-bg-secondary",
}
NO_BADGE = "text-bg-light border"


@condition("checkin.corrections")
def _may_correct() -> bool:
    return service.may_correct(get_session(), current_user)


def _guard() -> None:
    # The 团长 may correct only when the counselor allowed it in the team settings.
    if not _may_correct():
        abort(403)


@dataclass(frozen=True)
class DutyView:
    duty: Duty
    when: str
    outcome: str
    badge: str
    sign_in: str
    sign_out: str
    correction: DutyCorrection | None
    started: bool


def _hhmm(moment: datetime | None) -> str:
    return f"{to_local(moment):%H:%M}" if moment else ""


def _duty_views(db: Session, user: User, day: date) -> list[DutyView]:
    at = now()
    views = []
    for duty in duties_of(db, user, day):
        outcome = service.outcome_of(db, current_user.team_id, duty, at)
        views.append(
            DutyView(
                duty=duty,
                when=duty_when(duty.day, duty.start, duty.end) + f" {duty.place}",
                outcome=service.outcome_label(outcome),
                badge=OUTCOME_BADGES.get(outcome.status, NO_BADGE) if outcome else NO_BADGE,
                sign_in=_hhmm(outcome.sign_in_at) if outcome else "",
                sign_out=_hhmm(outcome.sign_out_at) if outcome else "",
                correction=service.correction_of(db, duty),
                started=at >= duty.start,
            )
        )
    return views


def _recent(db: Session) -> list[tuple[DutyCorrection, str, str]]:
    rows = db.execute(
        select(DutyCorrection, User.name)
        .join(User, User.id == DutyCorrection.user_id)
        .where(User.team_id == current_user.team_id)
        .order_by(DutyCorrection.at.desc(), DutyCorrection.id.desc())
        .limit(RECENT_SHOWN)
    ).all()
    by_ids = {c.by_id for c, _ in rows}
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(by_ids))).all())
    return [(c, name, names.get(c.by_id, "")) for c, name in rows]


@bp.get("/admin/corrections")
@roles_required(*CORRECTORS)
def corrections():
    _guard()
    db = get_session()
    user = day = None
    views: list[DutyView] = []
    if request.args.get("user") or request.args.get("date"):
        try:
            user = member(db, current_user.team_id, parse_id(request.args.get("user")))
            day = require_day(parse_day(request.args.get("date")))
        except Refused as refused:
            flash(str(refused), "danger")
            return redirect(url_for("checkin.corrections"))
        views = _duty_views(db, user, day)
    return render_template(
        "admin/corrections.html",
        members=members(db, current_user.team_id),
        user=user,
        day=day,
        views=views,
        recent=_recent(db),
        status_labels=service.STATUS_LABELS,
        shift_value=shift_value,
        reason_min=service.REASON_MIN,
        today=to_local(now()).date().isoformat(),
    )


def _back_to(user_id: int | None, day: date | None):
    if user_id and day:
        return redirect(url_for("checkin.corrections", user=user_id, date=day))
    return redirect(url_for("checkin.corrections"))


def _form() -> service.CorrectionForm:
    form = request.form
    return service.CorrectionForm(
        user_id=parse_id(form.get("user_id")),
        day=parse_day(form.get("date")),
        shift=form.get("shift"),
        sign_in=form.get("sign_in"),
        sign_out=form.get("sign_out"),
        status=form.get("status"),
        reason=form.get("reason"),
    )


@bp.post("/admin/corrections")
@roles_required(*CORRECTORS)
def correction_save():
    _guard()
    db = get_session()
    try:
        with write_transaction(db):
            done = service.correct(db, current_user, _form(), at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return _back_to(parse_id(request.form.get("user_id")), parse_day(request.form.get("date")))
    duty = done.duty
    assert duty is not None  # a new correction always names a scheduled duty
    when = duty_when(duty.day, duty.start, duty.end)
    flash(f"已为{done.user.name}补签 {when}：{done.was} → {done.became}", "success")
    return _back_to(done.user.id, duty.day)


@bp.post("/admin/corrections/<int:correction_id>/delete")
@roles_required(*CORRECTORS)
def correction_delete(correction_id: int):
    """Withdraw a wrong correction: the duty goes back to what the door recorded."""
    _guard()
    db = get_session()

    def team_of(row: DutyCorrection) -> int | None:
        return getattr(db.get(User, row.user_id), "team_id", None)

    row = get_own(db, DutyCorrection, correction_id, team_of=team_of)
    back = _back_to(row.user_id, row.duty_date)
    reason = request.form.get("reason")
    try:
        with write_transaction(db):
            done = service.withdraw(db, current_user, row, reason, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        return back
    flash(f"已撤销{done.user.name}的补签：{done.was} → {done.became}", "success")
    return back

"""换班审批 for the 团长 and the 兼辅: taken swap requests to approve or decline.

An approval records the dated swap through ``data.services.swaps.record_swap`` (the same row
the schedule page's own 换班 form makes), after checking everything again.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from checkin import bp
from checkin.access import EDITORS, roles_required
from checkin.common import perform, team_id
from data.policy.swaps import REASON_MAX
from data.services import swap_offers as service
from data.services.swap_reads import queue
from web import get_session, now


def _back():
    return redirect(url_for("checkin.swap_queue"))


@bp.get("/admin/swaps")
@roles_required(*EDITORS)
def swap_queue():
    rows = queue(get_session(), team_id(), now())
    return render_template("admin/swaps.html", reason_max=REASON_MAX, **rows)


@bp.post("/admin/swaps/<int:offer_id>/approve")
@roles_required(*EDITORS)
def swap_approve(offer_id: int):
    override = perform(service.approve_offer, offer_id)
    if override is not None:
        flash(f"已批准换班：{override.on:%Y-%m-%d}，已记入值班安排。", "success")
    return _back()


@bp.post("/admin/swaps/<int:offer_id>/decline")
@roles_required(*EDITORS)
def swap_decline(offer_id: int):
    if perform(service.decline_offer, offer_id, request.form.get("reason")) is not None:
        flash("已拒绝这条换班申请，仍由原值班人值班。", "success")
    return _back()

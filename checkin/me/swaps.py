"""Swap requests on /me (换班申请): offer one of my duties, take a teammate's, withdraw mine.

The rules live in ``data.services.swap_offers``; these views parse, call it and report back.
The card itself is built by ``data.services.swap_reads.card`` for the /me page.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from checkin import bp
from checkin.common import parse_day, parse_id, perform
from checkin.me.page import own_page
from data.services import swap_offers as service


def _back():
    return redirect(url_for("checkin.me") + "#swaps")


def _duty(raw: str | None):
    """'YYYY-MM-DD/shift id' from the duty picker → (date, shift id), None parts when garbled."""
    day_text, _, shift_text = (raw or "").partition("/")
    return parse_day(day_text), parse_id(shift_text)


@bp.post("/me/swaps")
@own_page
def swap_offer():
    day, shift_id = _duty(request.form.get("duty"))
    if day is None or shift_id is None:
        flash("请选择要换班的值班。", "danger")
        return _back()
    offer = perform(service.offer_swap, day, shift_id, request.form.get("reason"))
    if offer is not None:
        flash("换班申请已发布：同学接下后由团长批准；批准前仍由你值班。", "success")
    return _back()


@bp.post("/me/swaps/<int:offer_id>/take")
@own_page
def swap_take(offer_id: int):
    if perform(service.take_offer, offer_id) is not None:
        flash("你已接下这次替班，等待团长批准；批准后这次值班由你负责。", "success")
    return _back()


@bp.post("/me/swaps/<int:offer_id>/withdraw")
@own_page
def swap_withdraw(offer_id: int):
    if perform(service.withdraw_offer, offer_id) is not None:
        flash("已撤回换班申请，这次值班仍由你负责。", "success")
    return _back()

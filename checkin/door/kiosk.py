"""Kiosk mode (SPEC §4): a tablet by the door showing a QR code that changes every few seconds.

No login: the counselor-issued link (``?k=``) is the secret, and revoking it (posters page)
bumps the place's kiosk version. The page shows the rotating code, a big clock and who signed
in here recently, so a relayed photo of the code stands out. ``assets/kiosk.js`` polls
``/kiosk/state.json``; without JavaScript the page reloads itself once per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from checkin import bp
from checkin.door.poster_render import INSTRUCTION, WARNING, qr_png, qr_svg
from checkin.door.tokens import (
    REVOKED,
    TokenError,
    kiosk_step,
    make_kiosk_token,
    read_kiosk_link,
)
from data.attendance import team_settings
from data.models import CheckAction, CheckEvent, Place, User
from data.policy.settings import PolicySettings
from data.timeutil import to_local
from web import get_session, now

RECENT_MINUTES = 30
RECENT_LIMIT = 12  # what fits beside the QR on a 1280×800 screen
POLL_SECONDS = 3
KIOSK_OFF = "兼辅老师已关闭平板动态二维码签到"
LINK_REVOKED = "平板签到链接已被兼辅老师作废，请向兼辅老师索取新的链接"
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Kiosk:
    place: Place
    settings: PolicySettings

    @property
    def enabled(self) -> bool:
        return self.settings.checkin_modes in ("kiosk", "both")


def _open(link: str | None) -> Kiosk:
    """The place behind a kiosk link, or TokenError (forged, revoked, place deleted)."""
    place_id, version = read_kiosk_link(current_app.secret_key, link or "")
    db = get_session()
    place = db.get(Place, place_id)
    if place is None:
        raise TokenError(REVOKED)
    if version != place.kiosk_version:
        raise TokenError(LINK_REVOKED)
    return Kiosk(place, team_settings(db, place.team_id))


def door_url(place: Place, moment: datetime, step_seconds: int) -> str:
    token = make_kiosk_token(
        current_app.secret_key, place.id, place.kiosk_version, kiosk_step(moment, step_seconds)
    )
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/checkin/door?t={token}"


def recent_sign_ins(place_id: int, moment: datetime) -> list[dict[str, str]]:
    """Who signed in at this place in the last half hour, newest first."""
    rows = get_session().execute(
        select(User.name, CheckEvent.at)
        .join(User, User.id == CheckEvent.user_id)
        .where(
            CheckEvent.place_id == place_id,
            CheckEvent.action == CheckAction.sign_in,
            CheckEvent.at >= moment - timedelta(minutes=RECENT_MINUTES),
            CheckEvent.at <= moment + timedelta(minutes=1),
        )
        .order_by(CheckEvent.at.desc())
        .limit(RECENT_LIMIT)
    )
    return [{"name": name, "time": to_local(at).strftime("%H:%M")} for name, at in rows]


def kiosk_state(kiosk: Kiosk, moment: datetime) -> dict:
    step_seconds = kiosk.settings.kiosk_step_seconds
    local = to_local(moment)
    state = {
        "enabled": kiosk.enabled,
        "message": "" if kiosk.enabled else KIOSK_OFF,
        "qr_svg": "",
        "step": None,
        "step_seconds": step_seconds,
        "expires_in": 0,
        "clock": local.strftime("%H:%M:%S"),
        "date": f"{local.month}月{local.day}日 周{WEEKDAYS[local.weekday()]}",
        "now_ms": int(moment.timestamp() * 1000),  # lets the page tick its clock in between
        "recent": recent_sign_ins(kiosk.place.id, moment),
    }
    if kiosk.enabled:
        state["step"] = kiosk_step(moment, step_seconds)
        state["qr_svg"] = qr_svg(door_url(kiosk.place, moment, step_seconds), "kiosk-qr")
        state["expires_in"] = step_seconds - int(moment.timestamp()) % step_seconds
    return state


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    # The link in the address bar is the kiosk's key: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refused(error: TokenError, as_json: bool = False):
    if as_json:
        return _no_store(jsonify(error=str(error))), 403
    page = render_template("error.html", code=403, message=str(error))
    return _no_store(current_app.make_response(page)), 403


@bp.get("/kiosk")
def kiosk():
    link = request.args.get("k", "")
    try:
        kiosk = _open(link)
    except TokenError as error:
        return _refused(error)
    page = render_template(
        "door/kiosk.html",
        place=kiosk.place,
        state=kiosk_state(kiosk, now()),
        link=link,
        poll_seconds=POLL_SECONDS,
        instruction=INSTRUCTION,
        warning=WARNING,
    )
    return _no_store(current_app.make_response(page))


@bp.get("/kiosk/state.json")
def kiosk_state_json():
    try:
        kiosk = _open(request.args.get("k"))
    except TokenError as error:
        return _refused(error, as_json=True)
    return _no_store(jsonify(kiosk_state(kiosk, now())))


@bp.get("/kiosk/qr.png")
def kiosk_qr_png():
    """The current code as a PNG (for a second screen, and to check what the kiosk shows)."""
    try:
        kiosk = _open(request.args.get("k"))
    except TokenError as error:
        return _refused(error)
    if not kiosk.enabled:
        return _refused(TokenError(KIOSK_OFF))
    moment = now()
    png = qr_png(door_url(kiosk.place, moment, kiosk.settings.kiosk_step_seconds))
    return _no_store(Response(png, mimetype="image/png"))

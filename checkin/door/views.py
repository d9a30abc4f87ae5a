"""The door: scan → (login) → one big button → what happened.

The QR token is checked once at the scan and kept in the session as a short-lived presence
proof, so the login detour and a page refresh never need the (possibly rotated) code again.
Each proof is used by one action only.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import ON_DUTY
from checkin.door.tokens import (
    FORGED,
    MODE_OFF,
    REVOKED,
    DoorToken,
    TokenError,
    read_door_token,
    token_place_id,
)
from data.attendance import team_settings
from data.inputs import clean_block, clean_text
from data.models import CheckMethod, Place
from data.services import Refused
from data.services import door as service
from data.services import door_rules as rules
from web import client_ip, get_session, now

log = logging.getLogger("zhuguantong.door")

PROOF_KEY = "door_proof"
RESULT_KEY = "door_result"
PROOF_TTL_SECONDS = 600  # long enough to log in on a phone, short enough not to reuse later
DEVICE_COOKIE = "zgt_device"
NOT_ON_DUTY = "只有助管需要签到；老师请进入统计面板。"


def _verify(token: str, moment: datetime) -> tuple[Place, DoorToken]:
    db = get_session()
    # The step length is the place's team setting, so find the place before checking the time.
    claimed = token_place_id(token)
    place = db.get(Place, claimed) if claimed is not None else None
    step = team_settings(db, place.team_id).kiosk_step_seconds if place else 15
    parsed = read_door_token(current_app.secret_key, token, moment, step)
    place = db.get(Place, parsed.place_id)
    if place is None:
        raise TokenError(FORGED)
    settings = team_settings(db, place.team_id)
    current = place.kiosk_version if parsed.method == "kiosk" else place.poster_version
    if parsed.version != current:
        raise TokenError(REVOKED)
    allowed = {"poster": {"qr"}, "kiosk": {"kiosk"}, "both": {"qr", "kiosk"}}
    if parsed.method not in allowed[settings.checkin_modes]:
        raise TokenError(MODE_OFF)
    return place, parsed


def _refuse(message: str, status: int = 403):
    user = current_user.username if current_user.is_authenticated else "-"
    log.warning("door refused user=%s ip=%s reason=%s", user, client_ip(), message)
    return render_template("door/refused.html", message=message), status


def _proof() -> dict | None:
    proof = session.get(PROOF_KEY)
    if not proof or now().timestamp() - proof.get("at", 0) > PROOF_TTL_SECONDS:
        return None
    return proof


def _read(proof: dict) -> service.Door:
    """The door for the logged-in person at the scanned place; Refused as the SPEC orders."""
    if current_user.role not in ON_DUTY:
        raise Refused(NOT_ON_DUTY)
    return service.read(
        get_session(), current_user, proof["place"], client_ip(), now(), proof.get("fp")
    )


def _page(door: service.Door, **extra) -> str:
    return render_template(
        "door/door.html", state=door.state, place=door.place, door=rules, **extra
    )


@bp.get("/checkin/door")
def scan():
    token = request.args.get("t")
    if token is not None:
        try:
            place, parsed = _verify(token, now())
        except TokenError as error:
            session.pop(PROOF_KEY, None)
            return _refuse(str(error))
        session[PROOF_KEY] = {
            "place": place.id,
            "method": parsed.method,
            "fp": parsed.fingerprint() if parsed.method == "kiosk" else None,
            "at": now().timestamp(),
        }
        # A clean URL: a refresh or the back button does not resubmit an old code.
        return redirect(url_for("checkin.scan"), code=303)
    proof = _proof()
    if proof is None:
        return render_template("door/scan.html"), 200
    if not current_user.is_authenticated:
        return redirect(url_for("checkin.login", next=url_for("checkin.scan")))
    try:
        door = _read(proof)
    except Refused as refusal:
        return _refuse(str(refusal))
    return _with_device(_page(door))


@bp.post("/checkin/door")
def act():
    if not current_user.is_authenticated:
        return redirect(url_for("checkin.login", next=url_for("checkin.scan")))
    proof, action = _proof(), clean_text(request.form.get("action"), 20)
    record = clean_block(request.form.get("record"), rules.RECORD_MAX + 1)  # too long: refused
    if proof is None:
        return _answer_stale_tab(action)
    if action not in rules.ACTION_LABELS:
        return _refuse("无效的操作，请重新扫码。", 400)
    door = None
    try:
        door = _read(proof)
        confirmed = request.form.get("confirm") == "1"
        outcome = service.press(get_session(), door, action, _scan(proof), now(), record, confirmed)
    except rules.RecordMissing as refusal:
        # Keep the proof and the text: only the record needs fixing.
        return _page(door, error=str(refusal), record=record), 400
    except Refused as refusal:
        return _refuse(str(refusal))
    if isinstance(outcome, service.Confirm):
        return _page(door, record=outcome.record, early=outcome.early), 200
    session.pop(PROOF_KEY, None)
    return _show(outcome)


def _scan(proof: dict) -> service.Scan:
    """The request facts the door records with the action."""
    return service.Scan(
        place_id=proof["place"],
        method=CheckMethod.kiosk if proof["method"] == "kiosk" else CheckMethod.qr,
        ip=client_ip(),
        device_id=clean_text(request.cookies.get(DEVICE_COOKIE), 64),
        fingerprint=proof.get("fp"),
    )


def _answer_stale_tab(action: str):
    """The first press of this tab's action used the proof: a repeat is answered, not refused."""
    repeat = None
    if current_user.role in ON_DUTY:
        repeat = service.answer_repeat(get_session(), current_user, action, now())
    if repeat is None:
        return _refuse("请先扫描办公室门口的二维码再签到。")
    return _show(repeat)


def _show(result: rules.DoorResult):
    """Post/redirect/get: the answer page, which a refresh does not resubmit."""
    session[RESULT_KEY] = {
        "action": result.action,
        "headline": result.headline,
        "lines": list(result.lines),
        "tone": result.tone,
    }
    return redirect(url_for("checkin.result"), code=303)


@bp.get("/checkin/result")
def result():
    data = session.pop(RESULT_KEY, None)
    if data is None:
        return redirect(url_for("checkin.me"))
    return render_template("door/result.html", result=data, label=rules.ACTION_LABELS)


def _with_device(body):
    """Give the phone a long-lived device id (for the two-accounts-one-phone warning)."""
    response = current_app.make_response(body)
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(18),
            max_age=5 * 365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response

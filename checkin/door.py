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
from checkin import service as door
from checkin.tokens import (
    FORGED,
    MODE_OFF,
    REVOKED,
    WRONG_TEAM,
    DoorToken,
    TokenError,
    read_door_token,
    token_place_id,
)
from data.attendance import current_semester, team_settings
from data.models import CheckMethod, Place, Role
from data.policy.settings import PolicySettings
from data.timeutil import local_today
from web import client_ip, get_session, now

log = logging.getLogger("zhuguantong.door")

PROOF_KEY = "door_proof"
RESULT_KEY = "door_result"
PROOF_TTL_SECONDS = 600  # long enough to log in on a phone, short enough not to reuse later
DEVICE_COOKIE = "zgt_device"
DOOR_ROLES = (Role.assistant, Role.leader)


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
    return render_template("door_refused.html", message=message), status


def _proof() -> dict | None:
    proof = session.get(PROOF_KEY)
    if not proof or now().timestamp() - proof.get("at", 0) > PROOF_TTL_SECONDS:
        return None
    return proof


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
        return render_template("door_scan.html"), 200
    if not current_user.is_authenticated:
        return redirect(url_for("checkin.login", next=url_for("checkin.scan")))
    try:
        place, state, _settings = _state_for(proof)
    except door.Refused as refusal:
        return _refuse(str(refusal))
    return _with_device(render_template("door.html", state=state, place=place, door=door))


def _state_for(proof: dict) -> tuple[Place, door.DoorState, PolicySettings]:
    db = get_session()
    if current_user.role not in DOOR_ROLES:
        raise door.Refused("只有助管需要签到；老师请进入统计面板。")
    place = db.get(Place, proof["place"])
    if place is None or place.team_id != current_user.team_id:
        raise door.Refused(WRONG_TEAM)
    settings = team_settings(db, place.team_id)
    if not door.network_allowed(client_ip(), settings):
        raise door.Refused("请连接校园网（学院 Wi-Fi）后再扫码签到。")
    semester = current_semester(db, current_user.team_id, local_today(now()))
    if semester is None:
        raise door.Refused("当前没有进行中的学期，无需签到。")
    door.check_appointed(db, current_user, semester)
    return place, door.door_state(db, current_user, semester, settings, now()), settings


@bp.post("/checkin/door")
def act():
    if not current_user.is_authenticated:
        return redirect(url_for("checkin.login", next=url_for("checkin.scan")))
    proof = _proof()
    action = request.form.get("action", "")
    db = get_session()
    if proof is None:
        # The first press of this tab's action used the proof: a repeat is answered, not refused.
        repeat = None
        if current_user.role in DOOR_ROLES:
            repeat = door.answer_repeat(db, current_user, action, now())
        if repeat is None:
            return _refuse("请先扫描办公室门口的二维码再签到。")
        return _show(repeat, list(repeat.lines))
    if action not in door.ACTION_LABELS:
        return _refuse("无效的操作，请重新扫码。", 400)
    place = state = None
    try:
        place, state, settings = _state_for(proof)
        if action == door.SIGN_OUT and request.form.get("confirm") != "1":
            # 早退 is asked first (SPEC §3); the proof and the record stay for the second press.
            door.check_token_unused(db, current_user, proof.get("fp"))
            record = door.check_record(request.form.get("record", ""), settings)
            early = door.early_minutes(state, settings, now())
            if early:
                page = render_template(
                    "door.html", state=state, place=place, door=door, record=record, early=early
                )
                return page, 200
        scan_facts = door.Scan(
            place_id=place.id,
            method=CheckMethod.kiosk if proof["method"] == "kiosk" else CheckMethod.qr,
            ip=client_ip(),
            device_id=request.cookies.get(DEVICE_COOKIE, "")[:64],
            fingerprint=proof.get("fp"),
        )
        user_id = current_user.id
        moment = now()
        # A repeated press is answered from this read alone: no write lock for a no-op.
        result = door.settle_without_writing(db, current_user, action, state, moment)
        if result is None:
            # End the read snapshot first: in WAL mode a read transaction that later writes
            # fails at once if another scan committed meanwhile. SQLite then takes the write
            # lock up front, so concurrent scans queue on the busy timeout instead of failing.
            db.rollback()
            if db.get_bind().dialect.name == "sqlite":
                db.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            result = door.perform(
                db,
                user_id,
                action,
                scan_facts,
                moment,
                request.form.get("record", ""),
                fast=door.Prepared(state, settings),
            )
            db.commit()
        lines = list(result.lines)
        if result.action == door.SIGN_IN and not result.repeated:
            lines += door.late_count_lines(db, user_id, moment)
    except door.Refused as refusal:
        db.rollback()
        if isinstance(refusal, door.RecordMissing) and state is not None:
            # Keep the proof and the text: only the record needs fixing.
            page = render_template(
                "door.html",
                state=state,
                place=place,
                door=door,
                error=str(refusal),
                record=request.form.get("record", ""),
            )
            return page, 400
        return _refuse(str(refusal))
    session.pop(PROOF_KEY, None)
    return _show(result, lines)


def _show(result: door.DoorResult, lines: list[str]):
    """Post/redirect/get: the answer page, which a refresh does not resubmit."""
    session[RESULT_KEY] = {
        "action": result.action,
        "headline": result.headline,
        "lines": lines,
        "tone": result.tone,
    }
    return redirect(url_for("checkin.result"), code=303)


@bp.get("/checkin/result")
def result():
    data = session.pop(RESULT_KEY, None)
    if data is None:
        return redirect(url_for("checkin.me"))
    return render_template("door_result.html", result=data, label=door.ACTION_LABELS)


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

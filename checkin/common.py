"""Helpers shared by the Flask views: ids, dates and free text from forms, semester picking,
team members, the lock check and Excel downloads — one copy of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd
from flask import (
    Response,
    abort,
    flash,
    request,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from checkin.access import MEMBERS
from data import facts, xlsx
from data.attendance import current_semester
from data.db import write_transaction
from data.inputs import MAX_ID, clean_block, clean_text, parse_day, parse_id, parse_ids
from data.models import (
    Role,
    Semester,
    User,
)
from data.services import Refused
from data.services.recruitment import target_semester
from data.services.semesters import LOCKED_MESSAGE
from data.timeutil import local_today
from web import audit, client_ip, get_session, now

REASON_MAX = 500

# Re-exported: the views parse input and write audit entries through these names.
__all__ = [
    "MAX_ID",
    "audit",
    "clean_block",
    "clean_text",
    "parse_day",
    "parse_id",
    "parse_ids",
]


def team_semesters(db: Session) -> list[Semester]:
    """The logged-in user's team's semesters, newest first."""
    return facts.team_semesters(db, current_user.team_id)


def pick_semester(db: Session, raw: str | None) -> Semester | None:
    """``?semester=<id>`` of the user's team (404 for others), else the current or latest one."""
    if raw:
        semester_id = parse_id(raw)
        semester = db.get(Semester, semester_id) if semester_id else None
        if semester is None or semester.team_id != current_user.team_id:
            abort(404)
        return semester
    today = local_today(now())
    semester = current_semester(db, current_user.team_id, today)
    if semester is not None:
        return semester
    semesters = team_semesters(db)
    return semesters[0] if semesters else None


def form_semester(db: Session) -> Semester:
    """The semester named by a POSTed form; 404 unless it is the user's team's."""
    semester = pick_semester(db, request.form.get("semester") or "0")
    assert semester is not None  # pick_semester aborts on a missing/foreign id
    return semester


def team_member(db: Session, raw: Any, roles: tuple[Role, ...] = MEMBERS) -> User | None:
    """An active user of the current team with one of ``roles``, or None."""
    user_id = parse_id(raw)
    user = db.get(User, user_id) if user_id else None
    if user is None or user.team_id != current_user.team_id or not user.active:
        return None
    return user if user.role in roles else None


def locked_message(db: Session, semester: Semester) -> str | None:
    """The lock message when the semester's assessment is finalized, else None.

    Semesters of a team never overlap, so the semester's own mark is the lock: no query needed.
    """
    return LOCKED_MESSAGE if semester.finalized_at is not None else None


def xlsx_response(sheets: dict[str, pd.DataFrame], filename: str) -> Response:
    """A workbook download; the UTF-8 file name is given the RFC 5987 way for Chinese names."""
    response = Response(xlsx.workbook_bytes(sheets), mimetype=xlsx.MIME)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"  # personal data
    return response


def today() -> date:
    """The local (Asia/Shanghai) date of the request's clock."""
    return local_today(now())


def team_id() -> int:
    """The logged-in user's team; a staff account without a team has nothing to manage (403)."""
    if current_user.team_id is None:
        abort(403)
    return current_user.team_id


def get_own(db: Session, model: type, item_id: int, team_of: Callable[[Any], Any]) -> Any:
    """``model`` row ``item_id`` if ``team_of(row)`` is the user's team; 404 otherwise (no leak)."""
    tid = team_id()
    item = db.get(model, item_id) if 0 < item_id <= MAX_ID else None
    if item is None or team_of(item) != tid:
        abort(404)
    return item


def upcoming_semester(db: Session) -> Semester | None:
    """``?semester=<id>`` of the team (404 for others), else the running or next semester."""
    raw = request.values.get("semester", "")
    return pick_semester(db, raw) if raw else target_semester(db, team_id(), today())


def perform(service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
    """``service(db, current_user, *args, at=now, ip=client, **kwargs)`` in one write
    transaction; its result, or None after flashing its refusal (nothing is written then)."""
    db = get_session()
    try:
        with write_transaction(db):
            return service(db, current_user, *args, at=now(), ip=client_ip(), **kwargs)
    except Refused as exc:
        flash(str(exc), "danger")
        return None

"""Helpers shared by the Flask views: ids, dates and free text from forms, semester picking,
team members, the lock check and Excel downloads — one copy of each."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd
from flask import (
    Response,
    abort,
    request,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from checkin.access import MEMBERS
from data import facts
from data.attendance import current_semester
from data.models import (
    Role,
    Semester,
    User,
)
from data.timeutil import local_today
from web import audit, now

MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow the driver's integer type
REASON_MAX = 500

__all__ = ["audit"]  # re-exported: the management pages write audit entries through it


def parse_id(raw: Any) -> int | None:
    """A positive database id from form/query text, or None."""
    text = str(raw or "").strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


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
    """The lock message when the semester's assessment is finalized, else None."""
    try:
        from checkin.admin_semester import Locked, ensure_unlocked
    except ImportError:  # the finalize page is optional; the column alone still decides
        return "本学期考核已锁定，不能再修改" if semester.finalized_at else None
    try:
        ensure_unlocked(db, semester.team_id, semester.start)
    except Locked as exc:
        return str(exc)
    return None


def xlsx_response(sheets: dict[str, pd.DataFrame], filename: str) -> Response:
    """A workbook download; the UTF-8 file name is given the RFC 5987 way for Chinese names."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column) + 4
                sheet.column_dimensions[column[0].column_letter].width = min(width * 1.6, 50)
            sheet.freeze_panes = "A2"
    response = Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"  # personal data
    return response


def parse_day(raw: Any) -> date | None:
    """A YYYY-MM-DD date from form/query text, or None."""
    try:
        return date.fromisoformat(str(raw or "").strip()[:10])
    except ValueError:
        return None


def clean_text(raw: Any, limit: int) -> str:
    return " ".join(str(raw or "").split())[:limit]

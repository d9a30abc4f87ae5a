"""名单导入 (SPEC §6, §7): upload → row errors or a preview → confirm → written, with the new
accounts' initial passwords as a sheet and printable slips (``checkin.admin.roster_files``)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.admin.schedule import STASH_NAME, UPLOAD_MAX
from checkin.common import clean_text, parse_day, parse_id, team_semesters, today, upcoming_semester
from data.db import write_transaction
from data.importers import ImportReport, default_appointment_day
from data.inputs import shorten
from data.models import Semester
from data.services import Refused
from data.services import roster as service
from web import client_ip, get_session, now

NO_STORE = {"Cache-Control": "private, no-store"}  # names, phones, hardship


def password_stash() -> service.PasswordStash:
    return service.PasswordStash(Path(current_app.instance_path) / "roster-passwords")


@bp.get("/admin/roster")
@roles_required(*COUNSELOR)
def roster():
    db = get_session()
    semesters = team_semesters(db)
    chosen = upcoming_semester(db)
    defaults = {s.id: default_appointment_day(s, today()) for s in semesters}
    return render_template(
        "admin/roster.html", semesters=semesters, chosen=chosen, defaults=defaults
    )


@bp.post("/admin/roster/import")
@roles_required(*COUNSELOR)
def roster_import():
    """First post: check and preview (the file kept); with ``confirm``: written."""
    db = get_session()
    post = _in_post(db)
    path = _import_path() if not isinstance(post, str) else post
    if isinstance(path, str):
        flash(path, "danger")
        return redirect(url_for("checkin.roster"))
    skip_bad = request.form.get("skip_bad") == "1"
    confirm = request.form.get("confirm") == "1"
    try:
        if confirm:
            with write_transaction(db):
                report = service.write(
                    db, current_user, path, skip_bad=skip_bad, post=post, at=now(), ip=client_ip()
                )
        else:
            report = service.preview(db, current_user, path, skip_bad=skip_bad, post=post)
    except Refused as exc:
        path.unlink(missing_ok=True)
        flash(str(exc), "danger")
        return redirect(url_for("checkin.roster"))
    if confirm or report.rejected:
        path.unlink(missing_ok=True)
    return _outcome(report, path.name, skip_bad, post, confirm)


def _outcome(
    report: ImportReport, stash: str, skip_bad: bool, post: service.InPost | None, confirm: bool
) -> tuple[str, int, dict]:
    if report.rejected:
        page = render_template("admin/roster_errors.html", report=report)
    elif not confirm:
        fields = {"stash": stash, "skip_bad": "1" if skip_bad else ""}
        if post is not None:
            fields |= {"in_post": "1", "semester": post.semester.id, "from": post.day}
        page = render_template("admin/roster_preview.html", report=report, post=post, fields=fields)
    else:
        token = password_stash().put(current_user.id, report.passwords) if report.passwords else ""
        hours = service.PASSWORD_HOURS
        page = render_template(
            "admin/roster_done.html", report=report, post=post, token=token, hours=hours
        )
    return page, 200, NO_STORE


def _in_post(db: Session) -> service.InPost | None | str:
    """本学期在岗: the semester and date posted with the file, None when unticked, or why not."""
    if request.form.get("in_post") != "1":
        return None
    semester_id = parse_id(request.form.get("semester"))
    semester = db.get(Semester, semester_id) if semester_id else None
    if semester is None or semester.team_id != current_user.team_id:
        return "请选择上岗的学期"
    raw = clean_text(request.form.get("from"))
    day = parse_day(raw)
    if raw and day is None:
        return f"上岗日期应为 YYYY-MM-DD 格式：{shorten(raw, 20)}"
    return service.in_post(semester, day, today())


# --- The uploaded file, kept server-side between the preview and the confirmation -------------


def _stash_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _import_path() -> Path | str:
    """The stashed file of a confirmed preview, else the new upload stashed; or why not."""
    stash = clean_text(request.form.get("stash"), 64)
    if stash:
        mine = STASH_NAME.fullmatch(stash) and stash.startswith(f"{current_user.id}-")
        path = _stash_dir() / stash if mine else None
        return path if path is not None and path.is_file() else "导入文件已失效，请重新选择文件"
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return "请选择要导入的名单文件（.xlsx 或 .csv）"
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        return "只支持 .xlsx 或 .csv 文件"
    body = upload.read(UPLOAD_MAX + 1)
    if len(body) > UPLOAD_MAX:
        return "文件过大（最大 2 MB）"
    path = _stash_dir() / f"{current_user.id}-{secrets.token_hex(16)}{suffix}"
    path.write_bytes(body)
    return path


def back_to_roster() -> Response:
    return redirect(url_for("checkin.roster"))

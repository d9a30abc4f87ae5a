"""The schedule's import (previewed, from a date, the file kept until confirmed) and export."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from flask import (
    abort,
    current_app,
    flash,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, VIEWERS, roles_required
from checkin.admin.schedule import (
    STASH_NAME,
    UPLOAD_MAX,
    WEEKDAYS,
    back_to_schedule,
    load_shifts,
    refuse_locked,
    schedule_view_day,
)
from checkin.admin.schedule_edit import confirmed, from_day
from checkin.common import form_semester, pick_semester, xlsx_response
from data.db import write_transaction
from data.importers import SCHEDULE_COLUMNS, ImportFileError, import_schedule
from data.inputs import clean_text, shorten
from data.models import (
    Place,
    Semester,
    User,
)
from data.timeutil import local_today
from web import audit, get_session, now

# --- Import / export ----------------------------------------------------------------------


def _schedule_rows(db: Session, semester: Semester, day: date) -> list[list[str]]:
    """The weekly schedule in force on ``day`` in the SPEC §6 format."""
    usernames = dict(
        db.execute(select(User.id, User.username).where(User.team_id == semester.team_id)).all()
    )
    places = dict(db.execute(select(Place.id, Place.name)).all())
    rows = []
    for shift in load_shifts(db, semester):
        if not shift.in_force(day):
            continue
        start, end, place_id = shift.version_on(day)
        for a in sorted(shift.assignments_on(day), key=lambda a: usernames.get(a.user_id, "")):
            rows.append(
                [
                    usernames.get(a.user_id, ""),
                    WEEKDAYS[shift.weekday - 1],
                    start.strftime("%H:%M"),
                    end.strftime("%H:%M"),
                    places.get(place_id, ""),
                ]
            )
    return sorted(rows, key=lambda r: (WEEKDAYS.index(r[1]), r[2], r[4], r[0]))


@bp.get("/admin/schedule/export.xlsx")
@roles_required(*VIEWERS)
def schedule_export():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        abort(404)
    day = schedule_view_day(semester, request.args.get("on"), local_today(now()))
    frame = pd.DataFrame(_schedule_rows(db, semester, day), columns=list(SCHEDULE_COLUMNS))
    return xlsx_response({"值班表": frame}, f"{semester.name}-值班表-{day}.xlsx")


def _stash_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash(body: bytes, suffix: str) -> str:
    """Keep an upload until its preview is confirmed; the name ties it to this user."""
    name = f"{current_user.id}-{secrets.token_hex(16)}{suffix}"
    (_stash_dir() / name).write_bytes(body)
    return name


def _stashed(name: str) -> Path | None:
    """A stashed upload of the current user, or None (forged, foreign or already used)."""
    if not STASH_NAME.fullmatch(name or "") or not name.startswith(f"{current_user.id}-"):
        return None
    path = _stash_dir() / name
    return path if path.is_file() else None


def _upload() -> tuple[bytes, str] | str:
    """(body, suffix) of the posted schedule file, or the Chinese reason it is refused."""
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or not upload.filename:
        return "请选择要导入的值班表文件（.xlsx 或 .csv）"
    if suffix not in (".xlsx", ".csv"):
        return "只支持 .xlsx 或 .csv 文件"
    body = upload.read(UPLOAD_MAX + 1)
    if len(body) > UPLOAD_MAX:
        return "文件过大（最大 2 MB）"
    return body, suffix


def _import_path() -> Path | str:
    """The stashed file of a confirmed preview, else the new upload stashed; or why not."""
    stash = clean_text(request.form.get("stash"), 64)
    if stash:
        path = _stashed(stash)
        return path if path is not None else "导入文件已失效，请重新选择文件"
    upload = _upload()
    if isinstance(upload, str):
        return upload
    return _stash_dir() / _stash(*upload)


def _prepared(semester: Semester) -> tuple[Path, date] | None:
    """The file and the 生效日期 of the posted import, or None after flashing why not."""
    path = _import_path()
    if isinstance(path, str):
        flash(path, "danger")
        return None
    day = from_day(semester)
    return (path, day) if day is not None else None


def _runner(db: Session, semester: Semester, path: Path, day: date, skip_bad: bool):
    """The import as a repeatable change: validated, previewed, then written."""
    today = local_today(now())

    def run():
        return import_schedule(
            db, path, semester=semester, skip_bad=skip_bad, from_day=day, today=today
        )

    return run


@bp.post("/admin/schedule/import")
@roles_required(*EDITORS)
def schedule_import():
    """Upload → row errors or a preview of the duties that change → confirm → written."""
    db = get_session()
    semester = form_semester(db)
    if (refused := refuse_locked(db, semester)) is not None:
        return refused
    if (prepared := _prepared(semester)) is None:
        return back_to_schedule(semester, "#import")
    path, day = prepared
    run = _runner(db, semester, path, day, request.form.get("skip_bad") == "1")
    checked = _checked_import(db, run, path)
    if isinstance(checked, str):
        flash(checked, "danger")
        return back_to_schedule(semester, "#import")
    if checked.rejected:
        path.unlink(missing_ok=True)
        return render_template(
            "admin/schedule_import.html", semester=semester, report=checked, written=False
        )
    summary = f"导入值班表 {checked.rows_written} 行（{day} 起生效，替换之后的每周安排）"
    outcome = confirmed(semester, day, run, summary, extra={"stash": path.name})
    if not isinstance(outcome, str):
        return outcome
    with write_transaction(db):
        report = _write(db, semester, day, run, outcome)
    path.unlink(missing_ok=True)
    return render_template(
        "admin/schedule_import.html", semester=semester, report=report, written=True
    )


def _write(db: Session, semester: Semester, day: date, run: Callable[[], Any], reason: str):
    """The import itself, audited with the weekly schedule before and after it."""
    before = _schedule_rows(db, semester, day)
    report = run()
    db.flush()
    after = {"rows": _schedule_rows(db, semester, day), "from": day, "reason": reason}
    audit(db, "schedule.import", "semester", semester.id, {"rows": before}, after)
    return report


def _checked_import(db: Session, run: Callable[[], Any], path: Path) -> Any:
    """The import's validation report without writing anything, or why the file is refused."""
    savepoint = db.begin_nested()
    try:
        return run()
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        return f"导入失败：{shorten(str(exc), 200)}"
    except Exception:  # a corrupt workbook must not become a 500
        path.unlink(missing_ok=True)
        return "导入失败：文件无法读取，请确认是 Excel（.xlsx）或 CSV 文件"
    finally:
        savepoint.rollback()
        db.expire_all()

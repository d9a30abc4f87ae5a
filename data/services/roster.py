"""The roster import from the workbench (SPEC §6, §7): preview, write, and the initial passwords.

``preview`` runs the importer in a savepoint and rolls it back, so the counselor sees the new
people, the profile changes and who goes in post before anything is saved; ``write`` runs the
same import for real with one audit entry. New accounts' initial passwords are never stored in
the database in plain text: ``PasswordStash`` keeps them in a server-side file (owner-only) for
``PASSWORD_HOURS`` hours, and each of the two outputs (sheet, slips) can be fetched once; the
file is deleted when both were fetched or when it expires.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from data.importers import ImportFileError, ImportReport, default_appointment_day, import_roster
from data.inputs import shorten
from data.models import Semester, Team, User
from data.services import Refused, audit

PASSWORD_HOURS = 8  # long enough to print after the import, short enough not to linger
PASSWORD_USES = ("sheet", "slips")
PASSWORD_COLUMNS = ("学号", "姓名", "初始密码", "登录地址")
TOKEN = re.compile(r"([0-9]{1,10})-[0-9a-f]{32}")  # ASCII digits: an id, int() stays cheap


@dataclass(frozen=True)
class InPost:
    """本学期在岗: the semester and the date the roster's 助管/团长 are appointed from."""

    semester: Semester
    day: date


def in_post(semester: Semester, day: date | None, today: date) -> InPost:
    """The semester and its appointment date (SPEC §7 default when ``day`` is None)."""
    return InPost(semester, day or default_appointment_day(semester, today))


def preview(
    session: Session, actor: User, path: Path, *, skip_bad: bool, post: InPost | None
) -> ImportReport:
    """What the import would do, with nothing written (a savepoint rolled back)."""
    savepoint = session.begin_nested()
    try:
        return _run(session, actor, path, skip_bad, post)
    finally:
        savepoint.rollback()
        session.expire_all()


def write(
    session: Session,
    actor: User,
    path: Path,
    *,
    skip_bad: bool,
    post: InPost | None,
    at: datetime,
    ip: str = "",
) -> ImportReport:
    """The import itself; with bad rows and no ``skip_bad`` nothing is written."""
    report = _run(session, actor, path, skip_bad, post)
    if not report.written:
        return report
    after = {
        "rows": report.rows_written,
        "skipped": report.skipped,
        "created": [username for username, _name, _password in report.passwords],
        "updated": {c.username: [list(f) for f in c.fields] for c in report.changes},
        "unchanged": report.unchanged,
    }
    if post is not None:
        after |= {"semester": post.semester.name, "from": post.day, "appointed": report.appointed}
    audit(session, actor, "roster.import", "team", actor.team_id, None, after, at=at, ip=ip)
    return report


def _run(
    session: Session, actor: User, path: Path, skip_bad: bool, post: InPost | None
) -> ImportReport:
    team = session.get(Team, actor.team_id) if actor.team_id else None
    if team is None:
        raise Refused("当前账号不属于任何团队，不能导入名单。")
    if post is not None and post.semester.team_id != team.id:
        raise Refused("所选学期不属于本团队。")
    try:
        return import_roster(
            session,
            path,
            team=team,
            skip_bad=skip_bad,
            semester=post.semester if post else None,
            appointed_on=post.day if post else None,
            actor_id=actor.id,
        )
    except ImportFileError as exc:
        raise Refused(f"导入失败：{shorten(str(exc), 200)}") from None
    except (ValueError, KeyError, OSError, EOFError):  # a corrupt workbook is not a 500
        raise Refused("导入失败：文件无法读取，请确认是 Excel（.xlsx）或 CSV 文件") from None


def password_frames(rows: list[list[str]], login_url: str) -> dict[str, pd.DataFrame]:
    """The sheet handed to the counselor: 学号, 姓名, 初始密码, 登录地址."""
    data = [[username, name, password, login_url] for username, name, password in rows]
    return {"初始密码": pd.DataFrame(data, columns=list(PASSWORD_COLUMNS), dtype=object)}


class PasswordStash:
    """Initial passwords of one import, in ``directory``, readable by their counselor only."""

    def __init__(self, directory: Path, hours: int = PASSWORD_HOURS) -> None:
        self.directory = directory
        self.seconds = hours * 3600

    def put(self, actor_id: int, rows: list[tuple[str, str, str]]) -> str:
        """Keep ``rows`` (学号, 姓名, 初始密码); the token to fetch them with."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sweep()
        token = f"{actor_id}-{secrets.token_hex(16)}"
        self._save(token, {"rows": [list(r) for r in rows], "used": []})
        return token

    def take(self, actor_id: int, token: str, use: str) -> list[list[str]] | None:
        """The rows for ``use`` (sheet or slips) once; None if foreign, used or expired."""
        match = TOKEN.fullmatch(token or "")
        if match is None or int(match.group(1)) != actor_id or use not in PASSWORD_USES:
            return None
        self._sweep()
        path = self.directory / f"{token}.json"
        try:
            created = path.stat().st_mtime
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if use in stored["used"]:
            return None
        stored["used"].append(use)
        if set(stored["used"]) >= set(PASSWORD_USES):
            path.unlink(missing_ok=True)
        else:
            self._save(token, stored)
            os.utime(path, (created, created))  # a fetch does not extend the stash's life
        return stored["rows"]

    def _save(self, token: str, stored: dict) -> None:
        # Written owner-only and renamed into place, so no reader sees half a file.
        tmp = self.directory / f"{token}.partial"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(stored, handle, ensure_ascii=False)
        tmp.replace(self.directory / f"{token}.json")

    def _sweep(self) -> None:
        """Delete stashes older than the limit (by creation time, kept as the file's mtime)."""
        if not self.directory.is_dir():
            return
        limit = time.time() - self.seconds
        for path in self.directory.glob("*.json"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

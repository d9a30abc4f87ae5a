"""What the three imports share: file formats, the report, row errors and lookups."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import User
from data.tabular import MAX_UPLOAD_ROWS, Row, TableError, read_table

ROSTER_COLUMNS = (
    "学号",
    "姓名",
    "性别",
    "学历层次",
    "年级",
    "专业",
    "手机",
    "QQ",
    "政治面貌",
    "家庭经济困难",
    "角色",
    "岗位",
)
ROSTER_OPTIONAL = ("邮箱",)
SCHEDULE_COLUMNS = ("学号", "星期", "开始", "结束", "岗位")
EVENT_COLUMNS = ("学号", "时间", "动作")

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
QQ_RE = re.compile(r"^[1-9][0-9]{4,11}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, bad header, empty…)."""


@dataclass(frozen=True)
class ProfileChange:
    """The roster fields that changed for one existing person: (column, old, new)."""

    username: str
    name: str
    fields: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        shown = "；".join(f"{column} {old or '（空）'} → {new}" for column, old, new in self.fields)
        return f"{self.username} {self.name}：{shown}"


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行［{self.column}］：{self.reason}"


@dataclass
class ImportReport:
    """What an import did: counts of users (roster), shifts (schedule) or events (events)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # schedule: shifts no longer in the file, ended from the date
    from_day: date | None = None  # schedule: the date the imported schedule applies from
    attached: int = 0  # events: attached to a scheduled duty
    duplicates: int = 0  # events already recorded, skipped without error
    skipped: int = 0  # bad rows left out because of skip_bad
    rows_written: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    passwords: list[tuple[str, str, str]] = field(default_factory=list)  # 学号, 姓名, 初始密码
    notes: list[str] = field(default_factory=list)
    # Roster: profile changes of existing people, and who was put in post ("学号 姓名").
    changes: list[ProfileChange] = field(default_factory=list)
    appointed: list[str] = field(default_factory=list)
    in_post: list[str] = field(default_factory=list)  # already in post, left alone
    not_appointed: list[str] = field(default_factory=list)  # left or turned down, left alone

    @property
    def rejected(self) -> bool:
        """Bad rows were found and nothing was written."""
        return bool(self.errors) and not self.written


class Errors:
    """Collects row errors; a row with any error is bad."""

    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.rows: set[int] = set()

    def add(self, row: int, column: str, reason: str) -> None:
        self.items.append(RowError(row, column, reason))
        self.rows.add(row)

    def __bool__(self) -> bool:
        return bool(self.items)

    def report(self, skip_bad: bool) -> ImportReport:
        report = ImportReport(errors=sorted(self.items))
        if skip_bad:
            report.skipped = len(self.rows)
        return report


def read_rows(
    path: str | Path,
    columns: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int | None = MAX_UPLOAD_ROWS,
) -> list[Row]:
    """The file's data rows (``read_table``), file-level problems as ``ImportFileError``."""
    try:
        return read_table(path, columns, optional, max_rows)
    except TableError as exc:
        raise ImportFileError(str(exc)) from exc


def users_by_username(session: Session, usernames: Sequence[str]) -> list[User]:
    found: list[User] = []
    for start in range(0, len(usernames), 500):
        chunk = usernames[start : start + 500]
        found.extend(session.scalars(select(User).where(User.username.in_(chunk))))
    return found


def known_user(row: Row, users: dict[str, User], errors: Errors, unknown: str) -> User | None:
    username = row["学号"]
    if not username:
        errors.add(row.number, "学号", "学号不能为空")
        return None
    user = users.get(username)
    if user is None:
        errors.add(row.number, "学号", f"{unknown}：{username}")
    elif not user.active:
        errors.add(row.number, "学号", f"账号已停用：{username}")
    return user


def flag_duplicates(
    keys: Iterable[tuple[int, object]],
    errors: Errors,
    column: str,
    reason: Callable[[object], str],
) -> None:
    """Mark every row whose key also appears on another row."""
    rows_by_key: dict[object, list[int]] = defaultdict(list)
    for row, key in keys:
        rows_by_key[key].append(row)
    for key, rows in rows_by_key.items():
        if len(rows) < 2:
            continue
        for row in rows:
            others = "、".join(str(r) for r in rows if r != row)
            errors.add(row, column, f"{reason(key)}（另见第 {others} 行）")

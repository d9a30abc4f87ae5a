"""Whole-database backups and restores: SQLite snapshots, PostgreSQL ``pg_dump`` archives.

Flask-free: the CLI (``data/cli/backup.py``) turns ``BackupError`` into its one-line message.
A backup is written to ``<name>.partial`` and linked into place only when complete, so a
crash never leaves a file that looks like a backup. A restore checks the file first, refuses
a database holding any row unless forced, and migrates the restored schema to head.
Restores are meant for a stopped app (README "Deploying").
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, literal, select
from sqlalchemy.engine import URL, make_url

from data.db import SQLITE_BUSY_TIMEOUT_MS, Database
from data.migrate import upgrade
from data.models import Base

SQLITE_HEADER = b"SQLite format 3\x00"
PREFIX = "zhuguantong-"
STAMPED = re.compile(r"zhuguantong-\d{8}-\d{6}\.(sqlite3|dump)")
TOOL_TIMEOUT_SECONDS = 3600  # a stuck pg_dump must not hang the nightly timer forever


class BackupError(Exception):
    """A refused or failed backup or restore; ``str()`` is the one-line Chinese message."""


def suffix(db: Database) -> str:
    """The file extension of this database's backups."""
    return ".sqlite3" if db.is_sqlite else ".dump"


def backup_to(db: Database, path: Path) -> None:
    """Write a consistent copy of ``db`` to ``path``; refuses an existing path."""
    if path.exists():
        raise BackupError(f"目标文件已存在：{path}")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        if db.is_sqlite:
            _sqlite_snapshot(db, tmp)
        else:
            _pg_dump(db.url, tmp)
        os.chmod(tmp, 0o600)  # password hashes and personal data: owner only
        os.link(tmp, path)  # fails instead of overwriting a file that appeared meanwhile
    except BackupError:
        raise
    except FileExistsError:
        raise BackupError(f"目标文件已存在：{path}") from None
    except Exception as exc:
        raise BackupError(f"备份失败：{one_line(exc)}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def backup_into(
    db: Database, directory: Path, keep: int | None, now: datetime
) -> tuple[Path, list[Path]]:
    """A time-stamped backup in ``directory``; with ``keep``, only the newest ``keep`` stay."""
    path = directory / f"{PREFIX}{now:%Y%m%d-%H%M%S}{suffix(db)}"
    backup_to(db, path)
    return path, rotate(directory, keep, suffix(db)) if keep else []


def rotate(directory: Path, keep: int, extension: str) -> list[Path]:
    """Delete all but the newest ``keep`` time-stamped backups with ``extension``."""
    stamped = sorted(
        p for p in directory.iterdir() if STAMPED.fullmatch(p.name) and p.suffix == extension
    )
    old = stamped[: max(len(stamped) - keep, 0)]
    for path in old:
        path.unlink()
    return old


def restore_from(db: Database, path: Path, force: bool = False) -> None:
    """Replace the database's content with the backup at ``path`` and migrate it to head."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    tables = check_sqlite_file(path) if db.is_sqlite else archive_tables(path)
    try:
        if not force and has_rows(db.engine):
            raise BackupError("数据库中已有数据，恢复会覆盖它们；确认覆盖请加 --force")
        if db.is_sqlite:
            _restore_sqlite(db, path)
        else:
            _restore_pg(db, path, tables)
        upgrade(db.engine)  # an older backup gets the migrations written since
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(f"恢复失败：{one_line(exc)}") from exc


def has_rows(engine: Engine) -> bool:
    """Whether any of the app's tables holds a row (tables not created yet count as empty)."""
    present = set(inspect(engine).get_table_names())
    tables = [t for t in Base.metadata.sorted_tables if t.name in present]
    with engine.connect() as connection:
        return any(connection.scalar(select(literal(1)).select_from(t).limit(1)) for t in tables)


def one_line(error: BaseException | str) -> str:
    """An error as one line: a tool's error line, an exception's first (driver) line."""
    if isinstance(error, str):
        lines = [line.strip() for line in error.splitlines() if line.strip()]
        # pg_dump/pg_restore: "pg_dump: error: …" then hints; warnings may come before it.
        errors = [line for line in lines if "error:" in line]
        return (errors or lines or ["?"])[0 if errors else -1]
    # SQLAlchemy wraps the driver's error and appends a "Background on this error" link.
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_snapshot(db: Database, tmp: Path) -> None:
    # VACUUM INTO gives a transactionally consistent snapshot even while the door writes.
    # It cannot run inside a transaction, so it goes on the bare DB-API connection.
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(tmp),))
    finally:
        raw.close()


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def check_sqlite_file(path: Path) -> set[str]:
    """The tables of a valid 助管通 SQLite backup; BackupError for anything else."""
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"不是 SQLite 数据库文件：{path}")
    try:
        with closing(_read_only(path)) as conn:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏：{one_line(exc)}") from None
    if verdict != ["ok"]:
        raise BackupError(f"备份文件未通过完整性检查：{one_line(verdict[0])}")
    if "alembic_version" not in names:
        raise BackupError(f"不是助管通的备份（没有 alembic_version 表）：{path}")
    return names


def _restore_sqlite(db: Database, path: Path) -> None:
    target = db.engine.url.database
    if not target or target == ":memory:":
        raise BackupError("内存数据库无法恢复")
    db.dispose()
    # SQLite's backup API writes the pages into the live file in one write transaction
    # (atomic, WAL included) rather than swapping files: a connection still open elsewhere
    # sees the restored content instead of writing on into an unlinked old file.
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    with closing(_read_only(path)) as source, closing(sqlite3.connect(target, timeout)) as live:
        source.backup(live)


# --- PostgreSQL ----------------------------------------------------------------------------


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """DATABASE_URL as a libpq URI for pg_dump/pg_restore, the password apart (for PGPASSWORD)."""
    parsed = make_url(url)
    uri = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    env = {"PGPASSWORD": str(parsed.password)} if parsed.password else {}
    return uri.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict[str, str] | None = None) -> str:
    """Run a PostgreSQL client tool; its stdout, or BackupError with its last error line."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"找不到 {tool}，请安装 postgresql-client")
    try:
        done = subprocess.run(
            [program, *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{tool} 超时（{TOOL_TIMEOUT_SECONDS} 秒）") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} 失败：{one_line(done.stderr or f'exit {done.returncode}')}")
    return done.stdout


def _pg_dump(url: str, tmp: Path) -> None:
    uri, env = libpq_target(url)
    # The password goes through the environment: a command line is visible to every user.
    _run("pg_dump", ["--format=custom", "--no-owner", f"--file={tmp}", f"--dbname={uri}"], env)


def archive_tables(path: Path) -> set[str]:
    """The tables in a pg_dump custom archive; BackupError if it is not one."""
    listing = _run("pg_restore", ["--list", str(path)])
    tables = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, re.MULTILINE))
    if "alembic_version" not in tables:
        raise BackupError(f"不是助管通的备份（没有 alembic_version 表）：{path}")
    return tables


def _restore_pg(db: Database, path: Path, tables: set[str]) -> None:
    # --clean drops only what the archive holds: a table added by a later migration would
    # stay and break the upgrade after the restore, so refuse before changing anything.
    extra = sorted(set(inspect(db.engine).get_table_names()) - tables)
    if extra:
        raise BackupError(f"数据库里有备份中没有的表（{'、'.join(extra)}）：请新建空数据库后再恢复")
    db.dispose()
    uri, env = libpq_target(db.url)
    options = ["--clean", "--if-exists", "--no-owner", f"--dbname={uri}"]
    # One transaction, all or nothing: a failed restore leaves the old content.
    _run("pg_restore", [*options, "--single-transaction", str(path)], env)

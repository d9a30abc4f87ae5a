"""backup PATH / backup --into DIR --keep N / restore PATH [--force] (SQLite; PostgreSQL too)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text

from data.backup import libpq_target
from data.db import Database
from data.migrate import alembic_config, upgrade
from data.models import Semester
from tests.conftest import DEMO_TODAY
from tests.workbooks import assert_same_workbooks

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
SCRATCH = "zgt_restore_test"  # a database of its own: `test` is the suite's


def make_app(url: str, tmp_path: Path):
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret-key"})
    app.instance_path = str(tmp_path / "instance")
    return app


def ok(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def export(app, semester: str, path: Path) -> Path:
    ok(app, "export-report", semester, str(path), "--as-of", DEMO_TODAY.isoformat())
    return path


def semester_names(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(Semester.name).order_by(Semester.start)))


@pytest.fixture
def sqlite_only(database_url):
    if TEST_DATABASE_URL:
        pytest.skip("the SQLite variant (the PostgreSQL one is test_postgresql_round_trip)")


def test_backup_restore_into_an_empty_database_gives_the_same_workbooks(
    sqlite_only, demo_app, demo_db, tmp_path
):
    backup = tmp_path / "zgt.sqlite3"
    ok(demo_app, "backup", str(backup))
    restored = make_app(f"sqlite:///{tmp_path / 'restored' / 'zgt.db'}", tmp_path)
    try:
        assert "已从" in ok(restored, "restore", str(backup))
        names = semester_names(demo_db)
        assert len(names) == 2 and semester_names(restored.extensions["zhuguantong.db"]) == names
        for i, name in enumerate(names):
            assert_same_workbooks(
                export(demo_app, name, tmp_path / f"before-{i}.xlsx"),
                export(restored, name, tmp_path / f"after-{i}.xlsx"),
            )
    finally:
        restored.extensions["zhuguantong.db"].dispose()


def test_restore_refuses_a_database_with_data_unless_forced(sqlite_only, app, team, db, tmp_path):
    backup = tmp_path / "zgt.sqlite3"
    ok(app, "backup", str(backup))
    with db.session() as s:
        s.add(Semester(team_id=team.team_id, name="备份之后", start=DEMO_TODAY, end=DEMO_TODAY))
    assert "--force" in refused(app, "restore", str(backup))
    assert semester_names(db) == ["2026秋", "备份之后"]
    ok(app, "restore", str(backup), "--force")
    assert semester_names(db) == ["2026秋"]
    with db.session() as s:  # the restored file is a working WAL database
        assert s.scalar(text("PRAGMA integrity_check")) == "ok"


def test_restore_checks_the_file_before_touching_the_database(sqlite_only, app, tmp_path):
    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_text("学号,姓名\n")
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("create table t (x)")
    cases = [
        (tmp_path / "missing.sqlite3", "不存在"),
        (not_sqlite, "不是 SQLite"),
        (broken, "损坏"),
        (foreign, "不是助管通的备份"),
    ]
    for path, message in cases:
        assert message in refused(app, "restore", str(path), "--force")
    with app.extensions["zhuguantong.db"].engine.connect() as conn:
        assert conn.scalar(text("select count(*) from alembic_version")) == 1


def test_restore_migrates_an_older_backup_to_head(sqlite_only, tmp_path):
    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    upgrade(engine, "0003")
    engine.dispose()
    app = make_app(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    try:
        ok(app, "restore", str(old))
        with app.extensions["zhuguantong.db"].engine.connect() as conn:
            version = conn.scalar(text("select version_num from alembic_version"))
    finally:
        app.extensions["zhuguantong.db"].dispose()
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert version == head != "0003"


def test_backup_into_keeps_only_the_newest(sqlite_only, app, team, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    olds = [folder / f"zhuguantong-20250101-00000{i}.sqlite3" for i in range(3)]
    others = [
        folder / "notes.txt",
        folder / "zhuguantong-20250101-000009.sqlite3.partial",  # an interrupted run
        folder / "zhuguantong-20250101-000000.dump",  # the other database kind
    ]
    for path in olds + others:
        path.write_bytes(b"old")
    output = ok(app, "backup", "--into", str(folder), "--keep", "2")
    assert "删除了 2 份旧备份" in output
    kept = sorted(p.name for p in folder.glob("zhuguantong-*.sqlite3"))
    assert kept[0] == olds[2].name and len(kept) == 2
    new = folder / kept[1]
    assert new.name.startswith("zhuguantong-2") and oct(new.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(new) as conn:
        assert conn.execute("select count(*) from user").fetchone()[0] == 6
    assert all(p.exists() for p in others)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backup"], "--into"),
        (["backup", "x.sqlite3", "--into", "dir"], "--into"),
        (["backup", "x.sqlite3", "--keep", "3"], "--keep"),
        (["backup", "--into", "dir", "--keep", "0"], "--help"),
        (["restore"], "--help"),
    ],
)
def test_usage_errors_are_one_line(app, args, message):
    assert message in refused(app, *args)


def test_libpq_target_keeps_the_password_off_the_command_line():
    uri, env = libpq_target("postgresql+psycopg://zgt:p%40ss@db.example:5433/zgt?sslmode=require")
    assert uri == "postgresql://zgt@db.example:5433/zgt?sslmode=require"
    assert env == {"PGPASSWORD": "p@ss"}
    assert libpq_target("postgresql+psycopg://zgt@/zgt") == ("postgresql://zgt@/zgt", {})


@pytest.fixture
def scratch_url():
    """An empty PostgreSQL database beside the suite's (created and dropped here)."""
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL")
    admin = Database(TEST_DATABASE_URL)
    drop = text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(drop)
        conn.execute(text(f"CREATE DATABASE {SCRATCH}"))
    yield admin.engine.url.set(database=SCRATCH).render_as_string(hide_password=False)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(drop)
    admin.dispose()


@pytest.mark.db
def test_postgresql_round_trip(scratch_url, app, team, db, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text(
        "学号,时间,动作\n2023101,2026-09-16 08:10,签到\n2023101,2026-09-16 10:00,签退\n"
    )
    ok(app, "import-events", str(events))
    backup = tmp_path / "zgt.dump"
    ok(app, "backup", str(backup))
    restored = make_app(scratch_url, tmp_path)
    try:
        ok(restored, "restore", str(backup))
        assert "--force" in refused(restored, "restore", str(backup))
        ok(restored, "restore", str(backup), "--force")
        assert_same_workbooks(
            export(app, "2026秋", tmp_path / "before.xlsx"),
            export(restored, "2026秋", tmp_path / "after.xlsx"),
        )
        with restored.extensions["zhuguantong.db"].session() as s:
            assert s.scalar(select(func.count()).select_from(Semester)) == 1
    finally:
        restored.extensions["zhuguantong.db"].dispose()

"""init-db, create-user, create-semester and backup."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from data.models import Role, Semester, Team, User

pytestmark = pytest.mark.db


def test_init_db_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "数据库已就绪" in result.output


def test_create_user_prints_a_one_time_password(runner, db):
    result = runner.invoke(
        args=["create-user", "T100", "陈老师", "--role", "兼辅", "--team", "物理学院助管团"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("初始密码：")[1].split("（")[0]
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == "T100"))
        assert user.role is Role.counselor and user.team.name == "物理学院助管团"
        assert user.must_change_password and user.check_password(password)
        assert password not in user.password_hash


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "T100", "陈老师", "--role", "校长"], "未知角色"),
        (["create-user", " ", "陈老师"], "不能为空"),
    ],
)
def test_create_user_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_create_user_refuses_a_duplicate(runner, team, db):
    result = runner.invoke(args=["create-user", team.counselor, "重名"])
    assert result.exit_code != 0 and "已存在" in result.output
    with db.session() as s:
        assert s.scalar(select(func.count(User.id)).where(User.username == team.counselor)) == 1


def test_create_semester(runner, team, db):
    result = runner.invoke(args=["create-semester", "2027春", "2027-02-22", "2027-07-02"])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        assert (
            s.scalar(select(Semester).where(Semester.name == "2027春")).end.isoformat()
            == "2027-07-02"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-semester", "X", "2027-02-30", "2027-07-02"], "日期格式"),
        (["create-semester", "X", "2027-07-02", "2027-02-22"], "必须晚于"),
        (["create-semester", "X", "2026-10-01", "2026-12-01"], "重叠"),
        (["create-semester", "2026秋", "2030-01-01", "2030-06-01"], "已存在"),
    ],
)
def test_create_semester_refuses_bad_input(runner, team, db, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    with db.session() as s:
        assert s.scalar(select(func.count(Semester.id))) == 1


@pytest.mark.parametrize(
    ("team_args", "team_name"), [([], "默认团队"), (["--team", "数理团"], "数理团")]
)
def test_create_semester_on_an_empty_database_creates_the_team(runner, db, team_args, team_name):
    result = runner.invoke(args=["create-semester", "X", "2027-02-22", "2027-07-02", *team_args])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        semester = s.scalar(select(Semester))
        assert (semester.name, semester.team.name) == ("X", team_name)
        assert (semester.start.isoformat(), semester.end.isoformat()) == (
            "2027-02-22",
            "2027-07-02",
        )
        assert s.scalar(select(func.count(Team.id))) == 1
    # The one team is used from now on without --team.
    again = runner.invoke(args=["create-semester", "Y", "2027-09-01", "2028-01-15"])
    assert again.exit_code == 0, again.output
    with db.session() as s:
        assert s.scalar(select(func.count(Team.id))) == 1
        assert {x.team.name for x in s.scalars(select(Semester))} == {team_name}


def test_create_semester_with_several_teams_needs_team(runner, team, db):
    with db.session() as s:
        s.add(Team(name="外院助管团"))
    result = runner.invoke(args=["create-semester", "2027春", "2027-02-22", "2027-07-02"])
    assert "--team" in one_line_error(result)
    chosen = runner.invoke(
        args=["create-semester", "2027春", "2026-10-01", "2026-12-01", "--team", "外院助管团"]
    )
    # Another team's semester may overlap: the check is per team.
    assert chosen.exit_code == 0, chosen.output
    with db.session() as s:
        semester = s.scalar(select(Semester).where(Semester.name == "2027春"))
        assert semester.team.name == "外院助管团"


@pytest.mark.parametrize(
    "args",
    [
        ["create-semester", "X", "2027/02/22", "2027-07-02"],
        ["create-semester", "X", "2027-02-22", "七月"],
        ["create-semester", " ", "2027-02-22", "2027-07-02"],
        ["create-semester", "X", "2027-02-22", "2027-02-21"],
        ["create-semester", "X", "2027-02-22", "2027-07-02", "--team", "不存在"],
    ],
)
def test_create_semester_bad_input_is_one_line_and_writes_nothing(runner, db, args):
    with db.session() as s:
        s.add(Team(name="数学与物理学院助管团"))
    result = runner.invoke(args=args)
    one_line_error(result)
    with db.session() as s:
        assert s.scalar(select(func.count(Semester.id))) == 0
        assert s.scalar(select(func.count(Team.id))) == 1


def test_create_semester_refusal_on_an_empty_database_creates_no_team(runner, db):
    result = runner.invoke(args=["create-semester", "X", "2027-07-02", "2027-02-22"])
    assert "必须晚于" in one_line_error(result)
    with db.session() as s:
        assert s.scalar(select(func.count(Team.id))) == 0


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_backup_writes_a_consistent_copy(runner, team, db, tmp_path):
    if not db.is_sqlite:
        pytest.skip("this test reads the SQLite copy; PostgreSQL backups: test_cli_backup.py")
    target = tmp_path / "backups" / "zgt.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("select count(*) from user").fetchone()[0] == 6
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "已存在" in again.output


@pytest.mark.parametrize(
    "args",
    [
        ["create-semester", "X", "2027-02-22"],  # END missing
        ["create-semester", "X", "2027-02-22", "2027-07-02", "--colour", "red"],
        ["import-roster"],
        ["export-report", "2026秋"],
        ["seed-demo", "--today", "明天"],
    ],
)
def test_usage_errors_are_one_line(runner, db, args):
    result = runner.invoke(args=args)
    assert "--help" in one_line_error(result)
    with db.session() as s:
        assert s.scalar(select(func.count(Team.id))) == 0

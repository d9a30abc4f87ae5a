"""import-roster, import-schedule and import-events on the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data.importers import EVENT_COLUMNS, ROSTER_COLUMNS, SCHEDULE_COLUMNS
from data.models import CheckEvent, Shift, ShiftAssignment, Team, User

pytestmark = pytest.mark.db


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def roster_row(username: str, name: str, **fields: str) -> list[str]:
    values = dict.fromkeys(ROSTER_COLUMNS, "") | {"学号": username, "姓名": name} | fields
    return [values[column] for column in ROSTER_COLUMNS]


def counts(db) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m))
            for m in (User, Team, Shift, ShiftAssignment, CheckEvent)
        )


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


ROSTER = [
    list(ROSTER_COLUMNS),
    roster_row("2024201", "陈六", 角色="助管", 家庭经济困难="是"),
    roster_row("2024202", "周七", 角色="团长"),
]


def test_import_roster_prints_passwords_once(runner, db, tmp_path):
    path = write_csv(tmp_path / "roster.csv", ROSTER, "gb18030")
    result = runner.invoke(args=["import-roster", str(path), "--team", "数理学院助管团"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("导入名单：新增 2 人，更新 0 人，未变 0 人")
    lines = [line.split("\t") for line in result.output.splitlines() if line.count("\t") == 2]
    assert lines[0] == ["学号", "姓名", "初始密码"]
    passwords = {username: password for username, _name, password in lines[1:]}
    assert set(passwords) == {"2024201", "2024202"}
    with db.session() as s:
        for username, password in passwords.items():
            user = s.scalar(select(User).where(User.username == username))
            assert user.check_password(password) and user.must_change_password
            assert user.team.name == "数理学院助管团"

    again = runner.invoke(args=["import-roster", str(path)])
    assert again.exit_code == 0, again.output
    assert "初始密码" not in again.output and "未变 2 人" in again.output


def test_import_roster_writes_passwords_file(runner, team, db, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", ROSTER)
    secrets_path = tmp_path / "passwords.csv"
    result = runner.invoke(args=["import-roster", str(path), "--passwords-file", str(secrets_path)])
    assert result.exit_code == 0, result.output
    assert "已写入" in result.output
    raw = secrets_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["学号", "姓名", "初始密码"] and len(rows) == 3
    for _username, _name, password in rows[1:]:
        assert password not in result.output
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == rows[1][0]))
        assert user.check_password(rows[1][2]) and user.team_id == team.team_id

    # An existing passwords file is never overwritten.
    again = runner.invoke(args=["import-roster", str(path), "--passwords-file", str(secrets_path)])
    assert "密码文件已存在" in one_line_error(again)
    assert secrets_path.read_bytes() == raw


def test_import_roster_bad_rows_write_nothing(runner, team, db, tmp_path):
    before = counts(db)
    rows = [*ROSTER, roster_row("2024203", "吴八", 角色="校长"), roster_row("2024201", "陈六")]
    path = write_csv(tmp_path / "roster.csv", rows, "utf-8-sig")
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 1
    assert "第 4 行［角色］" in result.stderr
    assert "第 2 行［学号］" in result.stderr and "第 5 行［学号］" in result.stderr
    assert "3 行数据有问题，未导入任何数据" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.output
    assert counts(db) == before


def test_import_roster_skip_bad(runner, team, db, tmp_path):
    rows = [*ROSTER, roster_row("2024203", "吴八", 角色="校长")]
    path = write_csv(tmp_path / "roster.csv", rows)
    result = runner.invoke(args=["import-roster", str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "第 4 行［角色］" in result.stderr
    assert "新增 2 人" in result.stdout and "跳过有问题的 1 行" in result.stdout
    with db.session() as s:
        assert s.scalar(select(User).where(User.username == "2024203")) is None


def test_import_roster_no_team_is_created_on_failure(runner, db, tmp_path):
    path = write_csv(tmp_path / "roster.csv", [*ROSTER, roster_row("x y", "坏")])
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 1
    assert counts(db) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("roster.xls", b"x", "不支持的文件类型 .xls"),
        ("missing.csv", None, "找不到文件"),
        ("bytes.csv", b"\xff\xfe\x00\x81\xff", "无法识别文件编码"),
        ("empty.csv", b"", "文件为空"),
        ("header.csv", ",".join(ROSTER_COLUMNS).encode(), "没有数据行"),
        ("unknown.csv", "学号,名字\n1,2\n".encode(), "未知的表头“名字”"),
    ],
)
def test_import_roster_file_errors(runner, team, db, tmp_path, name, content, message):
    before = counts(db)
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(args=["import-roster", str(path)])
    assert message in one_line_error(result)
    assert counts(db) == before


def test_import_roster_unknown_team(runner, team, tmp_path):
    path = write_csv(tmp_path / "roster.csv", ROSTER)
    result = runner.invoke(args=["import-roster", str(path), "--team", "不存在"])
    assert "找不到团队" in one_line_error(result)


SCHEDULE = [
    list(SCHEDULE_COLUMNS),
    ["2023101", "周一", "08:00", "10:00", "学工办"],
    ["2023102", "周一", "08:00", "10:00", "学工办"],
    ["2023103", "5", "14:00", "16:00", "图书馆"],
]


def test_import_schedule(runner, team, db, tmp_path):
    path = write_xlsx(tmp_path / "schedule.xlsx", SCHEDULE)
    result = runner.invoke(args=["import-schedule", "2026秋", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入值班表（2026秋）：3 条安排" in result.output
    assert "新增 1 个" in result.output and "删除 3 个" in result.output
    with db.session() as s:
        assert s.scalar(select(func.count(Shift.id))) == 2
        assert s.scalar(select(func.count(ShiftAssignment.id))) == 3


def test_import_schedule_bad_rows_write_nothing(runner, team, db, tmp_path):
    before = counts(db)
    rows = [
        *SCHEDULE,
        ["9999999", "周一", "08:00", "10:00", "学工办"],
        ["2023101", "2", "9:00", "8:00", "学工办"],
    ]
    path = write_csv(tmp_path / "schedule.csv", rows, "gb18030")
    result = runner.invoke(args=["import-schedule", "2026秋", str(path)])
    assert result.exit_code == 1
    assert "第 5 行［学号］：学号不在本团队名单中：9999999" in result.stderr
    assert "第 6 行［结束］" in result.stderr
    assert counts(db) == before

    result = runner.invoke(args=["import-schedule", "2026秋", str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "3 条安排" in result.stdout and "跳过有问题的 2 行" in result.stdout


def test_import_schedule_unknown_semester(runner, team, tmp_path):
    path = write_csv(tmp_path / "schedule.csv", SCHEDULE)
    result = runner.invoke(args=["import-schedule", "2030春", str(path)])
    assert "找不到学期：2030春" in one_line_error(result)


EVENTS = [
    list(EVENT_COLUMNS),
    ["2023101", "2026-09-09 07:58", "签到"],
    ["2023101", "2026-09-09 10:00", "签退"],
]


def test_import_events(runner, team, db, tmp_path):
    path = write_csv(tmp_path / "events.csv", EVENTS, "utf-8-sig")
    result = runner.invoke(args=["import-events", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入签到记录：新增 2 条（对应到班次 2 条），已存在跳过 0 条" in result.output
    again = runner.invoke(args=["import-events", str(path), "--team", "数学与物理学院助管团"])
    assert again.exit_code == 0, again.output
    assert "新增 0 条" in again.output and "已存在跳过 2 条" in again.output
    assert counts(db)[-1] == 2


def test_import_events_bad_rows_write_nothing(runner, team, db, tmp_path):
    rows = [*EVENTS, ["9999999", "2026-09-09 07:58", "签到"], ["2023102", "2026-09-09 8点", "签到"]]
    path = write_xlsx(tmp_path / "events.xlsx", rows)
    result = runner.invoke(args=["import-events", str(path)])
    assert result.exit_code == 1
    assert "第 4 行［学号］" in result.stderr and "第 5 行［时间］" in result.stderr
    assert counts(db)[-1] == 0


def test_import_events_file_error(runner, team, tmp_path):
    path = write_csv(tmp_path / "events.csv", [["学号", "时间", "操作"], ["1", "2", "3"]])
    result = runner.invoke(args=["import-events", str(path)])
    assert "未知的表头“操作”" in one_line_error(result)

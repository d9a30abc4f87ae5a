"""import-roster, import-schedule and import-events on the command line."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data.importers import EVENT_COLUMNS, ROSTER_COLUMNS, SCHEDULE_COLUMNS
from data.models import (
    Appointment,
    AuditLog,
    CheckEvent,
    Shift,
    ShiftAssignment,
    Stage,
    Team,
    User,
)

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


def appointments(db) -> list[tuple]:
    with db.session() as s:
        rows = s.execute(
            select(Appointment.user_id, Appointment.stage, Appointment.appointed_on).order_by(
                Appointment.id
            )
        )
        return [tuple(row) for row in rows] + [("audit", s.scalar(select(func.count(AuditLog.id))))]


def test_import_roster_with_semester_puts_people_in_post(runner, team, db, tmp_path, monkeypatch):
    monkeypatch.setattr("data.cli.imports.local_today", lambda: date(2026, 10, 8))
    rows = [*ROSTER, roster_row("2023101", "张三", 角色="助管")]
    path = write_csv(tmp_path / "roster.csv", rows)
    result = runner.invoke(args=["import-roster", str(path), "--semester", "2026秋"])
    assert result.exit_code == 0, result.output
    assert "2026秋：2 人自 2026-10-08 起上岗：2024201 陈六、2024202 周七" in result.output
    assert "已在岗，未改动：2023101 张三" in result.output
    with db.session() as s:
        placed = s.execute(
            select(
                User.username, Appointment.stage, Appointment.appointed_on, Appointment.trial_start
            )
            .join(Appointment, Appointment.user_id == User.id)
            .where(User.username.in_(["2024201", "2024202"]))
            .order_by(User.username)
        ).all()
        assert [tuple(p) for p in placed] == [
            ("2024201", Stage.appointed, date(2026, 10, 8), None),
            ("2024202", Stage.appointed, date(2026, 10, 8), None),
        ]
        entries = s.scalars(select(AuditLog)).all()
        assert [(e.action, e.entity, e.actor_id) for e in entries] == [
            ("appointment.import", "appointment", None)
        ] * 2

    again = runner.invoke(args=["import-roster", str(path), "--semester", "2026秋"])
    assert again.exit_code == 0, again.output
    assert "起上岗" not in again.output
    assert "已在岗，未改动：2024201 陈六、2024202 周七、2023101 张三" in again.output
    with db.session() as s:
        assert s.scalar(select(func.count(AuditLog.id))) == 2


@pytest.mark.parametrize(
    ("today", "args", "expected"),
    [
        (date(2026, 8, 20), [], date(2026, 9, 7)),  # before the semester: its start
        (date(2027, 2, 1), [], date(2026, 9, 7)),  # after it: its start too
        (date(2026, 10, 8), ["--from", "2026-09-14"], date(2026, 9, 14)),
    ],
)
def test_import_roster_appointment_day(
    runner, team, db, tmp_path, monkeypatch, today, args, expected
):
    monkeypatch.setattr("data.cli.imports.local_today", lambda: today)
    path = write_csv(tmp_path / "roster.csv", ROSTER)
    result = runner.invoke(args=["import-roster", str(path), "--semester", "2026秋", *args])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        days = set(
            s.scalars(
                select(Appointment.appointed_on)
                .join(User, User.id == Appointment.user_id)
                .where(User.username.in_(["2024201", "2024202"]))
            )
        )
        assert days == {expected}


def test_import_roster_without_semester_puts_nobody_in_post(runner, team, db, tmp_path):
    before = appointments(db)
    result = runner.invoke(args=["import-roster", str(write_csv(tmp_path / "r.csv", ROSTER))])
    assert result.exit_code == 0, result.output
    assert "上岗" not in result.output
    assert appointments(db) == before


def test_import_roster_with_semester_on_an_empty_database(runner, db, tmp_path):
    path = write_csv(tmp_path / "roster.csv", ROSTER)
    result = runner.invoke(args=["import-roster", str(path), "--semester", "2026秋"])
    assert "找不到学期：2026秋" in one_line_error(result)
    assert counts(db) == (0, 0, 0, 0, 0)


def test_import_roster_prints_corrected_fields(runner, team, db, tmp_path):
    first = write_csv(
        tmp_path / "a.csv",
        [list(ROSTER_COLUMNS), roster_row("2023101", "张三", 手机="13900139000")],
    )
    assert runner.invoke(args=["import-roster", str(first)]).exit_code == 0
    rows = [
        [*ROSTER_COLUMNS, "邮箱"],
        [*roster_row("2023101", "张三", 手机="13900139001", 专业="物理学"), "zs@example.edu.cn"],
    ]
    result = runner.invoke(args=["import-roster", str(write_csv(tmp_path / "b.csv", rows))])
    assert result.exit_code == 0, result.output
    assert (
        "更新 2023101 张三：专业 （空） → 物理学；手机 13900139000 → 13900139001" in result.output
    )
    assert "初始密码" not in result.output
    with db.session() as s:
        person = s.scalar(select(User).where(User.username == "2023101"))
        assert (person.major, person.phone) == ("物理学", "13900139001")
        assert person.check_password("correct-horse-9")


SCHEDULE = [
    list(SCHEDULE_COLUMNS),
    ["2023101", "周一", "08:00", "10:00", "学工办"],
    ["2023102", "周一", "08:00", "10:00", "学工办"],
    ["2023103", "5", "14:00", "16:00", "图书馆"],
]


def test_import_schedule(runner, team, db, tmp_path):
    path = write_xlsx(tmp_path / "schedule.xlsx", SCHEDULE)
    result = runner.invoke(args=["import-schedule", "2026秋", str(path), "--from", "2026-10-05"])
    assert result.exit_code == 0, result.output
    assert "导入值班表（2026秋，自 2026-10-05 起生效）：3 条安排" in result.output
    assert "新增 1 个" in result.output and "结束 3 个" in result.output
    with db.session() as s:
        on = date(2026, 10, 5)
        shifts = [x for x in s.scalars(select(Shift)) if x.in_force(on)]
        assert len(shifts) == 2
        assert sum(len(x.assignments_on(on)) for x in shifts) == 3
        # The old schedule is kept for the days before: nothing past is deleted.
        assert s.scalar(select(func.count(Shift.id))) == 5
        before = [x for x in s.scalars(select(Shift)) if x.in_force(date(2026, 10, 4))]
        assert len(before) == 4


def test_import_schedule_from_outside_the_semester_is_refused(runner, team, db, tmp_path):
    path = write_xlsx(tmp_path / "schedule.xlsx", SCHEDULE)
    before = counts(db)
    for bad in ("2030-01-01", "2026-13-01"):
        result = runner.invoke(args=["import-schedule", "2026秋", str(path), "--from", bad])
        assert result.exit_code != 0
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert counts(db) == before


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
    assert result.output.strip() == "导入签到记录：新增 2 条（对应到班次 2 条）"
    again = runner.invoke(args=["import-events", str(path), "--team", "数学与物理学院助管团"])
    assert again.exit_code == 0, again.output
    assert "新增 0 条" in again.output and "已存在 2 条，跳过" in again.output
    assert counts(db)[-1] == 2


def test_import_events_before_the_semester_exists_then_again(runner, db, tmp_path):
    """Events may come first: stored without a duty, and a second run writes nothing."""
    roster = write_csv(
        tmp_path / "roster.csv", [list(ROSTER_COLUMNS), roster_row("2023101", "张三")]
    )
    assert runner.invoke(args=["import-roster", str(roster)]).exit_code == 0
    path = write_csv(tmp_path / "events.csv", EVENTS)
    first = runner.invoke(args=["import-events", str(path)])
    assert first.exit_code == 0, first.output
    assert "新增 2 条（对应到班次 0 条）" in first.output
    created = runner.invoke(args=["create-semester", "2026秋", "2026-09-07", "2027-01-15"])
    assert created.exit_code == 0, created.output
    again = runner.invoke(args=["import-events", str(path)])
    assert again.exit_code == 0, again.output
    assert "新增 0 条" in again.output and "已存在 2 条，跳过" in again.output
    with db.session() as s:
        stored = s.scalars(select(CheckEvent)).all()
        assert [(e.duty_date, e.shift_id) for e in stored] == [(None, None)] * 2


def test_import_events_bad_rows_write_nothing(runner, team, db, tmp_path):
    rows = [*EVENTS, ["9999999", "2026-09-09 07:58", "签到"], ["2023102", "2026-09-09 8点", "签到"]]
    path = write_xlsx(tmp_path / "events.xlsx", rows)
    result = runner.invoke(args=["import-events", str(path)])
    assert result.exit_code == 1
    assert "第 4 行［学号］" in result.stderr and "第 5 行［时间］" in result.stderr
    assert counts(db)[-1] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import-events", "{tmp}/missing.csv"], "找不到文件"),
        (["import-events", "{tmp}/events.csv", "--team", "不存在"], "找不到团队"),
        (["import-roster", "{tmp}/missing.csv"], "找不到文件"),
        (["import-roster", "{tmp}/roster.csv", "--semester", "2030春"], "找不到学期：2030春"),
        (
            ["import-roster", "{tmp}/roster.csv", "--semester", "2026秋", "--from", "2026/10/08"],
            "YYYY-MM-DD",
        ),
        (
            ["import-roster", "{tmp}/roster.csv", "--semester", "2026秋", "--from", "2026-09-06"],
            "不在学期",
        ),
        (
            ["import-roster", "{tmp}/roster.csv", "--semester", "2026秋", "--from", "2027-01-16"],
            "不在学期",
        ),
        (["import-roster", "{tmp}/roster.csv", "--from", "2026-10-08"], "--semester"),
        (["import-schedule", "2030春", "{tmp}/missing.csv"], "找不到学期"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(runner, team, db, tmp_path, args, message):
    write_csv(tmp_path / "roster.csv", ROSTER)
    write_csv(tmp_path / "events.csv", EVENTS)
    before = counts(db), appointments(db)
    result = runner.invoke(args=[a.format(tmp=tmp_path) for a in args])
    assert message in one_line_error(result)
    assert (counts(db), appointments(db)) == before


def test_import_events_file_error(runner, team, tmp_path):
    path = write_csv(tmp_path / "events.csv", [["学号", "时间", "操作"], ["1", "2", "3"]])
    result = runner.invoke(args=["import-events", str(path)])
    assert "未知的表头“操作”" in one_line_error(result)

"""Roster, schedule and event imports (SPEC §6) over a database session, and the file reader."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data.attendance import service_windows
from data.importers import (
    EVENT_COLUMNS,
    ROSTER_COLUMNS,
    SCHEDULE_COLUMNS,
    ImportFileError,
    RowError,
    default_appointment_day,
    import_events,
    import_roster,
    import_schedule,
    parse_clock,
    parse_moment,
    parse_weekday,
)
from data.models import (
    Appointment,
    AppointmentEvent,
    AuditLog,
    CheckAction,
    CheckEvent,
    CheckMethod,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    Stage,
    Team,
    User,
)
from data.tabular import TableError, cell_text, read_table

pytestmark = pytest.mark.db

FORMATS = ["xlsx", "utf-8", "utf-8-sig", "gb18030"]


def write_table(path: Path, rows: list[list[object]], fmt: str = "utf-8") -> Path:
    """Write rows (header first) as .xlsx or as .csv in the given encoding."""
    if fmt == "xlsx":
        path = path.with_suffix(".xlsx")
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)
        return path
    path = path.with_suffix(".csv")
    with path.open("w", encoding=fmt, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def counts(session) -> dict[str, int]:
    session.expire_all()
    models = (User, Team, Place, Shift, ShiftAssignment, CheckEvent)
    return {m.__name__: count(session, m) for m in models}


def team_of(session, small) -> Team:
    return session.get(Team, small.team_id)


def semester_of(session, small) -> Semester:
    return session.get(Semester, small.semester_id)


def user_named(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def roster_row(username: str, name: str, **fields: str) -> list[str]:
    values = dict.fromkeys(ROSTER_COLUMNS, "") | {"学号": username, "姓名": name} | fields
    return [values[column] for column in ROSTER_COLUMNS]


# --- The file reader ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_reader_decodes_every_format_and_strips(tmp_path, fmt):
    path = write_table(
        tmp_path / "t",
        [["", ""], [" 学号", "时间 "], [" 2023101 ", "张三\u3000"], ["", ""], ["2023102", "李四"]],
        fmt,
    )
    rows = read_table(path, ["学号", "时间"])
    assert [(r.number, r.values) for r in rows] == [
        (3, {"学号": "2023101", "时间": "张三"}),
        (5, {"学号": "2023102", "时间": "李四"}),
    ]


def test_reader_header_problems(tmp_path):
    with pytest.raises(TableError, match="未知的表头“工号”"):
        read_table(write_table(tmp_path / "a", [["工号", "时间"], ["1", "2"]]), ["学号", "时间"])
    with pytest.raises(TableError, match="缺少表头“时间”"):
        read_table(write_table(tmp_path / "b", [["学号"], ["1"]]), ["学号", "时间"])
    with pytest.raises(TableError, match="表头“学号”重复"):
        read_table(write_table(tmp_path / "c", [["学号", "学号"], ["1", "2"]]), ["学号"])


def test_reader_ignores_unnamed_columns_and_pads_short_rows(tmp_path):
    path = write_table(tmp_path / "t", [["学号", "时间", ""], ["1", "", "备注"], ["2"]])
    rows = read_table(path, ["学号", "时间"])
    assert [r.values for r in rows] == [{"学号": "1", "时间": ""}, {"学号": "2", "时间": ""}]


def test_reader_file_problems(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"whatever")
    with pytest.raises(TableError, match=r"不支持的文件类型 \.xls"):
        read_table(tmp_path / "a.xls", ["学号"])
    with pytest.raises(TableError, match="找不到文件"):
        read_table(tmp_path / "missing.csv", ["学号"])
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81\xff")
    with pytest.raises(TableError, match="无法识别文件编码"):
        read_table(tmp_path / "bin.csv", ["学号"])
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(TableError, match="无法读取 Excel 文件"):
        read_table(tmp_path / "bad.xlsx", ["学号"])
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(TableError, match="文件为空"):
        read_table(tmp_path / "empty.csv", ["学号"])
    (tmp_path / "blank.csv").write_text(",\n\n", encoding="utf-8")
    with pytest.raises(TableError, match="文件为空"):
        read_table(tmp_path / "blank.csv", ["学号"])
    with pytest.raises(TableError, match="没有数据行"):
        read_table(write_table(tmp_path / "h", [["学号"]], "xlsx"), ["学号"])


def test_cell_text_shows_what_excel_shows():
    assert cell_text(None) == ""
    assert cell_text(2023101) == "2023101"
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(1.5) == "1.5"
    assert cell_text(time(8, 0)) == "08:00"
    assert cell_text(time(7, 59, 59, 999_000)) == "08:00"
    assert cell_text(datetime(2026, 9, 9, 7, 58)) == "2026-09-09 07:58:00"
    assert cell_text(datetime(2026, 9, 9, 9, 59, 59, 600_000)) == "2026-09-09 10:00:00"
    assert cell_text(date(2026, 9, 9)) == "2026-09-09"
    assert cell_text(True) == "是"


def test_value_parsers():
    assert [parse_weekday(t) for t in ("1", "7", "周一", "星期三", "周日", "周天", "星期天")] == [
        1,
        7,
        1,
        3,
        7,
        7,
        7,
    ]
    assert (
        parse_weekday("8") is None and parse_weekday("周八") is None and parse_weekday("") is None
    )
    assert parse_clock("8:00") == time(8, 0)
    assert parse_clock("14：30") == time(14, 30)
    assert parse_clock("24:00") is None and parse_clock("8点") is None
    assert parse_moment("2026-09-09 07:58") == datetime(2026, 9, 8, 23, 58, tzinfo=UTC)
    assert parse_moment("2026/9/9 7:58:30") == datetime(2026, 9, 8, 23, 58, 30, tzinfo=UTC)
    assert parse_moment("2026-02-30 08:00") is None and parse_moment("昨天") is None


# --- Roster ------------------------------------------------------------------------------

ROSTER = [
    list(ROSTER_COLUMNS),
    roster_row(
        "2024201",
        "陈六",
        性别="女",
        学历层次="研究生",
        年级="2024级",
        专业="数学",
        手机="13800138000",
        QQ="123456",
        政治面貌="中共党员",
        家庭经济困难="是",
        角色="助管",
        岗位="学工办",
    ),
    roster_row("2024202", "周七", 角色="团长", 家庭经济困难="否"),
    roster_row("2023101", "张三", 手机="13900139000", 岗位="图书馆"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_roster_creates_and_updates(db, team, session, tmp_path, fmt):
    path = write_table(tmp_path / "roster", ROSTER, fmt)
    report = import_roster(session, path, team=team_of(session, team))
    session.commit()

    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    assert report.written and not report.errors
    new = user_named(session, "2024201")
    assert (new.name, new.gender, new.degree_level, new.grade, new.major) == (
        "陈六",
        "女",
        "研究生",
        "2024级",
        "数学",
    )
    assert (new.phone, new.qq, new.political_status, new.hardship, new.post) == (
        "13800138000",
        "123456",
        "中共党员",
        True,
        "学工办",
    )
    assert new.role is Role.assistant and new.team_id == team.team_id
    assert user_named(session, "2024202").role is Role.leader
    # Passwords: returned once, stored hashed, must be changed.
    assert [(u, n) for u, n, _ in report.passwords] == [("2024201", "陈六"), ("2024202", "周七")]
    for username, _name, password in report.passwords:
        person = user_named(session, username)
        assert len(password) == 10 and person.check_password(password)
        assert person.must_change_password
    old = user_named(session, "2023101")
    assert (old.phone, old.post) == ("13900139000", "图书馆")
    assert old.check_password("correct-horse-9") and not old.must_change_password


def test_roster_reimport_changes_nothing(db, team, session, tmp_path):
    path = write_table(tmp_path / "roster", ROSTER)
    import_roster(session, path, team=team_of(session, team))
    session.commit()
    report = import_roster(session, path, team=team_of(session, team))
    assert (report.created, report.updated, report.unchanged, report.passwords) == (0, 0, 3, [])


def test_roster_blank_cells_keep_stored_values(db, team, session, tmp_path):
    person = user_named(session, "2023001")
    person.phone, person.hardship = "13700137000", True
    session.commit()
    path = write_table(tmp_path / "roster", [list(ROSTER_COLUMNS), roster_row("2023001", "李团长")])
    import_roster(session, path, team=team_of(session, team))
    session.commit()
    person = user_named(session, "2023001")
    assert (person.phone, person.hardship, person.role) == ("13700137000", True, Role.leader)


def test_roster_bad_rows_change_nothing(db, team, session, tmp_path):
    before = counts(session)
    rows = [
        list(ROSTER_COLUMNS),
        roster_row("2024201", "陈六"),
        roster_row("2024202", "周七", 角色="校长"),
        roster_row("2024201", "陈六六"),
        roster_row("2024204", "", 家庭经济困难="有点", 手机="abc", 性别="男生"),
        roster_row("2024 205", "钱八", QQ="12"),
        roster_row("2024206", "孙九"),
    ]
    report = import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    session.commit()

    assert not report.written and report.rejected and report.created == 0
    assert counts(session) == before
    by_row: dict[int, set[str]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, set()).add(error.column)
    assert by_row == {
        2: {"学号"},
        3: {"角色"},
        4: {"学号"},
        5: {"姓名", "家庭经济困难", "手机", "性别"},
        6: {"学号", "QQ"},
    }
    duplicate = next(e for e in report.errors if e.row == 2)
    assert duplicate == RowError(2, "学号", "学号 2024201 在文件中重复（另见第 4 行）")
    assert "第 2 行［学号］" in str(duplicate)


def test_roster_skip_bad_writes_only_good_rows(db, team, session, tmp_path):
    rows = [
        list(ROSTER_COLUMNS),
        roster_row("2024201", "陈六"),
        roster_row("2024202", "周七", 角色="校长"),
        roster_row("2024203", "吴八"),
    ]
    path = write_table(tmp_path / "r", rows)
    report = import_roster(session, path, team=team_of(session, team), skip_bad=True)
    session.commit()
    assert report.written and (report.created, report.skipped) == (2, 1)
    assert [e.row for e in report.errors] == [3]
    assert user_named(session, "2024202") is None
    assert user_named(session, "2024203").name == "吴八"


def test_roster_refuses_a_member_of_another_team(db, team, session, tmp_path):
    other = Team(name="外院助管团")
    session.add(other)
    session.commit()
    path = write_table(tmp_path / "r", [list(ROSTER_COLUMNS), roster_row("2023101", "张三")])
    report = import_roster(session, path, team=other)
    assert [(e.row, e.column) for e in report.errors] == [(2, "学号")]
    assert "其他团队" in report.errors[0].reason


def test_roster_into_a_new_team(db, session, tmp_path):
    new_team = Team(name="默认团队")
    session.add(new_team)
    path = write_table(tmp_path / "r", ROSTER, "xlsx")
    report = import_roster(session, path, team=new_team)
    session.commit()
    assert report.created == 3
    assert {u.team.name for u in session.scalars(select(User))} == {"默认团队"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["学号", "名字"], ["1", "2"]], "未知的表头“名字”"),
        ([["学号", "姓名"], ["1", "2"]], "缺少表头“性别”"),
        ([list(ROSTER_COLUMNS)], "没有数据行"),
        ([], "文件为空"),
    ],
)
def test_roster_file_errors_change_nothing(db, team, session, tmp_path, rows, message):
    before = counts(session)
    with pytest.raises(ImportFileError, match=message):
        import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    session.rollback()
    assert counts(session) == before


def test_roster_reports_profile_changes_and_keeps_passwords(db, team, session, tmp_path):
    first = [list(ROSTER_COLUMNS), roster_row("2024201", "陈六", 年级="2024级", 手机="13800138000")]
    report = import_roster(session, write_table(tmp_path / "a", first), team=team_of(session, team))
    session.commit()
    password = report.passwords[0][2]
    corrected = [
        list(ROSTER_COLUMNS),
        roster_row("2024201", "陈六", 年级="2023级", 手机="13800138001", 家庭经济困难="是"),
        roster_row("2023101", "张三"),
    ]
    again = import_roster(
        session, write_table(tmp_path / "b", corrected), team=team_of(session, team)
    )
    session.commit()
    assert (again.created, again.updated, again.unchanged, again.passwords) == (0, 1, 1, [])
    assert [(c.username, c.fields) for c in again.changes] == [
        (
            "2024201",
            (
                ("年级", "2024级", "2023级"),
                ("手机", "13800138000", "13800138001"),
                ("家庭经济困难", "否", "是"),
            ),
        )
    ]
    assert str(again.changes[0]).startswith("2024201 陈六：年级 2024级 → 2023级；手机 ")
    person = user_named(session, "2024201")
    assert (person.grade, person.phone, person.hardship) == ("2023级", "13800138001", True)
    assert person.check_password(password) and person.must_change_password
    assert user_named(session, "2023101").check_password("correct-horse-9")


def test_roster_role_is_taken_at_first_import_only(db, team, session, tmp_path):
    rows = [
        list(ROSTER_COLUMNS),
        roster_row("2024202", "周七", 角色="团长"),
        roster_row("2023101", "张三", 角色="团长"),  # an assistant already on the system
        roster_row("2023001", "李团长", 角色="助管"),  # the elected 团长
    ]
    report = import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    session.commit()
    assert user_named(session, "2024202").role is Role.leader
    assert user_named(session, "2023101").role is Role.assistant
    assert user_named(session, "2023001").role is Role.leader
    assert (report.updated, report.unchanged) == (0, 2)
    assert [note.split("：")[0] for note in report.notes] == ["第 3 行", "第 4 行"]
    assert "仍为“助管”" in report.notes[0] and "仍为“团长”" in report.notes[1]


def test_roster_accepts_an_optional_email_column(db, team, session, tmp_path):
    header = [*ROSTER_COLUMNS, "邮箱"]
    rows = [header, [*roster_row("2024201", "陈六"), "chen6@example.edu.cn"]]
    report = import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    session.commit()
    assert report.created == 1 and not report.errors
    stored = getattr(user_named(session, "2024201"), "email", "chen6@example.edu.cn")
    assert stored == "chen6@example.edu.cn"  # kept only where User has an email column
    with pytest.raises(ImportFileError, match="未知的表头“电邮”"):
        import_roster(
            session,
            write_table(tmp_path / "x", [[*ROSTER_COLUMNS, "电邮"], [*roster_row("1", "甲"), "x"]]),
            team=team_of(session, team),
        )


def test_roster_refuses_a_malformed_email(db, team, session, tmp_path):
    rows = [[*ROSTER_COLUMNS, "邮箱"], [*roster_row("2024202", "周七"), "zhou7-at-example"]]
    report = import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    assert [(e.row, e.column) for e in report.errors] == [(2, "邮箱")]
    assert "邮箱格式不正确" in report.errors[0].reason


def test_default_appointment_day():
    semester = Semester(name="2026秋", start=date(2026, 9, 7), end=date(2027, 1, 15))
    assert default_appointment_day(semester, date(2026, 10, 8)) == date(2026, 10, 8)
    assert default_appointment_day(semester, date(2026, 9, 7)) == date(2026, 9, 7)
    assert default_appointment_day(semester, date(2027, 1, 15)) == date(2027, 1, 15)
    assert default_appointment_day(semester, date(2026, 8, 1)) == date(2026, 9, 7)
    assert default_appointment_day(semester, date(2027, 3, 1)) == date(2026, 9, 7)


def appointment_of(session, semester_id: int, username: str) -> Appointment | None:
    user = user_named(session, username)
    return session.scalar(
        select(Appointment).where(
            Appointment.semester_id == semester_id, Appointment.user_id == user.id
        )
    )


ON_POST_ROSTER = [
    list(ROSTER_COLUMNS),
    roster_row("2024201", "陈六", 角色="助管"),
    roster_row("2024202", "周七", 角色="团长"),
    roster_row("2024203", "吴八"),  # blank 角色: 助管
    roster_row("T002", "刘老师", 角色="兼辅"),
    roster_row("2023101", "张三", 角色="助管"),  # already appointed in the fixture
]


def test_roster_with_semester_puts_rows_in_post(db, team, session, tmp_path):
    semester = semester_of(session, team)
    day = date(2026, 10, 8)
    path = write_table(tmp_path / "r", ON_POST_ROSTER)
    report = import_roster(
        session, path, team=team_of(session, team), semester=semester, appointed_on=day
    )
    session.commit()

    assert report.appointed == ["2024201 陈六", "2024202 周七", "2024203 吴八"]
    assert report.in_post == ["2023101 张三"] and report.not_appointed == []
    for username in ("2024201", "2024202", "2024203"):
        appointment = appointment_of(session, team.semester_id, username)
        assert (appointment.stage, appointment.appointed_on, appointment.trial_start) == (
            Stage.appointed,
            day,
            None,
        )
        assert [(e.from_stage, e.to_stage, e.on) for e in appointment.history] == [
            (None, Stage.appointed, day)
        ]
    # In post from that day: nothing is expected of them before it.
    windows = service_windows(session, semester)
    assert windows[user_named(session, "2024201").id] == (day, semester.end)
    assert appointment_of(session, team.semester_id, "T002") is None
    # The fixture's appointment is left as it was.
    kept = appointment_of(session, team.semester_id, "2023101")
    assert (kept.appointed_on, kept.history) == (semester.start, [])
    # One audit entry per person put in post.
    entries = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.action, e.entity) for e in entries] == [("appointment.import", "appointment")] * 3
    ids = {
        str(appointment_of(session, team.semester_id, u).id)
        for u in ("2024201", "2024202", "2024203")
    }
    assert {e.entity_id for e in entries} == ids
    assert all(
        e.after["stage"] == "appointed" and e.after["appointed_on"] == "2026-10-08" for e in entries
    )

    # A second import of the same file changes nothing and lists everyone as already in post.
    again = import_roster(
        session,
        path,
        team=team_of(session, team),
        semester=semester,
        appointed_on=date(2026, 11, 1),
    )
    session.commit()
    assert again.appointed == [] and len(again.in_post) == 4
    assert count(session, AuditLog) == 3 and count(session, AppointmentEvent) == 3


def test_roster_with_semester_appoints_applicants_and_leaves_leavers_alone(
    db, team, session, tmp_path
):
    semester = semester_of(session, team)
    applicant = user_named(session, "2023102")
    leaver = user_named(session, "2023103")
    appointments = {
        a.user_id: a
        for a in session.scalars(select(Appointment).where(Appointment.semester_id == semester.id))
    }
    appointments[applicant.id].stage = Stage.reviewed
    appointments[applicant.id].appointed_on = None
    appointments[leaver.id].stage = Stage.resigned
    appointments[leaver.id].ended_on = date(2026, 10, 30)
    session.commit()
    rows = [list(ROSTER_COLUMNS), roster_row("2023102", "李四"), roster_row("2023103", "王五")]
    report = import_roster(
        session,
        write_table(tmp_path / "r", rows),
        team=team_of(session, team),
        semester=semester,
        appointed_on=date(2026, 11, 2),
    )
    session.commit()
    assert report.appointed == ["2023102 李四"]
    assert report.not_appointed == ["2023103 王五（辞职）"]
    moved = appointment_of(session, semester.id, "2023102")
    assert (moved.stage, moved.appointed_on) == (Stage.appointed, date(2026, 11, 2))
    assert [(e.from_stage, e.to_stage) for e in moved.history] == [
        (Stage.reviewed, Stage.appointed)
    ]
    entry = session.scalar(select(AuditLog))
    assert entry.before["stage"] == "reviewed" and entry.after["stage"] == "appointed"
    assert appointment_of(session, semester.id, "2023103").stage is Stage.resigned


@pytest.mark.parametrize(
    ("day", "finalized", "message"),
    [
        (date(2026, 9, 6), False, "不在学期"),
        (date(2027, 1, 16), False, "不在学期"),
        (date(2026, 10, 8), True, "已定稿"),
    ],
)
def test_roster_with_semester_refusals_write_nothing(
    db, team, session, tmp_path, day, finalized, message
):
    semester = semester_of(session, team)
    if finalized:
        semester.finalized_at = datetime(2027, 1, 20, tzinfo=UTC)
        session.commit()
    before = counts(session) | {"Appointment": count(session, Appointment)}
    with pytest.raises(ImportFileError, match=message):
        import_roster(
            session,
            write_table(tmp_path / "r", ON_POST_ROSTER),
            team=team_of(session, team),
            semester=semester,
            appointed_on=day,
        )
    session.rollback()
    assert counts(session) | {"Appointment": count(session, Appointment)} == before


def test_roster_with_semester_and_skip_bad_puts_only_good_rows_in_post(db, team, session, tmp_path):
    rows = [*ON_POST_ROSTER, roster_row("2024209", "坏", 角色="校长")]
    report = import_roster(
        session,
        write_table(tmp_path / "r", rows),
        team=team_of(session, team),
        skip_bad=True,
        semester=semester_of(session, team),
        appointed_on=date(2026, 10, 8),
    )
    session.commit()
    assert report.skipped == 1 and len(report.appointed) == 3
    assert user_named(session, "2024209") is None


# --- Schedule ----------------------------------------------------------------------------

SCHEDULE = [
    list(SCHEDULE_COLUMNS),
    ["2023001", "周一", "08:00", "10:00", "学工办"],  # the existing Monday shift, kept
    ["2023101", "星期三", "14:00", "16:00", "图书馆"],  # new place, new shift
    ["2023102", "3", "14:00", "16:00", "图书馆"],  # same shift, second person
    ["2023103", "周日", "9:00", "11:30", "学工办"],
]


def shifts_of(session, semester_id: int, on: date | None = None) -> dict[tuple, set[str]]:
    """The schedule in force on ``on`` (default: the semester's last day): slot → 学号s."""
    session.expire_all()
    semester = session.get(Semester, semester_id)
    on = on or semester.end
    result = {}
    for shift in session.scalars(select(Shift).where(Shift.semester_id == semester_id)):
        if not shift.in_force(on):
            continue
        users = {session.get(User, a.user_id).username for a in shift.assignments_on(on)}
        start, end, place_id = shift.version_on(on)
        result[(shift.weekday, start, end, session.get(Place, place_id).name)] = users
    return result


@pytest.mark.parametrize("fmt", FORMATS)
def test_schedule_replaces_the_semester_schedule(db, team, session, tmp_path, fmt):
    monday = session.scalar(
        select(Shift.id).where(Shift.semester_id == team.semester_id, Shift.weekday == 1)
    )
    path = write_table(tmp_path / "schedule", SCHEDULE, fmt)
    report = import_schedule(session, path, semester=semester_of(session, team))
    session.commit()

    assert report.written and not report.errors
    assert (report.created, report.unchanged, report.removed, report.rows_written) == (2, 1, 3, 4)
    assert shifts_of(session, team.semester_id) == {
        (1, time(8), time(10), "学工办"): {"2023001"},
        (3, time(14), time(16), "图书馆"): {"2023101", "2023102"},
        (7, time(9), time(11, 30), "学工办"): {"2023103"},
    }
    assert session.get(Shift, monday) is not None  # a kept shift keeps its id
    assert count(session, Place) == 2
    # The old schedule still holds before the date the new one applies from.
    assert report.from_day > team_semester_start(session, team)
    before = shifts_of(session, team.semester_id, report.from_day - timedelta(days=1))
    assert (2, time(8), time(10), "学工办") in before


def team_semester_start(session, team) -> date:
    return session.get(Semester, team.semester_id).start


def test_schedule_xlsx_with_time_and_number_cells(db, team, session, tmp_path):
    rows = [list(SCHEDULE_COLUMNS), [2023101, 2, time(8, 0), time(9, 30), "学工办"]]
    path = write_table(tmp_path / "schedule", rows, "xlsx")
    report = import_schedule(session, path, semester=semester_of(session, team))
    session.commit()
    assert not report.errors
    assert shifts_of(session, team.semester_id) == {
        (2, time(8), time(9, 30), "学工办"): {"2023101"}
    }


def test_schedule_reimport_is_stable_and_keeps_event_links(db, team, session, tmp_path):
    path = write_table(tmp_path / "schedule", SCHEDULE)
    import_schedule(session, path, semester=semester_of(session, team))
    session.commit()
    shift_id = session.scalar(select(Shift.id).where(Shift.weekday == 3))
    user = user_named(session, "2023101")
    session.add(
        CheckEvent(
            user_id=user.id,
            action=CheckAction.sign_in,
            at=datetime(2026, 9, 9, 6, 0, tzinfo=UTC),
            duty_date=date(2026, 9, 9),
            shift_id=shift_id,
        )
    )
    session.commit()
    report = import_schedule(session, path, semester=semester_of(session, team))
    session.commit()
    assert (report.created, report.updated, report.unchanged, report.removed) == (0, 0, 3, 0)
    assert session.scalar(select(CheckEvent.shift_id)) == shift_id

    # Dropping a person from a shift updates it; dropping a whole shift deletes it.
    report = import_schedule(
        session, write_table(tmp_path / "s2", SCHEDULE[:3]), semester=semester_of(session, team)
    )
    session.commit()
    assert (report.updated, report.unchanged, report.removed) == (1, 1, 1)
    assert shifts_of(session, team.semester_id)[(3, time(14), time(16), "图书馆")] == {"2023101"}


def test_schedule_bad_rows_change_nothing(db, team, session, tmp_path):
    before = counts(session)
    before_shifts = shifts_of(session, team.semester_id)
    rows = [
        list(SCHEDULE_COLUMNS),
        ["9999999", "周一", "08:00", "10:00", "学工办"],
        ["2023101", "周八", "8点", "10:00", ""],
        ["2023102", "2", "10:00", "09:00", "学工办"],
        ["2023103", "1", "08:00", "10:00", "学工办"],
        ["2023103", "周一", "08:00", "10:00", "学工办"],
        ["2023001", "5", "08:00", "10:00", "学工办"],
        ["2023001", "5", "09:00", "11:00", "图书馆"],
        ["2023101", "4", "08:00", "10:00", "学工办"],
    ]
    path = write_table(tmp_path / "s", rows)
    report = import_schedule(session, path, semester=semester_of(session, team))
    session.commit()

    assert report.rejected
    assert counts(session) == before and shifts_of(session, team.semester_id) == before_shifts
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "学号"),
        (3, "岗位"),
        (3, "开始"),
        (3, "星期"),
        (4, "结束"),
        (5, "学号"),
        (6, "学号"),
        (8, "开始"),
    ]
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons[2] == "学号不在本团队名单中：9999999"
    assert "应晚于开始时间" in reasons[4]
    assert "第 6 行" in reasons[5] and "第 7 行" in reasons[8]


def test_schedule_skip_bad_writes_only_good_rows(db, team, session, tmp_path):
    rows = [*SCHEDULE, ["9999999", "周一", "08:00", "10:00", "学工办"]]
    path = write_table(tmp_path / "s", rows)
    report = import_schedule(session, path, semester=semester_of(session, team), skip_bad=True)
    session.commit()
    assert report.written and report.skipped == 1 and [e.row for e in report.errors] == [6]
    assert len(shifts_of(session, team.semester_id)) == 3


def test_schedule_file_errors(db, team, session, tmp_path):
    with pytest.raises(ImportFileError, match="未知的表头“日期”"):
        import_schedule(
            session,
            write_table(tmp_path / "s", [["学号", "日期", "开始", "结束", "岗位"], ["1"] * 5]),
            semester=semester_of(session, team),
        )
    semester = semester_of(session, team)
    semester.finalized_at = datetime(2027, 1, 20, tzinfo=UTC)
    with pytest.raises(ImportFileError, match="已定稿"):
        import_schedule(session, write_table(tmp_path / "s", SCHEDULE), semester=semester)


# --- Events ------------------------------------------------------------------------------

# 2023101 has the Wednesday 08:00–10:00 shift; 2026-09-09 is a Wednesday, 09-12 a Saturday.
EVENTS = [
    list(EVENT_COLUMNS),
    ["2023101", "2026-09-09 07:58", "签到"],
    ["2023101", "2026-09-09 10:01:30", "签退"],
    ["2023102", "2026-09-12 14:00", "签到"],
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_events_are_imported_and_attached(db, team, session, tmp_path, fmt):
    report = import_events(session, write_table(tmp_path / "e", EVENTS, fmt))
    session.commit()

    assert report.written and (report.created, report.attached, report.duplicates) == (3, 2, 0)
    wednesday = session.scalar(
        select(Shift.id).where(Shift.semester_id == team.semester_id, Shift.weekday == 3)
    )
    stored = session.scalars(select(CheckEvent).order_by(CheckEvent.at)).all()
    assert [(e.action, e.at, e.duty_date, e.shift_id) for e in stored] == [
        (
            CheckAction.sign_in,
            datetime(2026, 9, 8, 23, 58, tzinfo=UTC),
            date(2026, 9, 9),
            wednesday,
        ),
        (
            CheckAction.sign_out,
            datetime(2026, 9, 9, 2, 1, 30, tzinfo=UTC),
            date(2026, 9, 9),
            wednesday,
        ),
        (CheckAction.sign_in, datetime(2026, 9, 12, 6, 0, tzinfo=UTC), None, None),
    ]
    assert {e.method for e in stored} == {CheckMethod.import_}
    assert stored[0].place_id == team.place_id


def test_events_xlsx_with_datetime_cells(db, team, session, tmp_path):
    rows = [list(EVENT_COLUMNS), [2023101, datetime(2026, 9, 9, 8, 2), "签到"]]
    report = import_events(session, write_table(tmp_path / "e", rows, "xlsx"))
    session.commit()
    assert report.created == 1
    assert session.scalar(select(CheckEvent.at)) == datetime(2026, 9, 9, 0, 2, tzinfo=UTC)


def test_events_duplicates_are_skipped_and_counted(db, team, session, tmp_path):
    path = write_table(tmp_path / "e", [*EVENTS, EVENTS[1]])
    first = import_events(session, path)
    session.commit()
    assert (first.created, first.duplicates) == (3, 1)
    again = import_events(session, path)
    session.commit()
    assert again.written and (again.created, again.duplicates, again.errors) == (0, 4, [])
    assert count(session, CheckEvent) == 3


def test_events_before_the_schedule_are_stored_and_a_reimport_changes_nothing(
    db, team, session, tmp_path
):
    for shift in session.scalars(select(Shift).where(Shift.semester_id == team.semester_id)):
        session.delete(shift)
    session.commit()
    path = write_table(tmp_path / "e", EVENTS)
    first = import_events(session, path)
    session.commit()
    assert (first.created, first.attached, first.duplicates) == (3, 0, 0)
    stored = session.scalars(select(CheckEvent)).all()
    assert [(e.duty_date, e.shift_id) for e in stored] == [(None, None)] * 3

    # The schedule arrives later; the same events again are all known and nothing is written.
    shift = Shift(semester_id=team.semester_id, weekday=3, start=time(8), end=time(10))
    shift.place_id = team.place_id
    shift.assignments.append(ShiftAssignment(user_id=user_named(session, "2023101").id))
    session.add(shift)
    session.commit()
    again = import_events(session, path)
    session.commit()
    assert again.written and (again.created, again.duplicates, again.notes) == (0, 3, [])
    assert count(session, CheckEvent) == 3


def test_events_already_recorded_at_the_door_are_skipped(db, team, session, tmp_path):
    person = user_named(session, "2023101")
    wednesday = session.scalar(
        select(Shift.id).where(Shift.semester_id == team.semester_id, Shift.weekday == 3)
    )
    session.add(
        CheckEvent(
            user_id=person.id,
            action=CheckAction.sign_in,
            at=datetime(2026, 9, 8, 23, 58, tzinfo=UTC),  # 2026-09-09 07:58 local
            method=CheckMethod.qr,
            duty_date=date(2026, 9, 9),
            shift_id=wednesday,
            place_id=team.place_id,
        )
    )
    session.commit()
    report = import_events(session, write_table(tmp_path / "e", EVENTS[:3]))
    session.commit()
    assert (report.created, report.duplicates, report.notes) == (1, 1, [])
    stored = session.scalars(select(CheckEvent).order_by(CheckEvent.at)).all()
    assert [(e.action, e.method) for e in stored] == [
        (CheckAction.sign_in, CheckMethod.qr),
        (CheckAction.sign_out, CheckMethod.import_),
    ]


def test_events_second_sign_in_for_a_duty_changes_nothing(db, team, session, tmp_path):
    import_events(session, write_table(tmp_path / "a", EVENTS[:2]))
    session.commit()
    later = [list(EVENT_COLUMNS), ["2023101", "2026-09-09 08:03", "签到"]]
    report = import_events(session, write_table(tmp_path / "b", later))
    session.commit()
    assert (report.created, report.duplicates) == (0, 1)
    assert "第 2 行" in report.notes[0]
    assert count(session, CheckEvent) == 1


def test_events_bad_rows_change_nothing(db, team, session, tmp_path):
    rows = [
        list(EVENT_COLUMNS),
        ["2023101", "2026-09-09 07:58", "签到"],
        ["9999999", "2026-09-09 07:58", "签到"],
        ["2023102", "2026-13-01 08:00", "打卡"],
        ["2023103", "2026-09-09", "签退"],
        ["", "2026-09-09 08:00", "签到"],
    ]
    report = import_events(session, write_table(tmp_path / "e", rows))
    session.commit()
    assert report.rejected and count(session, CheckEvent) == 0
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "学号"),
        (4, "动作"),
        (4, "时间"),
        (5, "时间"),
        (6, "学号"),
    ]
    assert report.errors[0].reason == "找不到该学号的账号：9999999"


def test_events_skip_bad_writes_only_good_rows(db, team, session, tmp_path):
    rows = [*EVENTS, ["9999999", "2026-09-09 07:58", "签到"]]
    report = import_events(session, write_table(tmp_path / "e", rows), skip_bad=True)
    session.commit()
    assert (report.created, report.skipped) == (3, 1)
    assert count(session, CheckEvent) == 3


def test_events_limited_to_a_team(db, team, session, tmp_path):
    other = Team(name="外院助管团")
    session.add(other)
    session.commit()
    report = import_events(session, write_table(tmp_path / "e", EVENTS), team=other)
    assert report.rejected
    assert {e.reason.split("：")[0] for e in report.errors} == {"学号不在本团队名单中"}


def test_events_file_errors(db, team, session, tmp_path):
    with pytest.raises(ImportFileError, match="缺少表头“动作”"):
        import_events(session, write_table(tmp_path / "e", [["学号", "时间"], ["1", "2"]]))
    with pytest.raises(ImportFileError, match="没有数据行"):
        import_events(session, write_table(tmp_path / "e", [list(EVENT_COLUMNS)], "gb18030"))

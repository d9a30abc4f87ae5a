"""export-report: the semester workbook of SPEC §6, read back by openpyxl and by LibreOffice."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from data.attendance import semester_attendance
from data.export import SHEETS
from data.models import Semester, User
from data.timeutil import LOCAL_TZ
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.db


def current_semester(session) -> Semester:
    return session.scalar(
        select(Semester).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
    )


@pytest.fixture
def workbook(demo_app, demo_db, tmp_path):
    with demo_db.session() as s:
        name = current_semester(s).name
    path = tmp_path / "report.xlsx"
    result = demo_app.test_cli_runner().invoke(
        args=["export-report", name, str(path), "--as-of", DEMO_TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    return path


def engine_lates(demo_db) -> dict[str, int]:
    from datetime import datetime, time

    as_of = datetime.combine(DEMO_TODAY, time(23, 59, 59), tzinfo=LOCAL_TZ)
    with demo_db.session() as s:
        semester = current_semester(s)
        summaries = semester_attendance(s, semester, as_of).summaries()
        usernames = dict(s.execute(select(User.id, User.username)).all())
    return {usernames[user_id]: summary.late for user_id, summary in summaries.items()}


def test_every_sheet_and_first_columns(workbook):
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames == list(SHEETS)
    for name, columns in SHEETS.items():
        header = next(book[name].iter_rows(max_row=1, values_only=True))
        assert list(header[: len(columns)]) == columns


def test_late_column_equals_the_engine(workbook, demo_db):
    rows = list(
        load_workbook(workbook, read_only=True)["考勤汇总"].iter_rows(min_row=2, values_only=True)
    )
    reported = {str(r[0]): r[4] for r in rows}
    expected = engine_lates(demo_db)
    assert reported, "no assistants in the report"
    for username, lates in reported.items():
        assert lates == expected.get(username, 0), username
    assert max(reported.values()) >= 3  # the demo has someone at 不合格 risk


def test_warnings_sheet_names_three_lates_as_critical(workbook, demo_db):
    lates = engine_lates(demo_db)
    rows = list(
        load_workbook(workbook, read_only=True)["预警"].iter_rows(min_row=2, values_only=True)
    )
    critical = {str(r[0]) for r in rows if r[2] == "不合格风险"}
    assert {u for u, n in lates.items() if n >= 3} <= critical
    assert all(r[3] for r in rows), "every warning has a reason"


def test_meetings_sheet(workbook):
    rows = list(
        load_workbook(workbook, read_only=True)["例会"].iter_rows(min_row=2, values_only=True)
    )
    assert rows and all(r[5] in ("是", "否") for r in rows)


def test_export_refuses_bad_input(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    for args, message in (
        (["export-report", "没有这个学期", str(tmp_path / "x.xlsx")], "找不到学期"),
        (["export-report", "x", str(tmp_path / "x.csv")], ".xlsx"),
        (["export-report", "x", str(tmp_path / "nope" / "x.xlsx")], "目录不存在"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.xlsx"))


@pytest.mark.skipif(
    not shutil.which("soffice") and not os.environ.get("CI"), reason="LibreOffice not installed"
)
def test_libreoffice_reads_the_workbook(workbook, demo_db, tmp_path):
    """A real office suite opens it: every sheet converts to CSV with the same late counts."""
    out = tmp_path / "csv"
    out.mkdir()
    # Filter options: comma, quote, UTF-8, first line 1, …, sheet -1 = every sheet to its own file.
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    files = {p.stem.split("-", 1)[-1]: p for p in out.glob("*.csv")}
    assert set(SHEETS) <= set(files), files
    with files["考勤汇总"].open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:10] == SHEETS["考勤汇总"]
    expected = engine_lates(demo_db)
    assert {r[0]: int(r[4]) for r in rows[1:]} == {
        u: expected.get(u, 0) for u in (r[0] for r in rows[1:])
    }

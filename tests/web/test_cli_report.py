"""export-report SEMESTER PATH --as-of DATE on the command line (SPEC §7)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import data.cli.report as report_cli
from data.importers import EVENT_COLUMNS
from data.models import DutyCorrection, Shift, User
from data.timeutil import LOCAL_TZ, to_local

pytestmark = pytest.mark.db

# 2023101 has the Wednesday 08:00–10:00 shift of the fixture's semester (from 2026-09-07).
EVENTS = [
    list(EVENT_COLUMNS),
    ["2023101", "2026-09-16 08:10", "签到"],  # late
    ["2023101", "2026-09-16 10:00", "签退"],
    ["2023101", "2026-09-23 08:12", "签到"],  # late, a week later
    ["2023101", "2026-09-23 10:00", "签退"],
]


def import_events(runner, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(EVENTS)
    result = runner.invoke(args=["import-events", str(path)])
    assert result.exit_code == 0, result.output


def export(runner, tmp_path: Path, as_of: str) -> dict[str, dict[str, tuple]]:
    """Each sheet's rows by 学号 (first column)."""
    path = tmp_path / f"report-{as_of}.xlsx"
    result = runner.invoke(args=["export-report", "2026秋", str(path), "--as-of", as_of])
    assert result.exit_code == 0, result.output
    book = load_workbook(path, read_only=True)
    return {
        name: {str(row[0]): row for row in book[name].iter_rows(min_row=2, values_only=True)}
        for name in ("考勤汇总", "考核结果")
    }


def test_as_of_is_the_end_of_that_local_day(runner, team, tmp_path, monkeypatch):
    seen: list[datetime] = []
    original = report_cli.build_report

    def spy(session, semester, now):
        seen.append(now)
        return original(session, semester, now)

    monkeypatch.setattr(report_cli, "build_report", spy)
    result = runner.invoke(
        args=["export-report", "2026秋", str(tmp_path / "r.xlsx"), "--as-of", "2026-10-14"]
    )
    assert result.exit_code == 0, result.output
    (now,) = seen
    assert now == datetime(2026, 10, 14, 15, 59, 59, 999_999, tzinfo=UTC)
    assert to_local(now).date() == date(2026, 10, 14)
    assert now + timedelta(microseconds=1) == datetime(2026, 10, 15, tzinfo=LOCAL_TZ)


def test_as_of_counts_that_day_and_not_later_events(runner, team, tmp_path):
    import_events(runner, tmp_path)
    # The as-of day's own late counts (its whole day is in), the next week's does not.
    assert export(runner, tmp_path, "2026-09-16")["考勤汇总"]["2023101"][4] == 1
    assert export(runner, tmp_path, "2026-09-22")["考勤汇总"]["2023101"][4] == 1
    assert export(runner, tmp_path, "2026-09-23")["考勤汇总"]["2023101"][4] == 2


def test_as_of_includes_corrections_recorded_later(runner, team, db, tmp_path):
    import_events(runner, tmp_path)
    before = export(runner, tmp_path, "2026-09-16")["考勤汇总"]["2023101"]
    assert (before[2], before[6]) == (2, 1)  # 应值班次 2: 09-09 absent, 09-16 late
    with db.session() as s:
        person = s.scalar(select(User).where(User.username == "2023101"))
        counselor = s.scalar(select(User).where(User.username == team.counselor))
        wednesday = s.scalar(
            select(Shift.id).where(Shift.semester_id == team.semester_id, Shift.weekday == 3)
        )
        # 补签 made today (long after the as-of day) for the duty of 09-09.
        s.add(
            DutyCorrection(
                user_id=person.id,
                duty_date=date(2026, 9, 9),
                shift_id=wednesday,
                sign_in_at=datetime(2026, 9, 9, 7, 58, tzinfo=LOCAL_TZ),
                sign_out_at=datetime(2026, 9, 9, 10, 0, tzinfo=LOCAL_TZ),
                reason="纸质签到表补录",
                by_id=counselor.id,
            )
        )
    after = export(runner, tmp_path, "2026-09-16")["考勤汇总"]["2023101"]
    assert (after[2], after[3], after[4], after[6]) == (2, 2, 1, 0)


def test_mid_semester_grades_are_estimates(runner, team, tmp_path):
    import_events(runner, tmp_path)
    results = export(runner, tmp_path, "2026-10-14")["考核结果"]
    assert results, "nobody assessed"
    for username, row in results.items():
        assert "预估" in str(row[3]), (username, row)


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-09-06", "早于学期"),
        ("2026/10/14", "YYYY-MM-DD"),
        ("2026-02-30", "YYYY-MM-DD"),
    ],
)
def test_bad_as_of_is_one_line_and_writes_no_file(runner, team, tmp_path, as_of, message):
    path = tmp_path / "r.xlsx"
    result = runner.invoke(args=["export-report", "2026秋", str(path), "--as-of", as_of])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not list(tmp_path.glob("*.xlsx"))


def test_as_of_after_today_is_reported_with_a_note(runner, team, tmp_path, monkeypatch):
    monkeypatch.setattr(report_cli, "local_today", lambda: date(2026, 10, 14))
    path = tmp_path / "r.xlsx"
    result = runner.invoke(args=["export-report", "2026秋", str(path), "--as-of", "2026-10-21"])
    assert result.exit_code == 0, result.output
    assert "晚于今天" in result.stderr and path.exists()
    # A date after the semester's end reports the whole semester.
    after = runner.invoke(args=["export-report", "2026秋", str(path), "--as-of", "2027-03-01"])
    assert after.exit_code == 0, after.output

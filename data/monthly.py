"""Months: the semester cut by calendar month (月度汇总) or by a date window, from one report.

Every count here is ``summarize`` over the outcomes whose ``duty.day`` (already the local
Asia/Shanghai date) falls in the month or window, so a month's numbers add up to the semester's
考勤汇总 and a page filtered to a month shows the 月度汇总's numbers for it.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pandas as pd

from data.attendance import SemesterAttendance
from data.models import Semester
from data.policy.classify import summarize
from data.policy.stipend import hours_of
from data.policy.types import DutyOutcome
from data.report import SemesterReport
from data.timeutil import local_today

MONTHLY_SHEET = "月度汇总"
TOTAL_LABEL = "合计"
COUNT_COLUMNS = ["应值班次", "出勤", "迟到次数", "迟到分钟", "早退次数", "缺勤", "请假", "漏签退"]
HOUR_COLUMNS = ["工时(小时)", "加班工时"]
MONTHLY_COLUMNS = ["学号", "姓名", "月份", *COUNT_COLUMNS, *HOUR_COLUMNS]


def month_key(day: date) -> str:
    """'YYYY-MM' of a local date: the key the stipend's monthly cap uses too."""
    return day.strftime("%Y-%m")


def month_label(month: str) -> str:
    """'2026-11' → '2026年11月'."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-MM' month."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def semester_months(semester: Semester, until: date | None = None) -> list[str]:
    """The 'YYYY-MM' months the semester touches, up to ``until``'s month when given."""
    last = min(semester.end, until) if until else semester.end
    months, year, number = [], semester.start.year, semester.start.month
    while (year, number) <= (last.year, last.month):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months or [month_key(semester.start)]


def in_window(outcomes: Iterable[DutyOutcome], first: date, last: date) -> list[DutyOutcome]:
    """The outcomes whose duty day lies in [first, last]."""
    return [o for o in outcomes if first <= o.duty.day <= last]


def window_report(report: SemesterReport, first: date, last: date) -> SemesterReport:
    """The report with its attendance (outcomes and each member's summary) cut to a window.

    Only attendance changes; grades, warnings and stipend stay the semester's (they are
    semester-wide rules), so callers read ``attendance``/``hours`` from the result.
    """
    if (first, last) == (report.semester.start, report.semester.end):
        return report
    outcomes = in_window(report.attendance.outcomes, first, last)
    mine: dict[int, list[DutyOutcome]] = defaultdict(list)
    for outcome in outcomes:
        mine[outcome.duty.user_id].append(outcome)
    months = _whole_months(report.semester, first, last)
    members = []
    for m in report.members:
        summary = summarize(mine.get(m.user_id, []))
        hours = window_hours(m.stipend.monthly, months, summary.credited_minutes)
        members.append(dataclasses.replace(m, attendance=summary, window_hours=hours))
    attendance = SemesterAttendance(
        report.attendance.semester_id, outcomes, report.attendance.settings
    )
    return dataclasses.replace(report, members=members, attendance=attendance)


def _whole_months(semester: Semester, first: date, last: date) -> list[str] | None:
    """The months of [first, last] when it is made of whole calendar months of the semester."""
    months = [m for m in semester_months(semester) if first <= month_bounds(m)[1]]
    months = [m for m in months if month_bounds(m)[0] <= last]
    if not months:
        return None
    start = max(month_bounds(months[0])[0], semester.start)
    end = min(month_bounds(months[-1])[1], semester.end)
    return months if (first, last) == (start, end) else None


def window_hours(member_months: dict[str, tuple], months: list[str] | None, minutes: int) -> float:
    """A window's 工时: its months' hours when it is whole months (as the 月度汇总 and the
    stipend show them), else its minutes rounded once."""
    if months is not None:
        return float(sum(member_months.get(m, (Decimal(0),))[0] for m in months))
    return float(hours_of(minutes))


def monthly_frame(report: SemesterReport) -> pd.DataFrame:
    """月度汇总: one row per person and month up to the report's day, columns ``MONTHLY_COLUMNS``.

    工时(小时) is the month's credited minutes of scheduled and extra duty as the stipend counts
    them (``hours_of``), so a person's months add up to the workbook's 工时; 加班工时 is the
    part of it from extra duty (加班).
    """
    months = semester_months(report.semester, local_today(report.as_of))
    by_key: dict[tuple[int, str], list[DutyOutcome]] = defaultdict(list)
    for outcome in report.attendance.outcomes:
        by_key[(outcome.duty.user_id, month_key(outcome.duty.day))].append(outcome)
    rows = []
    for m in report.members:
        for month in months:
            items = by_key.get((m.user_id, month), [])
            s = summarize(items)
            extra = summarize(o for o in items if o.duty.extra)
            rows.append(
                [m.username, m.name, month, s.expected, s.attended, s.late, s.late_minutes]
                + [s.early, s.absent, s.leave, s.missed_sign_out]
                + [float(hours_of(s.credited_minutes)), float(hours_of(extra.credited_minutes))]
            )
    return pd.DataFrame(rows, columns=MONTHLY_COLUMNS)


def with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a 合计 row: the sum of every count and hour column."""
    total: dict = {column: "" for column in frame.columns}
    total["学号"] = TOTAL_LABEL
    for column in COUNT_COLUMNS:
        total[column] = int(frame[column].sum())
    for column in HOUR_COLUMNS:
        total[column] = round(float(frame[column].sum()), 2)
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def monthly_sheets(report: SemesterReport) -> dict[str, pd.DataFrame]:
    """The 月度汇总 workbook's sheets (written by ``data.xlsx``: frozen header, widths)."""
    return {MONTHLY_SHEET: with_totals(monthly_frame(report))}

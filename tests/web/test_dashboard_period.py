"""The month picker and date range (dashboard/period.py) and the pages they filter: 考勤, 工作记录
and 补贴 with a month picked show the 月度汇总's numbers for that month (one truth)."""

from __future__ import annotations

import importlib
from datetime import date

import dash
import pytest
from sqlalchemy import select

from dashboard.period import WHOLE, exclusive_values, month_options, period_window, window_text
from data.models import Semester
from data.monthly import monthly_frame, window_report
from data.report import build_report
from tests.conftest import DEMO_NOW
from tests.dash_helpers import figure_of, logged_in, texts
from tests.web.test_dashboard_attendance import find
from web import get_session

pytestmark = pytest.mark.db

SEMESTER = Semester(name="2026秋", start=date(2026, 9, 7), end=date(2027, 1, 15))
WHOLE_WINDOW = (SEMESTER.start, SEMESTER.end)


def page(name: str):
    return importlib.import_module(f"dashboard.pages.{name}")


@pytest.mark.parametrize(
    "month, start, end, window",
    [
        (None, None, None, WHOLE_WINDOW),
        (WHOLE, None, None, WHOLE_WINDOW),
        ("2026-11", None, None, (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-09", None, None, (date(2026, 9, 7), date(2026, 9, 30))),  # clipped to the start
        ("2027-01", None, None, (date(2027, 1, 1), date(2027, 1, 15))),  # clipped to the end
        ("2026-11", "2026-10-05", "2026-10-09", (date(2026, 10, 5), date(2026, 10, 9))),
        (None, "2026-10-09", "2026-10-05", (date(2026, 10, 5), date(2026, 10, 9))),  # reversed
        (None, "2026-12-20", None, (date(2026, 12, 20), date(2027, 1, 15))),
        (None, None, "2026-09-10", (date(2026, 9, 7), date(2026, 9, 10))),
        (None, "2026-01-01", "2026-12-31", (date(2026, 9, 7), date(2026, 12, 31))),
    ],
)
def test_period_window(month, start, end, window):
    assert period_window(SEMESTER, month, start, end) == window


@pytest.mark.parametrize(
    "month, start, end",
    [
        ("2026-13", None, None),
        ("2025-11", None, None),  # not a month of the semester
        ("2026-11-01", None, None),
        (["2026-11"], None, None),
        ({"a": 1}, None, None),
        (202611, None, None),
        ("", "", ""),
        (None, "2026-02-30", "not a day"),
        (None, ["2026-10-01"], {"x": 1}),
        (None, "2025-01-01", "2025-02-01"),  # wholly before the semester
        (None, "2027-03-01", "2027-04-01"),  # wholly after it
        ("x" * 10_000, "9" * 5000, None),
    ],
)
def test_bad_period_values_mean_the_whole_semester(month, start, end):
    assert period_window(SEMESTER, month, start, end) == WHOLE_WINDOW


def test_window_text_and_options():
    assert window_text(SEMESTER, WHOLE_WINDOW) == "全学期"
    assert window_text(SEMESTER, (date(2026, 11, 1), date(2026, 11, 30))) == "2026年11月"
    assert window_text(SEMESTER, (date(2026, 9, 7), date(2026, 9, 30))) == "2026年9月"
    assert window_text(SEMESTER, (date(2026, 11, 2), date(2026, 11, 8))) == (
        "2026-11-02 至 2026-11-08"
    )
    values = [o["value"] for o in month_options(SEMESTER)]
    assert values == [WHOLE, "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]


def test_month_and_range_exclude_each_other():
    no = dash.no_update
    picked_month = exclusive_values("p-month", "p", "2026-11", "2026-10-01", "2026-10-05")
    assert picked_month == (no, None, None)
    assert exclusive_values("p-month", "p", WHOLE, "2026-10-01", None) == (no, no, no)
    assert exclusive_values("p-range", "p", "2026-11", "2026-10-01", None) == (WHOLE, no, no)
    assert exclusive_values("p-range", "p", WHOLE, "2026-10-01", None) == (no, no, no)
    assert exclusive_values("shell-semester", "p", "2026-11", None, None) == (WHOLE, None, None)
    assert exclusive_values(None, "p", "2026-11", None, None) == (no, no, no)


def current(app) -> Semester:
    return get_session().scalar(select(Semester).order_by(Semester.start.desc()))


def test_attendance_with_a_month_picked_shows_the_monthly_numbers(demo_app):
    attendance = page("attendance")
    with logged_in(demo_app, "T0001"):
        semester = current(demo_app)
        body = attendance.render_attendance(semester.id, "2026-10", None, None)
        report = build_report(get_session(), semester, DEMO_NOW)
    october = monthly_frame(report).query("月份 == '2026-10'").set_index("学号")
    rows = {r["学号"]: r for r in find(body, "attendance-grid").rowData}
    assert set(rows) == set(october.index)
    for username, row in rows.items():
        month = october.loc[username]
        assert row["应值班次"] == month["应值班次"]
        assert row["出勤"] == month["出勤"]
        assert row["迟到"] == month["迟到次数"]
        assert row["早退"] == month["早退次数"]
        assert row["缺勤"] == month["缺勤"]
        assert row["请假"] == month["请假"]
        assert row["漏签退"] == month["漏签退"]
        assert row["工时(小时)"] == pytest.approx(month["工时(小时)"])
    assert "统计范围：2026年10月" in texts(body)
    heat = figure_of(find(body, "attendance-heatmap"))
    assert sum(sum(r) for r in heat.data[0].z) == october["迟到次数"].sum()
    weeks = figure_of(find(body, "attendance-weekly"))
    assert all(str(x)[:7] in ("2026-09", "2026-10") for trace in weeks.data for x in trace.x)


def test_attendance_whole_semester_is_unchanged_and_an_empty_window_is_explained(demo_app):
    attendance = page("attendance")
    with logged_in(demo_app, "T0001"):
        semester = current(demo_app)
        whole = attendance.render_attendance(semester.id)
        picked = attendance.render_attendance(semester.id, WHOLE, None, None)
        future = attendance.render_attendance(semester.id, "2026-12", None, None)
    assert find(whole, "attendance-grid").rowData == find(picked, "attendance-grid").rowData
    assert "所选时段没有已到期的值班" in texts(future)
    assert find(future, "attendance-grid") is None


def test_worklog_with_a_month_picked_counts_that_month(demo_app):
    worklog = page("worklog")
    with logged_in(demo_app, "T0001"):
        semester = current(demo_app)
        body = worklog.render_worklog(semester.id, "2026-10", None, None)
        whole = worklog.render_worklog(semester.id)
        report = build_report(get_session(), semester, DEMO_NOW)
    october = window_report(report, date(2026, 10, 1), date(2026, 10, 31))
    rows = {r["学号"]: r for r in find(body, "worklog-grid").rowData}
    totals = {r["学号"]: r for r in find(whole, "worklog-grid").rowData}
    for m in report.members:
        assert rows[m.username]["记录条数"] <= totals[m.username]["记录条数"]
        assert rows[m.username]["应交周数"] <= totals[m.username]["应交周数"]
    assert sum(r["记录条数"] for r in rows.values()) < sum(r["记录条数"] for r in totals.values())
    weeks = figure_of(find(body, "worklog-weekly")).data[0].x
    assert all("2026-09-28" <= str(x)[:10] <= "2026-10-31" for x in weeks)
    assert sum(r["记录条数"] for r in rows.values()) <= sum(
        m.attendance.attended + m.attendance.extra for m in october.members
    )


def test_stipend_with_a_month_picked_shows_that_months_hours_and_the_cap(demo_app):
    stipend = page("stipend")
    with logged_in(demo_app, "T0001"):
        semester = current(demo_app)
        body = stipend.render_stipend(semester.id, "2026-10", None, None)
        report = build_report(get_session(), semester, DEMO_NOW)
    cap = report.attendance.settings.monthly_cap_hours
    rows = find(body, "stipend-month-grid").rowData
    assert {r["月份"] for r in rows} == {"2026-10"}
    october = monthly_frame(report).query("月份 == '2026-10'").set_index("学号")
    for row in rows:
        assert row["工时(小时)"] == pytest.approx(october.loc[row["学号"], "工时(小时)"])
        assert row["计入补贴(小时)"] == pytest.approx(min(row["工时(小时)"], cap))
        assert row["超出上限(小时)"] == pytest.approx(max(0, row["工时(小时)"] - cap))
        assert row["每月上限(小时)"] == cap
    figure = figure_of(find(body, "stipend-cap"))
    assert [shape.y0 for shape in figure.layout.shapes] == [cap]
    assert list(figure_of(find(body, "stipend-monthly")).data[0].x) == ["2026-10"]
    assert f"每月上限 {cap:g} 小时" in texts(body)
    counted = sum(m.stipend.monthly.get("2026-10", (0, 0))[1] for m in report.members)
    assert f"{counted:.2f}" in texts(find(body, "stipend-kpis"))

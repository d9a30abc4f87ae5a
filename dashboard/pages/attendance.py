"""考勤: weekly status bars, when people are late (weekday × hour), per-assistant table, today."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures, grids, period
from dashboard.tables.attendance import lateness_matrix, weekly_statuses
from dashboard.tables.today import board_frame, today_board
from data.export import attendance_frame
from data.models import Semester
from data.monthly import monthly_sheets, window_report
from data.report import SemesterReport
from data.report_cache import cached_report
from data.timeutil import local_today
from web import now

SLUG = "attendance"
dash.register_page(
    __name__, path="/attendance", name="考勤", title="考勤 · 助管通", order=1, slug=SLUG
)

NO_DUTIES = "本学期还没有值班数据：请先导入名单和值班表，助管扫码签到后这里会显示考勤统计。"
NO_DUTIES_IN_WINDOW = "所选时段没有已到期的值班（还没开始或没有排班），请换一个月份或日期范围。"
GRID_NOTE = "与学期报表“考勤汇总”一致；出勤率 = 出勤 / 应值班次。点击表头排序，表头菜单可筛选。"
MONTHLY_NOTE = "月度汇总：每人每月一行（整个学期），含迟到分钟、加班工时和合计行。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "考勤", controls=period_bar())


def period_bar() -> html.Div:
    """The month/date filter and the 月度汇总 download beside it."""
    monthly = html.Div(
        [
            dbc.Button(
                "月度汇总",
                id="attendance-monthly",
                color="primary",
                outline=True,
                size="sm",
                title=MONTHLY_NOTE,
            ),
            dcc.Download(id="attendance-monthly-download"),
        ],
        className="no-print mb-3",
    )
    return html.Div(
        [period.period_controls(SLUG), monthly],
        className="d-flex flex-wrap justify-content-between align-items-start column-gap-3",
    )


period.register(SLUG)


@access.page_callback(
    SLUG,
    Output("attendance-body", "children"),
    Input("shell-semester", "value"),
    Input("attendance-month", "value"),
    Input("attendance-range", "start_date"),
    Input("attendance-range", "end_date"),
    empty=components.NO_SEMESTER,
)
def render_attendance(session: Session, semester: Semester, month=None, start=None, end=None):
    moment = now()
    full = cached_report(session, semester, moment)
    window = period.period_window(semester, month, start, end)
    # Figures and the table count the duties whose day lies in the chosen period.
    report = window_report(full, *window)
    header = components.semester_line(
        semester, f"统计范围：{period.window_text(semester, window)}，截至今天"
    )
    if not full.attendance.outcomes:
        return components.empty_state(header, NO_DUTIES)
    if not report.attendance.outcomes:
        return components.empty_state(header, NO_DUTIES_IN_WINDOW)
    today = local_today(moment)
    return html.Div(
        [
            header,
            today_link(semester, today),
            dbc.Row([dbc.Col(weekly_card(report), lg=7), dbc.Col(lateness_card(report), lg=5)]),
            components.card("每位助管的考勤汇总", attendance_grid(report), GRID_NOTE),
        ]
    )


def weekly_card(report: SemesterReport) -> dbc.Card:
    weekly = weekly_statuses(report.attendance.outcomes)
    bars = (
        components.graph("attendance-weekly", figures.weekly_status_bars(weekly))
        if not weekly.empty
        else dbc.Alert("还没有已结束的班次。", color="light")
    )
    return components.card("每周出勤情况", bars)


def lateness_card(report: SemesterReport) -> dbc.Card:
    matrix = lateness_matrix(report.attendance.outcomes)
    late_total = int(matrix.values.sum()) if not matrix.empty else 0
    heat = (
        components.graph("attendance-heatmap", figures.lateness_heatmap(matrix))
        if late_total
        else dbc.Alert("本学期目前没有迟到，继续保持。", color="success", className="mb-0")
    )
    note = f"共迟到 {late_total} 次；颜色越深，该时段迟到越多。"
    return components.card("迟到分布（星期 × 班次开始时间）", heat, note)


def attendance_grid(report: SemesterReport):
    return grids.table_grid(
        "attendance-grid",
        attendance_frame(report),
        percent=("出勤率",),
        hidden=("user_id",),
        pinned=1,
        row_id="user_id",
    )


def today_link(semester: Semester, today: date) -> html.P:
    """One line to 今日值班, where today's duties show their live states."""
    running = semester.start <= today <= semester.end
    text = (
        f"今天（{today.month}月{today.day}日）的值班和实时签到状态见 "
        if running
        else "今天不在所选学期内；当前学期今天的值班见 "
    )
    link = dcc.Link(
        "今日值班 ›", href="/dashboard/today", id="attendance-today-link", className="text-nowrap"
    )
    return html.P([text, link], className="mb-3 no-print")


@access.page_callback(
    SLUG,
    Output("attendance-download", "data"),
    Input("attendance-excel", "n_clicks"),
    State("shell-semester", "value"),
    State("attendance-month", "value"),
    State("attendance-range", "start_date"),
    State("attendance-range", "end_date"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_attendance(
    session: Session, semester: Semester, _clicks: int | None, month=None, start=None, end=None
):
    moment = now()
    report = cached_report(session, semester, moment)
    window = period.period_window(semester, month, start, end)
    table = attendance_frame(window_report(report, *window)).drop(columns="user_id")
    # The same states as the 今日值班 board (of the team's running semester).
    board = today_board(session, semester.team_id, moment)
    sheets = {"考勤汇总": table, "今日值班": board_frame(board)}
    return excel.send_workbook(sheets, f"考勤-{semester.name}.xlsx")


@access.page_callback(
    SLUG,
    Output("attendance-monthly-download", "data"),
    Input("attendance-monthly", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_monthly(session: Session, semester: Semester, _clicks: int | None):
    """月度汇总 of the whole semester: one row per person and month, with a 合计 row."""
    report = cached_report(session, semester, now())
    return excel.send_workbook(monthly_sheets(report), f"月度汇总-{semester.name}.xlsx")

"""工作记录 (第六条二、五、六): record volume per week, compliance per assistant, recent records."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures, grids, period
from dashboard.tables.worklog import (
    recent_records,
    records_per_week,
    task_months,
    worklog_window,
)
from data.export import worklog_frame
from data.inputs import clean_text, shorten
from data.models import Semester
from data.report_cache import cached_report
from web import now

SLUG = "worklog"
dash.register_page(
    __name__, path="/worklog", name="工作记录", title="工作记录 · 助管通", order=3, slug=SLUG
)

RECENT = 50
NO_RECORDS = "本学期还没有工作记录：助管签退时填写的工作记录和每周的周总结会显示在这里。"
GRID_NOTE = (
    "记录率 = 有工作记录的班次 / 实际值班班次；周总结率 = 写了周总结的周 / 已结束的周；"
    "逾期任务 = 截止时已过而未按时完成的交办任务（含逾期完成）。"
)
TASK_NOTE = "按截止时间所在月份统计（北京时间），已取消的任务不计。"


def layout(**_kwargs) -> html.Div:
    search = dbc.Input(
        id="worklog-search",
        type="search",
        placeholder="搜索内容或姓名",
        debounce=0.4,
        className="mb-2",
        style={"maxWidth": "22rem"},
    )
    recent = components.card(
        f"最近的工作记录（最新 {RECENT} 条）", html.Div([search, html.Div(id="worklog-recent")])
    )
    return components.page(SLUG, "工作记录", recent, controls=period.period_controls(SLUG))


period.register(SLUG)


@access.page_callback(
    SLUG,
    Output("worklog-body", "children"),
    Input("shell-semester", "value"),
    Input("worklog-month", "value"),
    Input("worklog-range", "start_date"),
    Input("worklog-range", "end_date"),
    empty=components.NO_SEMESTER,
)
def render_worklog(session: Session, semester: Semester, month=None, start=None, end=None):
    window = period.period_window(semester, month, start, end)
    report = worklog_window(session, cached_report(session, semester, now()), window)
    header = components.semester_line(semester, f"统计范围：{period.window_text(semester, window)}")
    weekly = records_per_week(session, semester, window)
    if weekly.empty and not report.members:
        return components.empty_state(header, NO_RECORDS)
    grid = grids.table_grid(
        "worklog-grid", worklog_frame(report), percent=("记录率", "周总结率"), pinned=1
    )
    months = task_months(session, report, window)
    tasks = (
        grids.table_grid("worklog-tasks", months, pinned=2)
        if not months.empty
        else dbc.Alert("这段时间没有交办任务。", color="light", className="mb-0")
    )
    return html.Div(
        [
            header,
            components.card("每周工作记录条数", weekly_chart(weekly)),
            components.card("每位助管的记录与周总结", grid, GRID_NOTE),
            components.card("交办任务（每人每月）", tasks, TASK_NOTE),
        ]
    )


def weekly_chart(weekly: pd.DataFrame):
    if weekly.empty:
        return dbc.Alert("本学期还没有工作记录。", color="light", className="mb-0")
    return components.graph("worklog-weekly", figures.records_per_week_bars(weekly))


@access.page_callback(
    SLUG,
    Output("worklog-recent", "children"),
    Input("worklog-search", "value"),
    Input("shell-semester", "value"),
    empty=None,
)
def render_recent(session: Session, semester: Semester, search: object):
    """Searching needs no report: one indexed query for at most RECENT rows."""
    term = clean_text(search)
    frame = recent_records(session, semester, term, RECENT)
    if frame.empty:
        message = f"没有包含“{shorten(term)}”的记录。" if term else "暂无工作记录。"
        return dbc.Alert(message, color="light", className="mb-0")
    return grids.table_grid("worklog-records", frame, wide=("内容",), max_height=560)


@access.page_callback(
    SLUG,
    Output("worklog-download", "data"),
    Input("worklog-excel", "n_clicks"),
    State("shell-semester", "value"),
    State("worklog-search", "value"),
    State("worklog-month", "value"),
    State("worklog-range", "start_date"),
    State("worklog-range", "end_date"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_worklog(
    session: Session,
    semester: Semester,
    _clicks: object,
    search: object,
    month: object = None,
    start: object = None,
    end: object = None,
):
    window = period.period_window(semester, month, start, end)
    report = worklog_window(session, cached_report(session, semester, now()), window)
    weekly = records_per_week(session, semester, window)
    sheets = {
        "工作记录": worklog_frame(report),
        "每周记录": weekly.rename(columns={"week": "周（周一）", "count": "记录条数"}),
        "最近记录": recent_records(session, semester, clean_text(search), RECENT),
        "交办任务（每月）": task_months(session, report, window),
    }
    return excel.send_workbook(sheets, f"工作记录-{semester.name}.xlsx")

"""考勤: weekly status bars, when people are late (weekday × hour), per-assistant table, today."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures
from dashboard.tables.attendance import lateness_matrix, today_duties, weekly_statuses
from data.export import attendance_frame
from data.models import Semester
from data.report import SemesterReport, build_report
from data.timeutil import local_today
from web import now

SLUG = "attendance"
dash.register_page(
    __name__, path="/attendance", name="考勤", title="考勤 · 助管通", order=1, slug=SLUG
)

NO_DUTIES = "本学期还没有值班数据：请先导入名单和值班表，助管扫码签到后这里会显示考勤统计。"
TODAY_LABELS = {**figures.STATUS_LABELS, "upcoming": "未开始", "in_progress": "值班中"}
BADGE_COLORS = {"normal": "success", "late": "warning", "absent": "danger"}
GRID_NOTE = "与学期报表“考勤汇总”一致；出勤率 = 出勤 / 应值班次。点击表头排序，表头菜单可筛选。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "考勤")


@access.page_callback(
    SLUG,
    Output("attendance-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER,
)
def render_attendance(session: Session, semester: Semester):
    moment = now()
    report = build_report(session, semester, moment)
    header = components.semester_line(semester, "统计截至今天")
    if not report.attendance.outcomes:
        return components.empty_state(header, NO_DUTIES)
    today = local_today(moment)
    return html.Div(
        [
            header,
            dbc.Row([dbc.Col(weekly_card(report), lg=7), dbc.Col(lateness_card(report), lg=5)]),
            components.card("每位助管的考勤汇总", attendance_grid(report), GRID_NOTE),
            components.card(f"今天的值班（{today:%m月%d日}）", today_list(session, report, today)),
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
    return figures.table_grid(
        "attendance-grid",
        attendance_frame(report),
        percent=("出勤率",),
        hidden=("user_id",),
        pinned=1,
        row_id="user_id",
    )


def today_list(session: Session, report: SemesterReport, today: date) -> html.Div | dbc.Alert:
    """Who is on duty today and whether they have signed in (from the engine's outcomes)."""
    if not report.semester.start <= today <= report.semester.end:
        return dbc.Alert("今天不在所选学期内。", color="light", className="mb-0")
    frame = today_duties(session, report, today)
    if frame.empty:
        return dbc.Alert(
            "今天没有值班安排（休息日、节假日或未排班）。", color="light", className="mb-0"
        )
    items = [today_item(row) for row in frame.itertuples(index=False)]
    return dbc.ListGroup(items, id="attendance-today", flush=True)


def today_item(row) -> dbc.ListGroupItem:
    """One duty of today: shift, who, where; signed in or not, its status, a late mark."""
    signed = row.已签到 == "是"
    badges = [
        dbc.Badge(
            f"已签到 {row.签到时间}" if signed else "未签到",
            color="primary" if signed else "light",
            text_color=None if signed else "dark",
            className="me-1",
        ),
        dbc.Badge(
            TODAY_LABELS.get(row.status, row.status),
            color=BADGE_COLORS.get(row.status, "secondary"),
        ),
    ]
    if row.迟到 and row.status != "late":
        badges.append(dbc.Badge(row.迟到, color="warning", className="ms-1"))
    who = [
        html.Span(row.班次, className="fw-semibold me-2"),
        html.Span(f"{row.姓名}（{row.学号}）", className="me-2"),
        html.Span(row.岗位, className="text-secondary small"),
    ]
    return dbc.ListGroupItem(
        [html.Div(who), html.Div(badges, className="text-nowrap")],
        className="d-flex justify-content-between align-items-center flex-wrap gap-1",
    )


@access.page_callback(
    SLUG,
    Output("attendance-download", "data"),
    Input("attendance-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_attendance(session: Session, semester: Semester, _clicks: int | None):
    moment = now()
    report = build_report(session, semester, moment)
    table = attendance_frame(report).drop(columns="user_id")
    today = today_duties(session, report, local_today(moment))
    today = today.assign(状态=today["status"].map(lambda s: TODAY_LABELS.get(s, s)))
    sheets = {"考勤汇总": table, "今日值班": today.drop(columns="status")}
    return excel.send_workbook(sheets, f"考勤-{semester.name}.xlsx")

"""考勤: weekly status bars, when people are late (weekday × hour), per-assistant table, today."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard import components, excel, figures, queries
from data.report import build_report
from data.timeutil import local_today
from web import now

SLUG = "attendance"
dash.register_page(
    __name__, path="/attendance", name="考勤", title="考勤 · 助管通", order=1, slug=SLUG
)

EMPTY = "还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。"
NO_DUTIES = "本学期还没有值班数据：请先导入名单和值班表，助管扫码签到后这里会显示考勤统计。"
TODAY_LABELS = {**figures.STATUS_LABELS, "upcoming": "未开始", "in_progress": "值班中"}


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "考勤")


@callback(Output("attendance-body", "children"), Input("shell-semester", "value"))
def render_attendance(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert(EMPTY, color="info")
    moment = now()
    report = build_report(session, semester, moment)
    header = html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}），统计截至今天",
        className="text-secondary",
    )
    if not report.attendance.outcomes:
        return html.Div([header, dbc.Alert(NO_DUTIES, color="info")])

    weekly = queries.weekly_statuses(report.attendance.outcomes)
    bars = (
        dcc.Graph(
            id="attendance-weekly",
            figure=figures.weekly_status_bars(weekly),
            config=components.GRAPH_CONFIG,
        )
        if not weekly.empty
        else dbc.Alert("还没有已结束的班次。", color="light")
    )
    matrix = queries.lateness_matrix(report.attendance.outcomes)
    late_total = int(matrix.values.sum()) if not matrix.empty else 0
    heat = (
        dcc.Graph(
            id="attendance-heatmap",
            figure=figures.lateness_heatmap(matrix),
            config=components.GRAPH_CONFIG,
        )
        if late_total
        else dbc.Alert("本学期目前没有迟到，继续保持。", color="success", className="mb-0")
    )
    grid = figures.table_grid(
        "attendance-grid",
        queries.attendance_table(report),
        percent=("出勤率",),
        hidden=("user_id",),
        pinned=1,
        row_id="user_id",
    )
    today = local_today(moment)
    return html.Div(
        [
            header,
            dbc.Row(
                [
                    dbc.Col(components.card("每周出勤情况", bars), lg=7),
                    dbc.Col(
                        components.card(
                            "迟到分布（星期 × 班次开始时间）",
                            heat,
                            f"共迟到 {late_total} 次；颜色越深，该时段迟到越多。",
                        ),
                        lg=5,
                    ),
                ]
            ),
            components.card(
                "每位助管的考勤汇总",
                grid,
                "与学期报表“考勤汇总”一致；出勤率 = 出勤 / 应值班次。点击表头排序，表头菜单可筛选。",
            ),
            components.card(f"今天的值班（{today:%m月%d日}）", today_list(session, report, today)),
        ]
    )


def today_list(session, report, today) -> html.Div | dbc.Alert:
    """Who is on duty today and whether they have signed in (from the engine's outcomes)."""
    if not report.semester.start <= today <= report.semester.end:
        return dbc.Alert("今天不在所选学期内。", color="light", className="mb-0")
    frame = queries.today_duties(session, report, today)
    if frame.empty:
        return dbc.Alert(
            "今天没有值班安排（休息日、节假日或未排班）。", color="light", className="mb-0"
        )
    items = []
    for row in frame.itertuples(index=False):
        signed = row.已签到 == "是"
        status = TODAY_LABELS.get(row.status, row.status)
        badge_color = {"normal": "success", "late": "warning", "absent": "danger"}.get(
            row.status, "secondary"
        )
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(
                        [
                            html.Span(row.班次, className="fw-semibold me-2"),
                            html.Span(f"{row.姓名}（{row.学号}）", className="me-2"),
                            html.Span(row.岗位, className="text-secondary small"),
                        ]
                    ),
                    html.Div(
                        [
                            dbc.Badge(
                                f"已签到 {row.签到时间}" if signed else "未签到",
                                color="primary" if signed else "light",
                                text_color=None if signed else "dark",
                                className="me-1",
                            ),
                            dbc.Badge(status, color=badge_color),
                            *(
                                [dbc.Badge(row.迟到, color="warning", className="ms-1")]
                                if row.迟到 and row.status != "late"
                                else []
                            ),
                        ],
                        className="text-nowrap",
                    ),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-1",
            )
        )
    return dbc.ListGroup(items, id="attendance-today", flush=True)


@callback(
    Output("attendance-download", "data"),
    Input("attendance-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def export_attendance(_clicks: int | None, semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    moment = now()
    report = build_report(session, semester, moment)
    table = queries.attendance_table(report).drop(columns="user_id")
    today = queries.today_duties(session, report, local_today(moment))
    today = today.assign(状态=today["status"].map(lambda s: TODAY_LABELS.get(s, s)))
    return excel.send_workbook(
        {"考勤汇总": table, "今日值班": today.drop(columns="status")},
        f"考勤-{semester.name}.xlsx",
    )

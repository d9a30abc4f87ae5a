"""工作记录 (第六条二、五、六): record volume per week, compliance per assistant, recent records."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard import components, excel, figures, queries
from data.report import build_report
from web import now

SLUG = "worklog"
dash.register_page(
    __name__, path="/worklog", name="工作记录", title="工作记录 · 助管通", order=3, slug=SLUG
)

EMPTY = "还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。"
RECENT = 50


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
    return components.page(SLUG, "工作记录", recent)


@callback(Output("worklog-body", "children"), Input("shell-semester", "value"))
def render_worklog(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert(EMPTY, color="info")
    report = build_report(session, semester, now())
    header = html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}）", className="text-secondary"
    )
    weekly = queries.records_per_week(session, semester)
    if weekly.empty and not report.members:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "本学期还没有工作记录：助管签退时填写的工作记录和每周的周总结会显示在这里。",
                    color="info",
                ),
            ]
        )
    chart = (
        dcc.Graph(
            id="worklog-weekly",
            figure=figures.records_per_week_bars(weekly),
            config={"displayModeBar": False, "responsive": True},
        )
        if not weekly.empty
        else dbc.Alert("本学期还没有工作记录。", color="light", className="mb-0")
    )
    table = queries.worklog_table(report)
    return html.Div(
        [
            header,
            components.card("每周工作记录条数", chart),
            components.card(
                "每位助管的记录与周总结",
                figures.table_grid("worklog-grid", table, percent=("记录率", "周总结率"), pinned=1),
                "记录率 = 有工作记录的班次 / 实际值班班次；周总结率 = 写了周总结的周 / 已结束的周。",
            ),
        ]
    )


@callback(
    Output("worklog-recent", "children"),
    Input("worklog-search", "value"),
    Input("shell-semester", "value"),
)
def render_recent(search: str | None, semester_id: int | None):
    """Searching needs no report: one indexed query for at most RECENT rows."""
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return None
    frame = queries.recent_records(session, semester, search, RECENT)
    if frame.empty:
        message = (
            f"没有包含“{search.strip()}”的记录。" if (search or "").strip() else "暂无工作记录。"
        )
        return dbc.Alert(message, color="light", className="mb-0")
    return figures.table_grid("worklog-records", frame, wide=("内容",), max_height=560)


@callback(
    Output("worklog-download", "data"),
    Input("worklog-excel", "n_clicks"),
    State("shell-semester", "value"),
    State("worklog-search", "value"),
    prevent_initial_call=True,
)
def export_worklog(_clicks: int | None, semester_id: int | None, search: str | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    report = build_report(session, semester, now())
    weekly = queries.records_per_week(session, semester).rename(
        columns={"week": "周（周一）", "count": "记录条数"}
    )
    return excel.send_workbook(
        {
            "工作记录": queries.worklog_table(report),
            "每周记录": weekly,
            "最近记录": queries.recent_records(session, semester, search, RECENT),
        },
        f"工作记录-{semester.name}.xlsx",
    )

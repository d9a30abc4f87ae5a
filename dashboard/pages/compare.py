"""学期对比: the team's semesters side by side — attendance rate, lates, hours, grades."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from flask_login import current_user

from dashboard import components, excel, figures, queries
from web import now

SLUG = "compare"
dash.register_page(
    __name__, path="/compare", name="学期对比", title="学期对比 · 助管通", order=7, slug=SLUG
)


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "学期对比")


def chart(title: str, graph_id: str, figure) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H2(title, className="h6"),
                    dcc.Graph(id=graph_id, figure=figure, config=components.GRAPH_CONFIG),
                ]
            ),
            className="shadow-sm mb-3",
        ),
        xs=12,
        lg=6,
    )


def _state(stats: queries.SemesterStats) -> str:
    """Axis label suffix: a running term, or a finished one whose grades are not published."""
    if not stats.assessed:
        return "（进行中）"
    return "（预估）" if stats.estimate else ""


@callback(Output("compare-body", "children"), Input("shell-semester", "value"))
def render_compare(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单。", color="info")
    stats = [s for s in queries.compare_stats(session, semester, now()) if s.assistants]
    scope = f"对比范围：{semester.team.name} 的全部学期"
    if current_user.team_id is None:
        scope += "（在上方切换学期即可查看其他团队）"
    header = html.P(scope, className="text-secondary")
    if not stats:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "还没有有数据的学期：助管聘任并开始值班后，这里会按学期对比出勤、迟到、工时和考核。",
                    color="info",
                ),
            ]
        )
    names = [s.name + _state(s) for s in stats]
    note = (
        dbc.Alert("目前只有一个学期的数据，下个学期开始后即可对比。", color="info")
        if len(stats) == 1
        else None
    )
    history = [
        (name, grade, count, s.estimate)
        for name, s in zip(names, stats, strict=True)
        for grade, count in s.grades.items()
    ]
    grades = pd.DataFrame(history, columns=["semester", "grade", "count", "estimate"])
    charts = dbc.Row(
        [
            chart(
                "出勤率",
                "compare-rate",
                figures.semester_line(names, [s.rate for s in stats], "出勤率", ".1%", "#198754"),
            ),
            chart(
                "人均迟到次数",
                "compare-late",
                figures.semester_line(
                    names, [s.late_per_assistant for s in stats], "人均迟到", ".2f", "#fd7e14"
                ),
            ),
            chart(
                "人均工时（小时）",
                "compare-hours",
                figures.semester_line(
                    names, [s.hours_per_assistant for s in stats], "人均工时", ".1f", "#0d6efd"
                ),
            ),
            chart("考核等级分布", "compare-grades", figures.grade_history_bars(grades)),
        ]
    )
    table = dbc.Card(
        dbc.CardBody(
            [
                html.H2("各学期汇总", className="h6"),
                html.P(
                    "进行中的学期按截至今天的数据统计；考核结果发布前，等级为预估，"
                    "“不合格”一列是不合格风险人数。",
                    className="small text-secondary",
                ),
                figures.data_grid(
                    "compare-grid", queries.compare_frame(stats), height=None, pinned=1
                ),
            ]
        ),
        className="shadow-sm mb-3",
    )
    return html.Div([header, note, charts, table])


@callback(
    Output("compare-download", "data"),
    Input("compare-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def export_compare(_clicks: int | None, semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    stats = [s for s in queries.compare_stats(session, semester, now()) if s.assistants]
    frame = queries.compare_frame(stats)
    return excel.send_workbook({"学期对比": frame}, f"{semester.team.name}-学期对比.xlsx")

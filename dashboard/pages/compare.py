"""学期对比: the team's semesters side by side — attendance rate, lates, hours, grades."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures
from dashboard.tables.compare import SemesterStats, compare_frame, compare_stats
from data.models import Semester
from web import now

SLUG = "compare"
dash.register_page(
    __name__, path="/compare", name="学期对比", title="学期对比 · 助管通", order=7, slug=SLUG
)

NO_DATA = "还没有有数据的学期：助管聘任并开始值班后，这里会按学期对比出勤、迟到、工时和考核。"
TABLE_NOTE = (
    "进行中的学期按截至今天的数据统计；考核结果发布前，等级为预估，“不合格”一列是不合格风险人数。"
)


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "学期对比")


def chart(title: str, graph_id: str, figure) -> dbc.Col:
    return dbc.Col(components.card(title, components.graph(graph_id, figure)), xs=12, lg=6)


def _state(stats: SemesterStats) -> str:
    """Axis label suffix: a running term, or a finished one whose grades are not published."""
    if not stats.assessed:
        return "（进行中）"
    return "（预估）" if stats.estimate else ""


@access.page_callback(
    SLUG,
    Output("compare-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER_ROSTER,
)
def render_compare(session: Session, semester: Semester):
    stats = [s for s in compare_stats(session, semester, now()) if s.assistants]
    scope = f"对比范围：{semester.team.name} 的全部学期"
    if current_user.team_id is None:
        scope += "（在上方切换学期即可查看其他团队）"
    header = html.P(scope, className="text-secondary")
    if not stats:
        return components.empty_state(header, NO_DATA)
    note = (
        dbc.Alert("目前只有一个学期的数据，下个学期开始后即可对比。", color="info")
        if len(stats) == 1
        else None
    )
    return html.Div([header, note, charts(stats), summary_card(stats)])


def summary_card(stats: list[SemesterStats]) -> dbc.Card:
    grid = figures.data_grid("compare-grid", compare_frame(stats), height=None, pinned=1)
    note = html.P(TABLE_NOTE, className="small text-secondary")
    return dbc.Card(
        dbc.CardBody([html.H2("各学期汇总", className="h6"), note, grid]),
        className="shadow-sm mb-3",
    )


def charts(stats: list[SemesterStats]) -> dbc.Row:
    """Rate, lates and hours per assistant, and the grades, one point per semester."""
    names = [s.name + _state(s) for s in stats]
    history = [
        (name, grade, count, s.estimate)
        for name, s in zip(names, stats, strict=True)
        for grade, count in s.grades.items()
    ]
    grades = pd.DataFrame(history, columns=["semester", "grade", "count", "estimate"])
    rate = [s.rate for s in stats]
    late = [s.late_per_assistant for s in stats]
    hours = [s.hours_per_assistant for s in stats]
    line = figures.semester_line
    return dbc.Row(
        [
            chart("出勤率", "compare-rate", line(names, rate, "出勤率", ".1%", "#198754")),
            chart("人均迟到次数", "compare-late", line(names, late, "人均迟到", ".2f", "#fd7e14")),
            chart(
                "人均工时（小时）",
                "compare-hours",
                line(names, hours, "人均工时", ".1f", "#0d6efd"),
            ),
            chart("考核等级分布", "compare-grades", figures.grade_history_bars(grades)),
        ]
    )


@access.page_callback(
    SLUG,
    Output("compare-download", "data"),
    Input("compare-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_compare(session: Session, semester: Semester, _clicks: int | None):
    stats = [s for s in compare_stats(session, semester, now()) if s.assistants]
    frame = compare_frame(stats)
    return excel.send_workbook({"学期对比": frame}, f"{semester.team.name}-学期对比.xlsx")

"""学期对比: the team's semesters side by side — attendance rate, lates, hours, grades."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import access, components, figures, grids
from dashboard.tables.compare import (
    FULL,
    SAME,
    SCOPES,
    SemesterStats,
    compare_frame,
    compare_stats,
    compare_workbook,
)
from data.inputs import parse_choice
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
SAME_NOTE = (
    "同期：进行中的学期在第 {week} 周，其他学期也只统计到各自第 {week} 周末，"
    "人均工时、人均迟到才可比。切换到“全学期”查看各学期的全部数据。"
)
NO_RUNNING = "目前没有进行中的学期，各学期按全学期统计。"
SCOPE_OPTIONS = [
    {"label": "同期对比", "value": SAME},
    {"label": "全学期", "value": FULL},
]


def layout(**_kwargs) -> html.Div:
    controls = dbc.RadioItems(
        id="compare-scope",
        options=SCOPE_OPTIONS,
        value=SAME,
        inline=True,
        className="mb-2 no-print",
    )
    return components.page(SLUG, "学期对比", controls=controls)


def chart(title: str, graph_id: str, figure) -> dbc.Col:
    return dbc.Col(components.card(title, components.graph(graph_id, figure)), xs=12, lg=6)


def _scope(value: object) -> str:
    # A tampered or missing value falls back to the default view, never an error.
    return parse_choice(value, SCOPES) or SAME


@access.page_callback(
    SLUG,
    Output("compare-body", "children"),
    Input("shell-semester", "value"),
    Input("compare-scope", "value"),
    empty=components.NO_SEMESTER_ROSTER,
)
def render_compare(session: Session, semester: Semester, scope: object = SAME):
    scope = _scope(scope)
    stats = [s for s in compare_stats(session, semester, now(), scope=scope) if s.assistants]
    scope_text = f"对比范围：{semester.team.name} 的全部学期"
    if current_user.team_id is None:
        scope_text += "（在上方切换学期即可查看其他团队）"
    header = html.P(scope_text, className="text-secondary")
    if not stats:
        return components.empty_state(header, NO_DATA)
    note = (
        dbc.Alert("目前只有一个学期的数据，下个学期开始后即可对比。", color="info")
        if len(stats) == 1
        else None
    )
    return html.Div([header, note, scope_note(stats, scope), charts(stats), summary_card(stats)])


def scope_note(stats: list[SemesterStats], scope: str) -> html.P | None:
    """Say what the numbers cover: 同期 up to week N, or why the whole terms are shown."""
    point = next((s.point for s in stats if s.point), "")
    if point:
        week = point.removeprefix("第").split("周")[0]
        return html.P(SAME_NOTE.format(week=week), id="compare-scope-note", className="small")
    if scope == SAME:
        return html.P(NO_RUNNING, id="compare-scope-note", className="small text-secondary")
    return None


def summary_card(stats: list[SemesterStats]) -> dbc.Card:
    # table_grid shows 出勤率 as a percentage (99.4%); the value stays a number for sorting.
    grid = grids.table_grid("compare-grid", compare_frame(stats), percent=("出勤率",), pinned=1)
    note = html.P(TABLE_NOTE, className="small text-secondary")
    return dbc.Card(
        dbc.CardBody([html.H2("各学期汇总", className="h6"), note, grid]),
        className="shadow-sm mb-3",
    )


def chart_name(label: str) -> str:
    """A semester's label in short lines (学年 / 学期 / 第N周): upright under a phone's chart.

    On one line, "2025-2026学年第二学期 第13周（同期）" was tilted and took most of the chart.
    """
    year, mark, rest = label.partition("学年")
    lines = [year + mark] if mark else []
    term, space, point = (rest if mark else label).partition(" ")
    lines += [term, point] if space else [term]
    return "<br>".join(line for line in lines if line)


def charts(stats: list[SemesterStats]) -> dbc.Row:
    """Rate, lates and hours per assistant, and the grades, one point per semester."""
    names = [chart_name(s.label) for s in stats]
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
    State("compare-scope", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_compare(session: Session, semester: Semester, _clicks: object, scope: object = SAME):
    stats = [
        s for s in compare_stats(session, semester, now(), scope=_scope(scope)) if s.assistants
    ]
    content = compare_workbook(compare_frame(stats))
    return dcc.send_bytes(content, f"{semester.team.name}-学期对比.xlsx")

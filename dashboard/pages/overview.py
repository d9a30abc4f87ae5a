"""总览: the semester at a glance."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html
from flask_login import current_user

from dashboard import queries
from web import get_session, now

dash.register_page(__name__, path="/", name="总览", title="总览 · 助管通", order=0)


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            html.H1("总览", className="h3 mb-3"),
            html.Div(id="overview-body"),
        ]
    )


def kpi_card(label: str, value: str, note: str = "") -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="kpi-label"),
                    html.Div(value, className="kpi-value"),
                    html.Div(note, className="kpi-note"),
                ]
            ),
            className="kpi-card shadow-sm h-100",
        ),
        xs=6,
        md=4,
        xl=2,
        className="mb-3",
    )


@callback(Output("overview-body", "children"), Input("shell-semester", "value"))
def render_overview(semester_id: int | None):
    session = get_session()
    semester = queries.semester_visible(session, current_user, semester_id)
    if semester is None:
        return dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。", color="info")
    k = queries.overview_kpis(session, semester, now())
    rate = f"{k.attended / k.expected_so_far:.0%}" if k.expected_so_far else "—"
    return html.Div(
        [
            html.P(
                f"{semester.name}（{semester.start} 至 {semester.end}）", className="text-secondary"
            ),
            dbc.Row(
                [
                    kpi_card("在岗助管", str(k.on_duty), "试用与聘任中"),
                    kpi_card("应值班次", str(k.expected_so_far), "截至今天"),
                    kpi_card("出勤率", rate, f"出勤 {k.attended} 次"),
                    kpi_card("签到次数", str(k.sign_ins), "含加班"),
                    kpi_card("迟到", str(k.late), f"{k.assistants_with_lates} 人有迟到"),
                    kpi_card("总工时", f"{k.credited_hours:g} 小时", "按规则计入"),
                ]
            ),
        ]
    )

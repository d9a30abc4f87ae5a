"""总览: the semester at a glance — KPI cards and the weekly trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import components, figures, queries
from data.report import build_report
from web import now

SLUG = "overview"
dash.register_page(__name__, path="/", name="总览", title="总览 · 助管通", order=0, slug=SLUG)


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "总览", export=False, loading=False)


@callback(Output("overview-body", "children"), Input("shell-semester", "value"))
def render_overview(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。", color="info")
    moment = now()
    report = build_report(session, semester, moment)
    total = report.attendance.total()
    people = len(report.members)
    rate = f"{total.attended / total.expected:.0%}" if total.expected else "—"
    late_people = sum(1 for m in report.members if m.attendance.late)
    records = sum(m.records for m in report.members)
    progress = report.meeting_progress
    header = components.semester_line(semester)
    if total.expected == 0 and not report.members:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "本学期还没有值班数据：请先导入名单和值班表，助管扫码签到后这里会显示统计。",
                    color="info",
                ),
            ]
        )
    cards = dbc.Row(
        [
            components.kpi_card("在岗助管", str(people), "本学期聘任（含试用）", "人"),
            components.kpi_card("应值班次", str(total.expected), "截至今天", "次"),
            components.kpi_card("出勤率", rate, f"出勤 {total.attended} 次，请假 {total.leave} 次"),
            components.kpi_card("迟到", str(total.late), f"{late_people} 人有迟到", "次"),
            components.kpi_card(
                "缺勤", str(total.absent), f"漏签退 {total.missed_sign_out} 次", "次"
            ),
            components.kpi_card(
                "总工时",
                components.hours_text(total.credited_minutes / 60),
                f"含加班 {total.extra} 次",
                "小时",
            ),
            components.kpi_card(
                "工作记录",
                str(records),
                f"签到 {queries.sign_in_count(session, semester, moment)} 次",
                "条",
            ),
            components.kpi_card(
                "例会",
                f"{progress.held}/{progress.required}",
                "缺会议记录 " + str(progress.missing_minutes)
                if progress.missing_minutes
                else "每学期至少 2 次",
            ),
        ]
    )
    weekly = queries.weekly_statuses(report.attendance.outcomes)
    trend = dbc.Card(
        dbc.CardBody(
            [
                html.H2("每周出勤情况", className="h6"),
                dcc.Graph(
                    id="overview-weekly",
                    figure=figures.weekly_status_bars(weekly),
                    config=components.GRAPH_CONFIG,
                ),
            ]
        ),
        className="shadow-sm",
    )
    return html.Div([header, cards, trend])

"""补贴: hours (capped per month), grade factor, bonus and amount per assistant, with status."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard import components, excel, figures, queries
from data.report import build_report
from web import now

SLUG = "stipend"
dash.register_page(
    __name__, path="/stipend", name="补贴", title="补贴 · 助管通", order=6, slug=SLUG
)


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "补贴")


@callback(Output("stipend-body", "children"), Input("shell-semester", "value"))
def render_stipend(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单。", color="info")
    report = build_report(session, semester, now())
    header = html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}）", className="text-secondary"
    )
    if not report.members:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "本学期还没有聘任的助管，暂无补贴。助管值班后这里会按工时计算补贴。",
                    color="info",
                ),
            ]
        )
    settings = report.attendance.settings
    statuses = queries.stipend_statuses(session, semester.id)
    frame = queries.stipend_frame(report, statuses)
    hours = sum((m.stipend.hours for m in report.members), Decimal("0"))
    amount = sum((m.stipend.amount for m in report.members), Decimal("0"))
    bonus = sum((m.stipend.bonus for m in report.members), Decimal("0"))
    status_counts = Counter(frame["状态"])
    status_note = "，".join(f"{k} {v} 人" for k, v in sorted(status_counts.items()))
    cards = dbc.Row(
        [
            components.kpi_card("助管", str(len(report.members)), "本学期在岗（含试用）", "人"),
            components.kpi_card(
                "计入工时",
                f"{hours:.2f}",
                f"每月上限 {settings.monthly_cap_hours:g} 小时",
                "小时",
            ),
            components.kpi_card(
                "补贴总额", f"{amount:,.2f}", f"含嘉奖 {bonus:,.2f} 元", "元", wide=True
            ),
            components.kpi_card(
                "状态", str(status_counts.get("已发放", 0)), status_note, "人已发放"
            ),
        ],
        id="stipend-kpis",
    )
    factors = settings.grade_factors
    rule = (
        f"补贴 = 计入工时 × {settings.hourly_rate:g} 元/小时 × 等级系数（优秀 {factors['excellent']:g}、"
        f"合格 {factors['qualified']:g}、不合格 {factors['unqualified']:g}）+ 嘉奖；"
        f"每月计入工时不超过 {settings.monthly_cap_hours:g} 小时。"
    )
    banner = (
        dbc.Alert(
            [
                html.Strong(queries.estimate_note(report)),
                "：金额按预估等级计算，考核结果发布后以正式等级为准。",
            ],
            color="warning",
            id="stipend-estimate",
        )
        if report.estimate
        else None
    )
    chart = dbc.Card(
        dbc.CardBody(
            [
                html.H2("每月工时", className="h6"),
                dcc.Graph(
                    id="stipend-monthly",
                    figure=figures.stipend_monthly_bars(
                        queries.stipend_monthly(report), settings.monthly_cap_hours
                    ),
                    config={"displayModeBar": False, "responsive": True},
                ),
            ]
        ),
        className="shadow-sm mb-3",
    )
    grid = dbc.Card(
        dbc.CardBody(
            [
                html.H2("补贴明细", className="h6"),
                html.P(rule, className="small text-secondary mb-2"),
                figures.data_grid("stipend-grid", frame),
            ]
        ),
        className="shadow-sm mb-3",
    )
    return html.Div([header, banner, cards, chart, grid])


@callback(
    Output("stipend-download", "data"),
    Input("stipend-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def export_stipend(_clicks: int | None, semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    report = build_report(session, semester, now())
    frame = queries.stipend_frame(report, queries.stipend_statuses(session, semester.id))
    return excel.send_workbook({"补贴": frame}, f"{semester.name}-补贴.xlsx")

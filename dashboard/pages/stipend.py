"""补贴: hours (capped per month), grade factor, bonus and amount per assistant, with status."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures
from dashboard.tables.assessment import estimate_note
from dashboard.tables.stipend import stipend_monthly, stipend_statuses
from data.export import stipend_frame
from data.models import Semester
from data.report import SemesterReport, build_report
from web import now

SLUG = "stipend"
dash.register_page(
    __name__, path="/stipend", name="补贴", title="补贴 · 助管通", order=6, slug=SLUG
)

NO_MEMBERS = "本学期还没有聘任的助管，暂无补贴。助管值班后这里会按工时计算补贴。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "补贴")


@access.page_callback(
    SLUG,
    Output("stipend-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER_ROSTER,
)
def render_stipend(session: Session, semester: Semester):
    report = build_report(session, semester, now())
    header = components.semester_line(semester)
    if not report.members:
        return components.empty_state(header, NO_MEMBERS)
    frame = stipend_frame(report, stipend_statuses(session, semester.id))
    cards = kpi_cards(report, frame)
    return html.Div(
        [header, estimate_banner(report), cards, monthly_card(report), detail_card(report, frame)]
    )


def kpi_cards(report: SemesterReport, frame: pd.DataFrame) -> dbc.Row:
    """People, hours counted, the total amount, and how many have been paid."""
    settings = report.attendance.settings
    hours = sum((m.stipend.hours for m in report.members), Decimal("0"))
    amount = sum((m.stipend.amount for m in report.members), Decimal("0"))
    bonus = sum((m.stipend.bonus for m in report.members), Decimal("0"))
    statuses = Counter(frame["状态"])
    status_note = "，".join(f"{k} {v} 人" for k, v in sorted(statuses.items()))
    kpi = components.kpi_card
    return dbc.Row(
        [
            kpi("助管", str(len(report.members)), "本学期在岗（含试用）", "人"),
            kpi(
                "计入工时", f"{hours:.2f}", f"每月上限 {settings.monthly_cap_hours:g} 小时", "小时"
            ),
            kpi("补贴总额", f"{amount:,.2f}", f"含嘉奖 {bonus:,.2f} 元", "元", wide=True),
            kpi("状态", str(statuses.get("已发放", 0)), status_note, "人已发放"),
        ],
        id="stipend-kpis",
    )


def estimate_banner(report: SemesterReport) -> dbc.Alert | None:
    if not report.estimate:
        return None
    return dbc.Alert(
        [
            html.Strong(estimate_note(report)),
            "：金额按预估等级计算，考核结果发布后以正式等级为准。",
        ],
        color="warning",
        id="stipend-estimate",
    )


def monthly_card(report: SemesterReport) -> dbc.Card:
    cap = report.attendance.settings.monthly_cap_hours
    figure = figures.stipend_monthly_bars(stipend_monthly(report), cap)
    return components.card("每月工时", components.graph("stipend-monthly", figure))


def detail_card(report: SemesterReport, frame: pd.DataFrame) -> dbc.Card:
    """The table, under the rule that computed it."""
    settings = report.attendance.settings
    factors = settings.grade_factors
    rule = (
        f"补贴 = 计入工时 × {settings.hourly_rate:g} 元/小时 × 等级系数（优秀 {factors['excellent']:g}、"
        f"合格 {factors['qualified']:g}、不合格 {factors['unqualified']:g}）+ 嘉奖；"
        f"每月计入工时不超过 {settings.monthly_cap_hours:g} 小时。"
    )
    return components.card("补贴明细", figures.data_grid("stipend-grid", frame), rule)


@access.page_callback(
    SLUG,
    Output("stipend-download", "data"),
    Input("stipend-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_stipend(session: Session, semester: Semester, _clicks: int | None):
    report = build_report(session, semester, now())
    frame = stipend_frame(report, stipend_statuses(session, semester.id))
    return excel.send_workbook({"补贴": frame}, f"{semester.name}-补贴.xlsx")

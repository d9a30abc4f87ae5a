"""补贴: hours (capped per month), grade factor, bonus and amount per assistant, with status."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures, grids, period
from dashboard.tables.assessment import estimate_note
from dashboard.tables.stipend import (
    stipend_by_month,
    stipend_monthly,
    stipend_statuses,
    window_months,
)
from data.export import stipend_frame
from data.models import Semester
from data.monthly import month_label
from data.report import SemesterReport
from data.report_cache import cached_report
from web import now

SLUG = "stipend"
dash.register_page(
    __name__, path="/stipend", name="补贴", title="补贴 · 助管通", order=6, slug=SLUG
)

NO_MEMBERS = "本学期还没有聘任的助管，暂无补贴。助管值班后这里会按工时计算补贴。"


MONTH_NOTE = "每人每月的工时；超过每月上限的部分不计入补贴。选日期范围时按其涉及的整月显示。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "补贴", controls=period.period_controls(SLUG))


period.register(SLUG)


@access.page_callback(
    SLUG,
    Output("stipend-body", "children"),
    Input("shell-semester", "value"),
    Input("stipend-month", "value"),
    Input("stipend-range", "start_date"),
    Input("stipend-range", "end_date"),
    empty=components.NO_SEMESTER_ROSTER,
)
def render_stipend(session: Session, semester: Semester, month=None, start=None, end=None):
    report = cached_report(session, semester, now())
    window = period.period_window(semester, month, start, end)
    months = window_months(report, window)
    shown = "、".join(month_label(m) for m in months) if months else period.WHOLE_LABEL
    whole = window == (semester.start, semester.end)
    header = components.semester_line(semester, "" if whole else f"月份：{shown}")
    if not report.members:
        return components.empty_state(header, NO_MEMBERS)
    frame = stipend_frame(report, stipend_statuses(session, semester.id))
    cards = kpi_cards(report, frame, None if whole else months)
    return html.Div(
        [
            header,
            estimate_banner(report),
            cards,
            monthly_card(report, months),
            person_month_card(report, months),
            detail_card(report, frame),
        ]
    )


def kpi_cards(
    report: SemesterReport, frame: pd.DataFrame, months: list[str] | None = None
) -> dbc.Row:
    """People, hours counted (in ``months`` when given), the semester's amount, paid count."""
    settings = report.attendance.settings
    hours = sum((m.stipend.hours for m in report.members), Decimal("0"))
    cap_note = f"每月上限 {settings.monthly_cap_hours:g} 小时"
    if months is not None:
        # The cap is per month, so a month's counted hours are its capped hours.
        hours = sum(
            (c for m in report.members for k, (_, c) in m.stipend.monthly.items() if k in months),
            Decimal("0"),
        )
        cap_note = f"所选月份；{cap_note}"
    amount = sum((m.stipend.amount for m in report.members), Decimal("0"))
    bonus = sum((m.stipend.bonus for m in report.members), Decimal("0"))
    statuses = Counter(frame["状态"])
    status_note = "，".join(f"{k} {v} 人" for k, v in sorted(statuses.items()))
    kpi = components.kpi_card
    return dbc.Row(
        [
            kpi("助管", str(len(report.members)), "本学期在岗（含试用）", "人"),
            kpi("计入工时", f"{hours:.2f}", cap_note, "小时"),
            kpi("补贴总额", f"{amount:,.2f}", f"全学期，含嘉奖 {bonus:,.2f} 元", "元", wide=True),
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


def monthly_card(report: SemesterReport, months: list[str]) -> dbc.Card:
    cap = report.attendance.settings.monthly_cap_hours
    figure = figures.stipend_monthly_bars(stipend_monthly(report, months), cap)
    return components.card("每月工时", components.graph("stipend-monthly", figure))


def person_month_card(report: SemesterReport, months: list[str]) -> dbc.Card:
    """Each person's hours per month against the monthly cap (a line), and the table."""
    frame = stipend_by_month(report, months)
    cap = float(report.attendance.settings.monthly_cap_hours)
    if frame.empty:
        body = dbc.Alert("所选月份还没有计入的工时。", color="light", className="mb-0")
    else:
        body = html.Div(
            [
                components.graph("stipend-cap", cap_figure(frame, cap)),
                grids.table_grid("stipend-month-grid", frame, pinned=2),
            ]
        )
    return components.card(f"每人每月工时（每月上限 {cap:g} 小时）", body, MONTH_NOTE)


def cap_figure(frame: pd.DataFrame, cap: float) -> figures.Figure:
    """Credited hours per person, one bar per month, with the monthly cap as a dashed line."""
    data = []
    for month, rows in frame.groupby("月份", sort=True):
        label = month_label(str(month))
        data.append(
            {
                "type": "bar",
                "x": rows["姓名"].tolist(),
                "y": rows["工时(小时)"].tolist(),
                "name": label,
                "customdata": rows[["计入补贴(小时)", "超出上限(小时)"]].to_numpy().tolist(),
                "hovertemplate": "%{x}：%{y:.2f} 小时（计入 %{customdata[0]:.2f}，"
                "超出 %{customdata[1]:.2f}）<extra>" + label + "</extra>",
            }
        )
    # The cap line across the whole plot and its label, as Plotly's add_hline draws them.
    line = {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": cap,
        "y1": cap,
        "line": {"color": "#dc3545", "dash": "dash"},
    }
    label = {
        "text": f"每月上限 {cap:g} 小时",
        "showarrow": False,
        "xref": "x domain",
        "x": 0,
        "xanchor": "left",
        "yref": "y",
        "y": cap,
        "yanchor": "bottom",
    }
    # The shared look, but the legend a little lower and Plotly's own grid colour.
    look = figures.base_layout(
        320,
        legend={"y": -0.25},
        barmode="group",
        xaxis={"type": "category"},
        yaxis={"title": figures.axis_title("小时"), "rangemode": "tozero"},
        shapes=[line],
        annotations=[label],
    )
    del look["yaxis"]["gridcolor"]
    return {"data": data, "layout": look}


def detail_card(report: SemesterReport, frame: pd.DataFrame) -> dbc.Card:
    """The table, under the rule that computed it."""
    settings = report.attendance.settings
    factors = settings.grade_factors
    rule = (
        f"补贴 = 计入工时 × {settings.hourly_rate:g} 元/小时 × 等级系数（优秀 {factors['excellent']:g}、"
        f"合格 {factors['qualified']:g}、不合格 {factors['unqualified']:g}）+ 嘉奖；"
        f"每月计入工时不超过 {settings.monthly_cap_hours:g} 小时。"
    )
    return components.card("补贴明细", grids.data_grid("stipend-grid", frame), rule)


@access.page_callback(
    SLUG,
    Output("stipend-download", "data"),
    Input("stipend-excel", "n_clicks"),
    State("shell-semester", "value"),
    State("stipend-month", "value"),
    State("stipend-range", "start_date"),
    State("stipend-range", "end_date"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_stipend(
    session: Session, semester: Semester, _clicks: int | None, month=None, start=None, end=None
):
    report = cached_report(session, semester, now())
    frame = stipend_frame(report, stipend_statuses(session, semester.id))
    months = window_months(report, period.period_window(semester, month, start, end))
    sheets = {"补贴": frame, "每人每月": stipend_by_month(report, months)}
    return excel.send_workbook(sheets, f"{semester.name}-补贴.xlsx")

"""总览: the semester at a glance — KPI cards and the weekly trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, html
from sqlalchemy.orm import Session

from dashboard import access, components, figures
from dashboard.tables.attendance import sign_in_count, weekly_statuses
from data.models import Semester
from data.report import SemesterReport, build_report
from web import now

SLUG = "overview"
dash.register_page(__name__, path="/", name="总览", title="总览 · 助管通", order=0, slug=SLUG)

NO_DUTIES = "本学期还没有值班数据：请先导入名单和值班表，助管扫码签到后这里会显示统计。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "总览", export=False, loading=False)


@access.page_callback(
    SLUG,
    Output("overview-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER,
)
def render_overview(session: Session, semester: Semester):
    moment = now()
    report = build_report(session, semester, moment)
    header = components.semester_line(semester)
    if report.attendance.total().expected == 0 and not report.members:
        return components.empty_state(header, NO_DUTIES)
    cards = kpi_cards(report, sign_in_count(session, semester, moment))
    return html.Div([header, cards, trend_card(report)])


def kpi_cards(report: SemesterReport, sign_ins: int) -> dbc.Row:
    """Eight tiles: people, duties, rate, lates, absences, hours, records, meetings."""
    total = report.attendance.total()
    rate = f"{total.attended / total.expected:.0%}" if total.expected else "—"
    late_people = sum(1 for m in report.members if m.attendance.late)
    progress = report.meeting_progress
    meetings_note = (
        "缺会议记录 " + str(progress.missing_minutes)
        if progress.missing_minutes
        else "每学期至少 2 次"
    )
    hours = components.hours_text(total.credited_minutes / 60)
    kpi = components.kpi_card
    return dbc.Row(
        [
            kpi("在岗助管", str(len(report.members)), "本学期聘任（含试用）", "人"),
            kpi("应值班次", str(total.expected), "截至今天", "次"),
            kpi("出勤率", rate, f"出勤 {total.attended} 次，请假 {total.leave} 次"),
            kpi("迟到", str(total.late), f"{late_people} 人有迟到", "次"),
            kpi("缺勤", str(total.absent), f"漏签退 {total.missed_sign_out} 次", "次"),
            kpi("总工时", hours, f"含加班 {total.extra} 次", "小时"),
            kpi(
                "工作记录", str(sum(m.records for m in report.members)), f"签到 {sign_ins} 次", "条"
            ),
            kpi("例会", f"{progress.held}/{progress.required}", meetings_note),
        ]
    )


def trend_card(report: SemesterReport) -> dbc.Card:
    weekly = weekly_statuses(report.attendance.outcomes)
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("每周出勤情况", className="h6"),
                components.graph("overview-weekly", figures.weekly_status_bars(weekly)),
            ]
        ),
        className="shadow-sm",
    )

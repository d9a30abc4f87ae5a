"""总览: the semester at a glance — KPI cards and the weekly trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import access, components, figures
from dashboard.tables.attendance import sign_in_count, weekly_statuses
from dashboard.tables.today import Board, today_board
from data.models import Role, Semester
from data.report import SemesterReport
from data.report_cache import cached_report
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
    report = cached_report(session, semester, moment)
    header = components.semester_line(semester)
    if report.attendance.total().expected == 0 and not report.members:
        return components.empty_state(header, NO_DUTIES)
    cards = kpi_cards(report, sign_in_count(session, semester, moment))
    parts = [header, cards, trend_card(report)]
    if current_user.role is Role.counselor:
        # The 兼辅 sees today's red rows here; the 团长 has the board first in the nav.
        parts.insert(1, today_card(today_board(session, semester.team_id, moment)))
    return html.Div(parts)


RED_SHOWN = 12  # red names on the card; the board lists them all


def today_card(board: Board) -> dbc.Card:
    """今日值班 in one card: counts per state and who needs attention, linking to the board."""
    link = dcc.Link("打开今日值班 ›", href="/dashboard/today", className="small")
    head = html.Div(
        [html.H2("今日值班", className="h6 mb-0"), link],
        className="d-flex justify-content-between align-items-baseline mb-2",
    )
    if not board.rows:
        body = html.P("今天没有值班安排。", className="mb-0 text-secondary")
    else:
        c = board.counts
        line = f"应到 {c.expected} · 已签到 {c.signed_in} · 迟到 {c.late} · 未到 {c.missing}"
        line += f" · 请假 {c.leave}" + (f" · 加班 {c.extra}" if c.extra else "")
        red = [
            html.Span(f"{r.name} {r.state.label}", className="badge text-bg-danger me-1 mb-1")
            for r in board.red[:RED_SHOWN]
        ]
        more = len(board.red) - RED_SHOWN
        if more > 0:
            red.append(html.Span(f"等 {len(board.red)} 人", className="small text-secondary"))
        body = html.Div([html.P(line, className="mb-2"), html.Div(red or "目前没有需要处理的。")])
    return dbc.Card(dbc.CardBody([head, body]), className="shadow-sm mb-3", id="overview-today")


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

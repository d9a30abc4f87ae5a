"""会议模式: the semester as a printable presentation, one page per topic (SPEC §5)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, dcc, html
from sqlalchemy.orm import Session

from dashboard import access, components, figures
from dashboard.tables.assessment import (
    estimate_note,
    grade_counts,
    risk_count_text,
    stored_assessments,
    unqualified_reasons,
)
from dashboard.tables.attendance import weekly_statuses
from dashboard.tables.warnings import warning_counts
from data.models import Semester
from data.report import SemesterReport, build_report, grade_label
from data.timeutil import local_today
from web import now

SLUG = "meeting-mode"
dash.register_page(
    __name__, path="/meeting", name="会议模式", title="会议模式 · 助管通", order=8, slug=SLUG
)

# Static images print reliably; the mode bar and hover are of no use on paper or a projector.
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": True}
TOP = 8  # rows in the "most lates" / "lowest record rate" tables: one printed page


def layout(**_kwargs) -> html.Div:
    if not access.allowed(SLUG):
        return dbc.Alert("无权查看此页面。", color="danger")
    return html.Div(
        [
            html.Div(
                html.Div(
                    [
                        html.H1("会议模式", className="h3 mb-0 me-auto"),
                        dbc.Button("打印 / 导出 PDF", id="meeting-mode-print", color="primary"),
                        html.A(
                            "下载学期报表（Excel）",
                            id="meeting-mode-xlsx",
                            href="",
                            className="btn btn-outline-secondary",
                        ),
                    ],
                    # d-flex is !important too: hide a wrapper so .no-print wins when printing.
                    className="d-flex flex-wrap align-items-center gap-2 mb-3",
                ),
                className="no-print",
            ),
            html.Div(id="meeting-mode-body"),
        ],
        className="meeting-mode",
    )


# The browser's own print dialog turns the page into a PDF; nothing to do on the server.
clientside_callback(
    "function (n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
    Output("meeting-mode-print", "title"),
    Input("meeting-mode-print", "n_clicks"),
    prevent_initial_call=True,
)


def section(title: str, *children, section_id: str) -> html.Section:
    """One topic, one printed page."""
    return html.Section(
        [html.H2(title, className="meeting-mode-title"), *children],
        id=f"meeting-mode-section-{section_id}",
        className="meeting-mode-section",
        style={"breakAfter": "page"},
    )


def big(label: str, value: str, note: str = "", unit: str = "") -> dbc.Col:
    # The unit is set small so a long number does not wrap its unit onto a line of its own.
    return dbc.Col(
        html.Div(
            [
                html.Div(label, className="meeting-mode-label"),
                html.Div(
                    [value, html.Span(unit, className="meeting-mode-unit")],
                    className="meeting-mode-value",
                ),
                html.Div(note, className="meeting-mode-note"),
            ],
            className="meeting-mode-kpi",
        ),
        xs=6,
        md=3,
        className="mb-3",
    )


def table(header: list[str], rows: list[list]) -> dbc.Table:
    # A plain table, not a grid: it prints completely, without scrollbars or virtual rows.
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        bordered=True,
        striped=True,
        className="meeting-mode-table",
    )


def graph(graph_id: str, figure) -> dcc.Graph:
    return dcc.Graph(id=f"meeting-mode-{graph_id}", figure=figure, config=GRAPH_CONFIG)


@access.page_callback(
    SLUG,
    Output("meeting-mode-body", "children"),
    Output("meeting-mode-xlsx", "href"),
    Input("shell-semester", "value"),
    empty=(components.NO_SEMESTER_ROSTER, ""),
)
def render_meeting_mode(session: Session, semester: Semester):
    href = f"/dashboard/report.xlsx?semester={semester.id}"
    moment = now()
    report = build_report(session, semester, moment)
    if not report.members:
        return dbc.Alert(
            f"{semester.name}还没有聘任的助管和值班数据，暂时没有可汇报的内容。", color="info"
        ), href
    sections = [
        overview_section(report, moment),
        attendance_section(report),
        warnings_section(report),
        records_section(report),
        meetings_section(report),
        assessment_section(report, stored_assessments(session, semester.id)),
        stipend_section(report),
    ]
    return html.Div(sections), href


def overview_section(report: SemesterReport, moment) -> html.Section:
    semester = report.semester
    total = report.attendance.total()
    rate = f"{total.attended / total.expected:.1%}" if total.expected else "—"
    progress = report.meeting_progress
    as_of = "学期已结束" if report.assessed else f"截至 {local_today(moment)}"
    return section(
        f"{semester.name} 助管工作汇报",
        html.P(
            f"{semester.team.name} · {semester.start} 至 {semester.end} · {as_of}",
            className="meeting-mode-subtitle",
        ),
        dbc.Row(
            [
                big("在岗助管", f"{len(report.members)}", unit="人"),
                big("应值班次", str(total.expected)),
                big("出勤率", rate, f"出勤 {total.attended} 次"),
                big("迟到", f"{total.late}", unit="次"),
                big("缺勤", f"{total.absent}", unit="次"),
                big("总工时", f"{total.credited_minutes / 60:.0f}", unit="小时"),
                big("工作记录", f"{sum(m.records for m in report.members)}", unit="条"),
                big("例会", f"{progress.held}/{progress.required}"),
            ]
        ),
        section_id="overview",
    )


def attendance_section(report: SemesterReport) -> html.Section:
    total = report.attendance.total()
    most = sorted(
        (m for m in report.members if m.attendance.late or m.attendance.absent),
        key=lambda m: (-m.attendance.late, -m.attendance.absent, m.username),
    )[:TOP]
    rows = [
        [m.name, m.attendance.late, m.attendance.absent, m.attendance.missed_sign_out] for m in most
    ]
    return section(
        "考勤",
        dbc.Row(
            [
                big("出勤", str(total.attended)),
                big("请假", str(total.leave)),
                big("早退", str(total.early)),
                big("漏签退", str(total.missed_sign_out)),
            ]
        ),
        graph(
            "weekly",
            figures.weekly_status_bars(weekly_statuses(report.attendance.outcomes)),
        ),
        html.H3("迟到、缺勤较多的助管", className="meeting-mode-subtitle mt-3"),
        table(["姓名", "迟到", "缺勤", "漏签退"], rows)
        if rows
        else html.P("本学期没有迟到和缺勤。"),
        section_id="attendance",
    )


def warnings_section(report: SemesterReport) -> html.Section:
    counts = warning_counts(report)
    critical = [m for m in report.members if m.warning.level == "critical"]
    if not critical:
        listing = html.P("没有达到不合格风险的助管。")
    elif report.estimate:
        # A meeting is no place to name people as failing before the counselor publishes.
        listing = html.P(
            f"不合格风险 {len(critical)} 人（考核发布前不在会上点名，名单见预警页）",
            id="meeting-mode-critical",
        )
    else:
        listing = html.Ul(
            [html.Li(f"{m.name}：{'；'.join(m.warning.reasons)}") for m in critical],
            id="meeting-mode-critical",
        )
    return section(
        "预警",
        dbc.Row([big(label, f"{count}", unit="人") for label, count in counts.items()]),
        graph("warnings", figures.warning_level_bars(counts)),
        html.H3("不合格风险", className="meeting-mode-subtitle mt-3"),
        listing,
        section_id="warnings",
    )


def records_section(report: SemesterReport) -> html.Section:
    members = report.members
    mean_rate = sum(m.record_rate for m in members) / len(members)
    weekly = sum(m.weekly_summaries for m in members)
    missing = sum(m.weeks_without_summary for m in members)
    lowest = sorted(members, key=lambda m: (m.record_rate, m.username))[:TOP]
    return section(
        "工作记录",
        dbc.Row(
            [
                big("工作记录", f"{sum(m.records for m in members)}", unit="条"),
                big("平均记录率", f"{mean_rate:.0%}", "有记录的班次 / 值班班次"),
                big("周总结", f"{weekly}", unit="份"),
                big("缺周总结", f"{missing}", unit="人周"),
            ]
        ),
        html.H3("记录率最低的助管", className="meeting-mode-subtitle mt-3"),
        table(
            ["姓名", "记录条数", "记录率", "周总结"],
            [[m.name, m.records, f"{m.record_rate:.0%}", m.weekly_summaries] for m in lowest],
        ),
        section_id="records",
    )


def meetings_section(report: SemesterReport) -> html.Section:
    progress = report.meeting_progress
    note = (
        f"缺会议记录 {progress.missing_minutes} 次"
        if progress.missing_minutes
        else "每学期至少 2 次"
    )
    rows = [
        [str(x.held_on), x.topic, x.present, x.excused, x.absent, "有" if x.has_minutes else "缺"]
        for x in report.meetings
    ]
    return section(
        "例会",
        dbc.Row([big("已开例会", f"{progress.held}/{progress.required}", note)]),
        table(["日期", "主题", "出席", "请假", "缺席", "会议记录"], rows)
        if rows
        else html.P("本学期还没有安排例会。"),
        section_id="meetings",
    )


def assessment_section(report: SemesterReport, stored) -> html.Section:
    counts = grade_counts(report)
    if report.estimate:
        # Counts only until publication (SPEC §3 Assessment): an estimate names nobody.
        return section(
            "考核（预估）",
            dbc.Alert(estimate_note(report), color="warning", className="meeting-mode-banner"),
            dbc.Row([big(label, f"{count}", unit="人") for label, count in counts.items()]),
            graph("grades", figures.grade_bars(counts, True)),
            html.H3("不合格风险", className="meeting-mode-subtitle mt-3"),
            html.P(risk_count_text(report), id="meeting-mode-risks"),
            section_id="assessment",
        )
    failing = [m for m in report.members if m.final_grade == "unqualified"]
    reasons = unqualified_reasons(report, stored)
    return section(
        "考核",
        None,
        dbc.Row([big(label, f"{count}", unit="人") for label, count in counts.items()]),
        graph("grades", figures.grade_bars(counts, False)),
        html.H3("不合格及原因", className="meeting-mode-subtitle mt-3"),
        html.Ul([html.Li(f"{m.name}：{r}") for m, r in zip(failing, reasons, strict=True)])
        if failing
        else html.P("没有不合格的助管。"),
        section_id="assessment",
    )


def stipend_section(report: SemesterReport) -> html.Section:
    by_grade: dict[str, list] = defaultdict(lambda: [0, Decimal("0"), Decimal("0")])
    for m in report.members:
        row = by_grade[grade_label(m.final_grade)]
        row[0] += 1
        row[1] += m.stipend.hours
        row[2] += m.stipend.amount
    hours = sum((m.stipend.hours for m in report.members), Decimal("0"))
    amount = sum((m.stipend.amount for m in report.members), Decimal("0"))
    rows = [
        [label, by_grade[label][0], f"{by_grade[label][1]:.2f}", f"{by_grade[label][2]:,.2f}"]
        for label in ("优秀", "合格", "不合格")
        if label in by_grade
    ]
    return section(
        "补贴" + ("（预估）" if report.estimate else ""),
        dbc.Row(
            [
                big("计入工时", f"{hours:.0f}", unit="小时"),
                big("补贴总额", f"{amount:,.0f}", unit="元"),
                big("嘉奖", f"{sum(m.stipend.bonus for m in report.members):,.0f}", unit="元"),
            ]
        ),
        table(["等级", "人数", "工时(小时)", "金额(元)"], rows),
        section_id="stipend",
    )

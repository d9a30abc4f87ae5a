"""会议模式: the semester as full-screen slides for a projector, one slide per printed page.

One KPI group, figure or table per slide (SPEC §5); dashboard/slides.py builds them, and
assets/slides.css + slides.js scale, step through and print them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, html
from sqlalchemy.orm import Session

from dashboard import access, components, figures
from dashboard.slides import ITEMS, ROWS, Slide, chunks, deck, graph, kpis, paged, table, text, tile
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
from data.report import SemesterReport, grade_label
from data.report_cache import cached_report
from data.timeutil import local_today
from web import now

SLUG = "meeting-mode"
dash.register_page(
    __name__, path="/meeting", name="会议模式", title="会议模式 · 助管通", order=8, slug=SLUG
)


def layout(**_kwargs) -> html.Div:
    if not access.allowed(SLUG):
        return dbc.Alert("无权查看此页面。", color="danger")
    return html.Div([toolbar(), html.Div(id="meeting-mode-body")], className="meeting-mode")


def toolbar() -> html.Div:
    """Counter, paging, 全屏, print and the workbook: small, never printed, wraps on a phone."""
    button = dict(color="light", size="sm", className="border")
    return html.Div(
        [
            html.H1("会议模式", className="slides-toolbar-title"),
            html.Span("", id="meeting-mode-counter", className="slides-counter"),
            dbc.Button("‹", id="meeting-mode-prev", title="上一页（←）", **button),
            dbc.Button("›", id="meeting-mode-next", title="下一页（→ 或空格）", **button),
            dbc.Button("全屏", id="meeting-mode-fullscreen", title="全屏（Esc 退出）", **button),
            dbc.Button("打印 / 导出 PDF", id="meeting-mode-print", color="primary", size="sm"),
            html.A(
                "下载学期报表（Excel）",
                id="meeting-mode-xlsx",
                href="",
                className="btn btn-sm btn-outline-secondary bg-white",
            ),
            html.A("退出", id="meeting-mode-exit", href="/dashboard/", className="btn btn-sm"),
        ],
        className="slides-toolbar no-print",
    )


# The browser's own print dialog turns the page into a PDF; nothing to do on the server.
clientside_callback(
    "function (n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
    Output("meeting-mode-print", "title"),
    Input("meeting-mode-print", "n_clicks"),
    prevent_initial_call=True,
)


@access.page_callback(
    SLUG,
    Output("meeting-mode-body", "children"),
    Output("meeting-mode-xlsx", "href"),
    Output("meeting-mode-exit", "href"),
    Input("shell-semester", "value"),
    empty=(components.NO_SEMESTER_ROSTER, "", "/dashboard/"),
)
def render_meeting_mode(session: Session, semester: Semester):
    href = f"/dashboard/report.xlsx?semester={semester.id}"
    exit_href = f"/dashboard/?semester={semester.id}"
    moment = now()
    report = cached_report(session, semester, moment)
    if not report.members:
        message = f"{semester.name}还没有聘任的助管和值班数据，暂时没有可汇报的内容。"
        return dbc.Alert(message, color="info", className="m-3"), href, exit_href
    slides = [
        overview_slide(report, moment),
        *attendance_slides(report),
        *warnings_slides(report),
        *records_slides(report),
        *meetings_slides(report),
        *assessment_slides(report, stored_assessments(session, semester.id)),
        stipend_slide(report),
    ]
    return deck(slides, f"{semester.team.name} · {semester.name}"), href, exit_href


def overview_slide(report: SemesterReport, moment) -> Slide:
    semester = report.semester
    total = report.attendance.total()
    rate = f"{total.attended / total.expected:.1%}" if total.expected else "—"
    progress = report.meeting_progress
    as_of = "学期已结束" if report.assessed else f"截至 {local_today(report.as_of)}"
    tiles = [
        tile("在岗助管", f"{len(report.members)}", unit="人"),
        tile("应值班次", str(total.expected)),
        tile("出勤率", rate, f"出勤 {total.attended} 次"),
        tile("迟到", f"{total.late}", unit="次"),
        tile("缺勤", f"{total.absent}", unit="次"),
        tile("总工时", f"{total.credited_minutes / 60:.0f}", unit="小时"),
        tile("工作记录", f"{sum(m.records for m in report.members)}", unit="条"),
        tile("例会", f"{progress.held}/{progress.required}"),
    ]
    subtitle = f"{semester.team.name} · {semester.start} 至 {semester.end} · {as_of}"
    return Slide(f"{semester.name} 助管工作汇报", [kpis(tiles)], "overview", subtitle)


def attendance_slides(report: SemesterReport) -> list[Slide]:
    total = report.attendance.total()
    rate = f"{total.attended / total.expected:.1%}" if total.expected else "—"
    numbers = Slide(
        "考勤",
        [
            kpis(
                [
                    tile("出勤率", rate, f"应值班 {total.expected} 次"),
                    tile("出勤", str(total.attended), unit="次"),
                    tile("迟到", str(total.late), unit="次"),
                    tile("缺勤", str(total.absent), unit="次"),
                    tile("请假", str(total.leave), unit="次"),
                    tile("早退", str(total.early), unit="次"),
                    tile("漏签退", str(total.missed_sign_out), unit="次"),
                ]
            )
        ],
        "attendance",
    )
    weekly = figures.weekly_status_bars(weekly_statuses(report.attendance.outcomes))
    chart = Slide("考勤 · 每周班次", [graph("weekly", weekly)], "attendance-weekly")
    most = sorted(
        (m for m in report.members if m.attendance.late or m.attendance.absent),
        key=lambda m: (-m.attendance.late, -m.attendance.absent, m.username),
    )[:ROWS]
    rows = [
        [m.name, m.attendance.late, m.attendance.absent, m.attendance.missed_sign_out] for m in most
    ]
    body = (
        table(["姓名", "迟到", "缺勤", "漏签退"], rows) if rows else text("本学期没有迟到和缺勤。")
    )
    top = Slide("迟到、缺勤较多的助管", [body], "attendance-top")
    return [numbers, chart, top]


def warnings_slides(report: SemesterReport) -> list[Slide]:
    counts = warning_counts(report)
    critical = [m for m in report.members if m.warning.level == "critical"]
    if not critical:
        line = text("没有达到不合格风险的助管。", "meeting-mode-critical")
    elif report.estimate:
        # A meeting is no place to name people as failing before the counselor publishes.
        line = text(
            f"不合格风险 {len(critical)} 人（考核发布前不在会上点名，名单见预警页）",
            "meeting-mode-critical",
        )
    else:
        line = text(f"不合格风险 {len(critical)} 人，名单见后页。", "meeting-mode-critical")
    numbers = Slide(
        "预警",
        [kpis([tile(label, f"{count}", unit="人") for label, count in counts.items()]), line],
        "warnings",
    )
    chart = Slide(
        "预警 · 各级人数", [graph("warnings", figures.warning_level_bars(counts))], "warnings-chart"
    )
    if report.estimate or not critical:
        return [numbers, chart]
    items = [f"{m.name}：{'；'.join(m.warning.reasons)}" for m in critical]
    listing = paged("不合格风险", chunks(items, ITEMS), "warnings-list", _bullets)
    return [numbers, chart, *listing]


def _bullets(items: list[str]) -> list:
    return [html.Ul([html.Li(item) for item in items], className="slide-list")]


def records_slides(report: SemesterReport) -> list[Slide]:
    members = report.members
    mean_rate = sum(m.record_rate for m in members) / len(members)
    tiles = [
        tile("工作记录", f"{sum(m.records for m in members)}", unit="条"),
        tile("平均记录率", f"{mean_rate:.0%}", "有记录的班次 / 值班班次"),
        tile("周总结", f"{sum(m.weekly_summaries for m in members)}", unit="份"),
        tile("缺周总结", f"{sum(m.weeks_without_summary for m in members)}", unit="人周"),
    ]
    lowest = sorted(members, key=lambda m: (m.record_rate, m.username))[:ROWS]
    rows = [[m.name, m.records, f"{m.record_rate:.0%}", m.weekly_summaries] for m in lowest]
    return [
        Slide("工作记录", [kpis(tiles)], "records"),
        Slide(
            "记录率最低的助管",
            [table(["姓名", "记录条数", "记录率", "周总结"], rows)],
            "records-lowest",
        ),
    ]


def meetings_slides(report: SemesterReport) -> list[Slide]:
    progress = report.meeting_progress
    note = (
        f"缺会议记录 {progress.missing_minutes} 次"
        if progress.missing_minutes
        else "每学期至少 2 次"
    )
    held = [x for x in report.meetings if x.held_on <= local_today(report.as_of)]
    tiles = [
        tile("已开例会", f"{progress.held}/{progress.required}", note),
        tile("出席", f"{sum(x.present for x in held)}", unit="人次"),
        tile("缺席", f"{sum(x.absent for x in held)}", unit="人次"),
    ]
    numbers = Slide("例会", [kpis(tiles)], "meetings")
    rows = [
        [str(x.held_on), x.topic, x.present, x.excused, x.absent, "有" if x.has_minutes else "缺"]
        for x in report.meetings
    ]
    if not rows:
        return [Slide("例会", [kpis(tiles), text("本学期还没有安排例会。")], "meetings")]
    header = ["日期", "主题", "出席", "请假", "缺席", "会议记录"]
    listing = paged("例会记录", chunks(rows, ROWS), "meetings-list", lambda p: [table(header, p)])
    return [numbers, *listing]


def assessment_slides(report: SemesterReport, stored) -> list[Slide]:
    counts = grade_counts(report)
    tiles = kpis([tile(label, f"{count}", unit="人") for label, count in counts.items()])
    chart_title = "考核 · 等级分布" + ("（预估）" if report.estimate else "")
    chart = Slide(
        chart_title, [graph("grades", figures.grade_bars(counts, report.estimate))], "grades"
    )
    if report.estimate:
        # Counts only until publication (SPEC §3 Assessment): an estimate names nobody.
        banner = html.Div(estimate_note(report), className="slide-banner")
        risks = text(risk_count_text(report), "meeting-mode-risks")
        return [Slide("考核（预估）", [banner, tiles, risks], "assessment"), chart]
    failing = [m for m in report.members if m.final_grade == "unqualified"]
    reasons = unqualified_reasons(report, stored)
    numbers = Slide("考核", [tiles], "assessment")
    if not failing:
        return [numbers, chart, Slide("不合格及原因", [text("没有不合格的助管。")], "failing")]
    items = [f"{m.name}：{r}" for m, r in zip(failing, reasons, strict=True)]
    return [numbers, chart, *paged("不合格及原因", chunks(items, ITEMS), "failing", _bullets)]


def stipend_slide(report: SemesterReport) -> Slide:
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
    tiles = [
        tile("计入工时", f"{hours:.0f}", unit="小时"),
        tile("补贴总额", f"{amount:,.0f}", unit="元"),
        tile("嘉奖", f"{sum(m.stipend.bonus for m in report.members):,.0f}", unit="元"),
    ]
    return Slide(
        "补贴" + ("（预估）" if report.estimate else ""),
        [kpis(tiles), table(["等级", "人数", "工时(小时)", "金额(元)"], rows)],
        "stipend",
    )

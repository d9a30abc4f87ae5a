"""考核: grade distribution this term and across terms, score parts, 不合格 reasons, re-hire list."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, figures, grids
from dashboard.tables.assessment import (
    estimate_note,
    grade_counts,
    grade_history,
    stored_assessments,
    unqualified_reasons,
)
from data.export import REHIRE, StoredAssessment, assessment_frame
from data.models import Semester
from data.report import SemesterReport
from data.report_cache import cached_report
from web import now

SLUG = "assessment"
dash.register_page(
    __name__, path="/assessment", name="考核", title="考核 · 助管通", order=5, slug=SLUG
)

NO_MEMBERS = "本学期还没有聘任的助管。导入名单并完成聘任后，这里会显示考核结果。"
ESTIMATE_TEXT = (
    "：等级按当前数据推算，不是最终考核结果。兼辅评价和同学互评在学期末录入，"
    "尚未录入的部分不计入，总分按已有部分折算为百分制；发布时未录入的部分按 0 分计。"
)
GRID_NOTE = (
    "出勤 40 + 工作记录 20 + 例会培训 10 + 兼辅评价 20 + 互评 10 = 100 分；"
    "≥ 90 优秀，≥ 60 合格；迟到 3 次以上、例会旷到、课程不及格、违纪直接评为不合格。"
)


def layout(**_kwargs) -> html.Div:
    # The across-semesters chart has its own callback: it reads every semester, and the
    # one-semester view should not wait for it.
    history = components.card(
        "历学期等级分布", dcc.Loading(html.Div(id="assessment-history-body"), delay_show=400)
    )
    return components.page(SLUG, "考核", history)


@access.page_callback(
    SLUG,
    Output("assessment-history-body", "children"),
    Input("shell-semester", "value"),
    empty=html.P("还没有学期数据。", className="text-secondary mb-0"),
)
def render_history(session: Session, semester: Semester):
    history = grade_history(session, semester, None, now())
    return components.graph("assessment-history", figures.grade_history_bars(history))


@access.page_callback(
    SLUG,
    Output("assessment-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER_ROSTER,
)
def render_assessment(session: Session, semester: Semester):
    report = cached_report(session, semester, now())
    header = components.semester_line(semester)
    if not report.members:
        return components.empty_state(header, NO_MEMBERS)
    stored = stored_assessments(session, semester.id)
    return html.Div(
        [
            header,
            estimate_banner(report),
            grades_card(report),
            components.card(
                "考核明细",
                grids.data_grid("assessment-grid", assessment_frame(report, stored)),
                GRID_NOTE,
            ),
            unqualified_card(report, stored),
            rehire_card(report),
        ]
    )


def estimate_banner(report: SemesterReport) -> dbc.Alert | None:
    if not report.estimate:
        return None
    return dbc.Alert(
        [html.Strong(estimate_note(report)), ESTIMATE_TEXT],
        color="warning",
        id="assessment-estimate",
    )


def grades_card(report: SemesterReport) -> dbc.Card:
    figure = figures.grade_bars(grade_counts(report), report.estimate)
    return components.card(
        "本学期等级分布" + ("（预估）" if report.estimate else ""),
        components.graph("assessment-grades", figure),
    )


def unqualified_card(report: SemesterReport, stored: dict[int, StoredAssessment]) -> dbc.Card:
    """Every 不合格 member with the engine's reasons (or the override's written reason)."""
    failing = [m for m in report.members if m.final_grade == "unqualified"]
    title = "不合格及原因" + ("（预估）" if report.estimate else "")
    if not failing:
        return components.card(
            title, html.P("没有不合格的助管。", className="mb-0", id="assessment-failing")
        )
    reasons = unqualified_reasons(report, stored)
    items = [
        html.Li([html.Strong(f"{m.name}（{m.username}）"), "：", reason])
        for m, reason in zip(failing, reasons, strict=True)
    ]
    return components.card(title, html.Ul(items, className="mb-0", id="assessment-failing"))


def rehire_card(report: SemesterReport) -> dbc.Card:
    """第七条三: 不合格 → 不再聘任; 合格/优秀 may be hired again next term."""
    if report.estimate:
        return components.card(
            "续聘名单",
            html.P("学期结束、考核结果发布后生成续聘名单。", className="mb-0 text-secondary"),
        )
    keep = [m for m in report.members if REHIRE[m.final_grade] == "可续聘"]
    drop = [m for m in report.members if REHIRE[m.final_grade] == "不再聘任"]

    def names(members) -> html.P:
        text = "、".join(f"{m.name}（{m.username}）" for m in members) or "无"
        return html.P(text, className="mb-0")

    body = dbc.Row(
        [
            dbc.Col([html.H3(f"可续聘 {len(keep)} 人", className="h6 text-success"), names(keep)]),
            dbc.Col(
                [
                    html.H3(f"不再聘任 {len(drop)} 人", className="h6 text-danger"),
                    names(drop),
                    html.P(
                        "依据第七条三：考核不合格者不再聘任。", className="small text-secondary"
                    ),
                ]
            ),
        ],
        id="assessment-rehire",
    )
    return components.card("续聘名单", body, "考核合格、优秀者可续聘")


@access.page_callback(
    SLUG,
    Output("assessment-download", "data"),
    Input("assessment-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_assessment(session: Session, semester: Semester, _clicks: int | None):
    report = cached_report(session, semester, now())
    frame = assessment_frame(report, stored_assessments(session, semester.id))
    return excel.send_workbook({"考核": frame}, f"{semester.name}-考核.xlsx")

"""例会与培训 (第七条一、第八条二): meetings held vs required, minutes, attendance, training."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, grids
from dashboard.tables.meetings import meeting_matrix, training_coverage
from data.export import meetings_frame
from data.models import Semester
from data.report import SemesterReport
from data.report_cache import cached_report
from data.timeutil import local_today
from web import now

SLUG = "meetings"
dash.register_page(
    __name__, path="/meetings", name="例会与培训", title="例会与培训 · 助管通", order=4, slug=SLUG
)

NOTHING_YET = "本学期还没有在岗助管和例会记录：兼辅老师录入例会（日期、主题、会议记录、考勤）后这里会显示进度。"
MISSING_STYLE = {
    "styleConditions": [
        {"condition": "params.value === '缺失'", "style": {"color": "#dc3545", "fontWeight": 600}}
    ]
}


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "例会与培训")


@access.page_callback(
    SLUG,
    Output("meetings-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER,
)
def render_meetings(session: Session, semester: Semester):
    moment = now()
    report = cached_report(session, semester, moment)
    header = components.semester_line(semester)
    if not report.members and not report.meetings:
        return components.empty_state(header, NOTHING_YET)
    matrix = meeting_matrix(session, semester, report)
    training = training_coverage(session, semester, report, local_today(moment))
    return html.Div(
        [
            header,
            dbc.Row(
                [
                    dbc.Col(progress_card(report), lg=4, className="mb-3"),
                    dbc.Col(
                        components.card("本学期例会", meeting_list(report), tall=True),
                        lg=8,
                        className="mb-3",
                    ),
                ]
            ),
            matrix_card(matrix),
            coverage_card(training),
        ]
    )


def progress_card(report: SemesterReport) -> dbc.Card:
    """“例会 1/2” and the warning of meeting_progress (short near term end, or minutes missing)."""
    progress = report.meeting_progress
    share = min(progress.held / progress.required, 1.0) if progress.required else 1.0
    body = [
        html.Div("例会进度", className="kpi-label"),
        html.Div(
            f"例会 {progress.held}/{progress.required}",
            className="kpi-value",
            id="meetings-progress",
        ),
        dbc.Progress(
            value=round(share * 100),
            color="success" if progress.held >= progress.required else "warning",
            className="my-2",
            style={"height": "0.6rem"},
        ),
        progress_note(report),
    ]
    return dbc.Card(dbc.CardBody(body), className="kpi-card shadow-sm h-100")


def progress_note(report: SemesterReport):
    """What to do about the meetings, or that all is in order."""
    progress = report.meeting_progress
    if not progress.warn:
        return html.Div(
            "进度正常：每学期至少召开 2 次例会，每次须有会议记录。", className="kpi-note"
        )
    notes = []
    if progress.held < progress.required:
        missing = progress.required - progress.held
        notes.append(f"学期将结束，例会还差 {missing} 次（每学期至少 {progress.required} 次）。")
    if progress.missing_minutes:
        notes.append(f"{progress.missing_minutes} 次例会缺少会议记录，请补写。")
    return dbc.Alert(
        " ".join(notes) or "请按时召开例会。",
        color="warning",
        className="mb-0 py-2",
        id="meetings-warning",
    )


def meeting_list(report: SemesterReport):
    meetings = meetings_frame(report)
    if meetings.empty:
        return dbc.Alert("本学期还没有召开例会。", color="light", className="mb-0")
    return grids.table_grid(
        "meetings-list",
        meetings,
        wide=("主题",),
        styled=("会议记录",),
        cell_style=MISSING_STYLE,
    )


def matrix_card(matrix: pd.DataFrame) -> dbc.Card:
    """Who attended which meeting; 姓名 first and pinned: what the counselor reads on a phone."""
    marks = tuple(matrix.columns[2:])
    body = (
        grids.table_grid(
            "meetings-matrix",
            matrix[["姓名", "学号", *marks]],
            pinned=1,
            styled=marks,
            cell_style=grids.PRESENCE_STYLE,
        )
        if marks
        else dbc.Alert("还没有例会考勤。", color="light", className="mb-0")
    )
    return components.card("例会考勤", body, "每行一位助管，每列一次例会；“—”表示当时尚未在岗。")


def coverage_card(training: pd.DataFrame) -> dbc.Card:
    """Everyone has had a training (第八条二), or who has not."""
    missing = training[training["已达标"] == "否"]
    if training.empty:
        coverage = dbc.Alert("本学期还没有在岗助管。", color="light", className="mb-0")
    else:
        summary = (
            dbc.Alert(
                [html.Strong(f"{len(missing)} 人尚未参加培训："), "、".join(missing["姓名"])],
                color="warning",
                id="meetings-training-missing",
            )
            if not missing.empty
            else dbc.Alert("所有在岗助管都已参加至少 1 次培训。", color="success")
        )
        coverage = html.Div([summary, grids.table_grid("meetings-training", training, pinned=1)])
    note = "每位聘任助管在聘期内至少参加 1 次业务培训（第八条二）。"
    return components.card("培训覆盖", coverage, note)


@access.page_callback(
    SLUG,
    Output("meetings-download", "data"),
    Input("meetings-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_meetings(session: Session, semester: Semester, _clicks: int | None):
    moment = now()
    report = cached_report(session, semester, moment)
    sheets = {
        "例会": meetings_frame(report),
        "例会考勤": meeting_matrix(session, semester, report),
        "培训覆盖": training_coverage(session, semester, report, local_today(moment)),
    }
    return excel.send_workbook(sheets, f"例会与培训-{semester.name}.xlsx")

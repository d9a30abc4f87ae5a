"""例会与培训 (第七条一、第八条二): meetings held vs required, minutes, attendance, training."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, html

from dashboard import components, excel, figures, queries
from data.report import build_report
from data.timeutil import local_today
from web import now

SLUG = "meetings"
dash.register_page(
    __name__, path="/meetings", name="例会与培训", title="例会与培训 · 助管通", order=4, slug=SLUG
)

EMPTY = "还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。"


def layout(**_kwargs) -> html.Div:
    return components.page(SLUG, "例会与培训")


def card(title: str, body, note: str = "") -> dbc.Card:
    parts = [html.H2(title, className="h6")]
    if note:
        parts.append(html.P(note, className="small text-secondary mb-2"))
    return dbc.Card(dbc.CardBody([*parts, body]), className="shadow-sm mb-3 h-100")


def meetings_frame(report) -> pd.DataFrame:
    return pd.DataFrame(
        [
            [m.held_on, m.topic, m.present, m.excused, m.absent, "是" if m.has_minutes else "缺失"]
            for m in report.meetings
        ],
        columns=["日期", "主题", "出席", "请假", "缺席", "会议记录"],
    )


def progress_card(report) -> dbc.Card:
    """“例会 1/2” and the warning of meeting_progress (short near term end, or minutes missing)."""
    progress = report.meeting_progress
    share = min(progress.held / progress.required, 1.0) if progress.required else 1.0
    notes = []
    if progress.warn and progress.held < progress.required:
        notes.append(
            f"学期将结束，例会还差 {progress.required - progress.held} 次（每学期至少 {progress.required} 次）。"
        )
    if progress.missing_minutes:
        notes.append(f"{progress.missing_minutes} 次例会缺少会议记录，请补写。")
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
    ]
    if progress.warn:
        body.append(
            dbc.Alert(
                " ".join(notes) or "请按时召开例会。",
                color="warning",
                className="mb-0 py-2",
                id="meetings-warning",
            )
        )
    else:
        body.append(
            html.Div("进度正常：每学期至少召开 2 次例会，每次须有会议记录。", className="kpi-note")
        )
    return dbc.Card(dbc.CardBody(body), className="kpi-card shadow-sm h-100")


@callback(Output("meetings-body", "children"), Input("shell-semester", "value"))
def render_meetings(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert(EMPTY, color="info")
    moment = now()
    report = build_report(session, semester, moment)
    header = html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}）", className="text-secondary"
    )
    if not report.members and not report.meetings:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "本学期还没有在岗助管和例会记录：兼辅老师录入例会（日期、主题、会议记录、考勤）后这里会显示进度。",
                    color="info",
                ),
            ]
        )
    meetings = meetings_frame(report)
    meeting_list = (
        figures.table_grid(
            "meetings-list",
            meetings,
            wide=("主题",),
            styled=("会议记录",),
            cell_style={
                "styleConditions": [
                    {
                        "condition": "params.value === '缺失'",
                        "style": {"color": "#dc3545", "fontWeight": 600},
                    }
                ]
            },
        )
        if not meetings.empty
        else dbc.Alert("本学期还没有召开例会。", color="light", className="mb-0")
    )
    matrix = queries.meeting_matrix(session, semester, report)
    training = queries.training_coverage(session, semester, report, local_today(moment))
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
        coverage = html.Div([summary, figures.table_grid("meetings-training", training, pinned=1)])
    return html.Div(
        [
            header,
            dbc.Row(
                [
                    dbc.Col(progress_card(report), lg=4, className="mb-3"),
                    dbc.Col(card("本学期例会", meeting_list), lg=8, className="mb-3"),
                ]
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("例会考勤", className="h6"),
                        html.P(
                            "每行一位助管，每列一次例会；“—”表示当时尚未在岗。",
                            className="small text-secondary mb-2",
                        ),
                        figures.table_grid(
                            "meetings-matrix",
                            # 姓名 first and pinned: it is what the counselor reads on a phone.
                            matrix[["姓名", "学号", *matrix.columns[2:]]],
                            pinned=1,
                            styled=tuple(matrix.columns[2:]),
                            cell_style=figures.PRESENCE_STYLE,
                        )
                        if len(matrix.columns) > 2
                        else dbc.Alert("还没有例会考勤。", color="light", className="mb-0"),
                    ]
                ),
                className="shadow-sm mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("培训覆盖", className="h6"),
                        html.P(
                            "每位聘任助管在聘期内至少参加 1 次业务培训（第八条二）。",
                            className="small text-secondary mb-2",
                        ),
                        coverage,
                    ]
                ),
                className="shadow-sm mb-3",
            ),
        ]
    )


@callback(
    Output("meetings-download", "data"),
    Input("meetings-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def export_meetings(_clicks: int | None, semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    moment = now()
    report = build_report(session, semester, moment)
    return excel.send_workbook(
        {
            "例会": meetings_frame(report),
            "例会考勤": queries.meeting_matrix(session, semester, report),
            "培训覆盖": queries.training_coverage(session, semester, report, local_today(moment)),
        },
        f"例会与培训-{semester.name}.xlsx",
    )

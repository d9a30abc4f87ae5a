"""预警 (第七条三): who is heading for 不合格, why, and the dated evidence one click away."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, grids
from dashboard.tables.warnings import (
    after_start_leaves,
    device_alerts,
    warning_evidence,
    warning_table,
)
from data.inputs import parse_id
from data.models import Semester, User
from data.report_cache import cached_report
from web import now

SLUG = "warnings"
dash.register_page(
    __name__, path="/warnings", name="预警", title="预警 · 助管通", order=2, slug=SLUG
)

NO_MEMBERS = "本学期还没有在岗助管：请先导入名单并完成聘任，预警会在有考勤数据后出现。"
LEVELS = (
    ("critical", "不合格风险", grids.LEVEL_COLORS["critical"], "≥3 次迟到、≥2 次缺勤或例会旷到"),
    ("warning", "警告", grids.LEVEL_COLORS["warning"], "2 次迟到、1 次缺勤或先斩后奏"),
    ("info", "提醒", grids.LEVEL_COLORS["info"], "1 次迟到、漏签退或缺周总结"),
)
LIST_NOTE = "按严重程度排序；点击一行（或“详情”）查看迟到、缺勤、漏签退的日期和分钟数。"
DEVICES_NOTE = "同一部手机在同一天为两个及以上账号签到，可能存在代签。"
LEAVES_NOTE = "班次开始后才提交的请假不免除缺勤（须提前当面请假），兼辅可改为电话请假。"
LEVEL_STYLE = {
    "styleConditions": [
        {
            "condition": "params.value === '不合格风险'",
            "style": {"color": "#fff", "backgroundColor": "#dc3545"},
        },
        {"condition": "params.value === '警告'", "style": {"backgroundColor": "#ffe5d0"}},
        {"condition": "params.value === '提醒'", "style": {"backgroundColor": "#fff3cd"}},
        {
            "condition": "params.value === '详情 ›'",
            "style": {"color": "#0d6efd", "cursor": "pointer"},
        },
    ]
}
NOTHING = (dash.no_update, dash.no_update, dash.no_update)


def layout(**_kwargs) -> html.Div:
    evidence = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="warnings-modal-title")),
            dbc.ModalBody(id="warnings-modal-body"),
        ],
        id="warnings-modal",
        is_open=False,
        size="lg",
        scrollable=True,
    )
    return components.page(SLUG, "预警", evidence)


@access.page_callback(
    SLUG,
    Output("warnings-body", "children"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER,
)
def render_warnings(session: Session, semester: Semester):
    report = cached_report(session, semester, now())
    header = components.semester_line(semester, "每次打开时按最新数据重新计算")
    if not report.members:
        return components.empty_state(header, NO_MEMBERS)
    table = warning_table(report)
    return html.Div(
        [
            header,
            level_cards(table),
            components.card("预警名单", warning_listing(table), LIST_NOTE),
            side_cards(session, semester),
        ]
    )


def level_card(label: str, count: int, color: str, note: str) -> dbc.Col:
    value = html.Div([str(count), html.Span("人", className="kpi-unit")], className="kpi-value")
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="kpi-label"),
                    value,
                    html.Div(note, className="kpi-note"),
                ]
            ),
            className="kpi-card shadow-sm h-100",
            style={"borderLeft": f"6px solid {color}"},
            id=f"warnings-count-{label}",
        ),
        xs=12,
        md=4,
        className="mb-3",
    )


def level_cards(table: pd.DataFrame) -> dbc.Row:
    """How many assistants are at each level."""
    counts = table["level"].value_counts()
    return dbc.Row(
        [
            level_card(label, int(counts.get(level, 0)), color, note)
            for level, label, color, note in LEVELS
        ]
    )


def warning_listing(table: pd.DataFrame):
    """The warning list as a grid whose rows open the evidence, or a well-done note."""
    if table.empty:
        return dbc.Alert("本学期目前没有助管触发预警。", color="success", className="mb-0")
    frame = table.assign(证据="详情 ›")
    return grids.table_grid(
        "warnings-grid",
        frame[["user_id", "level", "姓名", "等级", "原因", "证据", "学号"]],
        hidden=("user_id", "level"),
        wide=("原因",),
        row_id="user_id",
        styled=("等级", "证据"),
        cell_style=LEVEL_STYLE,
    )


def side_cards(session: Session, semester: Semester) -> dbc.Row:
    """Device-binding alerts and 先斩后奏 leave, side by side."""
    devices = device_alerts(session, semester)
    leaves = after_start_leaves(session, semester)
    devices_body = (
        grids.table_grid("warnings-devices", devices)
        if not devices.empty
        else dbc.Alert("没有同一手机为多个账号签到的情况。", color="light", className="mb-0")
    )
    leaves_body = (
        grids.table_grid("warnings-leaves", leaves)
        if not leaves.empty
        else dbc.Alert("没有班次开始后才提交的请假。", color="light", className="mb-0")
    )
    return dbc.Row(
        [
            dbc.Col(components.card("设备绑定预警", devices_body, DEVICES_NOTE), lg=6),
            dbc.Col(components.card("先斩后奏的请假", leaves_body, LEAVES_NOTE), lg=6),
        ]
    )


@access.page_callback(
    SLUG,
    Output("warnings-modal", "is_open"),
    Output("warnings-modal-title", "children"),
    Output("warnings-modal-body", "children"),
    Input("warnings-grid", "cellClicked"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=NOTHING,
)
def show_evidence(session: Session, semester: Semester, clicked: object):
    """The evidence for one row: computed for that assistant alone, so the click stays quick."""
    user_id = parse_id(clicked.get("rowId")) if isinstance(clicked, dict) else None
    if user_id is None:
        return NOTHING
    user = session.get(User, user_id)
    if user is None or user.team_id != semester.team_id:
        return NOTHING
    evidence = warning_evidence(session, semester, now(), user.id)
    return True, f"{user.name}（{user.username}）的预警依据", evidence_body(evidence)


def evidence_body(evidence: pd.DataFrame):
    """A one-line count per kind, then every dated fact."""
    if evidence.empty:
        return dbc.Alert("没有需要说明的记录。", color="light")
    counts = evidence["类别"].value_counts()
    summary = "，".join(
        f"{kind} {n} 次" if kind != "未写周总结" else f"{n} 周未写周总结"
        for kind, n in counts.items()
    )
    table = dbc.Table.from_dataframe(
        evidence.assign(日期=evidence["日期"].map(str)),
        striped=True,
        bordered=False,
        hover=True,
        size="sm",
        responsive=True,
        id="warnings-evidence",
    )
    return html.Div([html.P(summary, className="small text-secondary"), table])


@access.page_callback(
    SLUG,
    Output("warnings-download", "data"),
    Input("warnings-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_warnings(session: Session, semester: Semester, _clicks: int | None):
    report = cached_report(session, semester, now())
    sheets = {
        "预警": warning_table(report)[["学号", "姓名", "等级", "原因"]],
        "设备绑定预警": device_alerts(session, semester),
        "先斩后奏": after_start_leaves(session, semester),
    }
    return excel.send_workbook(sheets, f"预警-{semester.name}.xlsx")

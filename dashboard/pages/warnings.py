"""预警 (第七条三): who is heading for 不合格, why, and the dated evidence one click away."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from flask_login import current_user

from dashboard import access, components, excel, figures, queries
from data.models import User
from data.report import build_report
from web import get_session, now

SLUG = "warnings"
dash.register_page(
    __name__, path="/warnings", name="预警", title="预警 · 助管通", order=2, slug=SLUG
)

EMPTY = "还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。"
LEVELS = (
    ("critical", "不合格风险", figures.LEVEL_COLORS["critical"], "≥3 次迟到、≥2 次缺勤或例会旷到"),
    ("warning", "警告", figures.LEVEL_COLORS["warning"], "2 次迟到、1 次缺勤或先斩后奏"),
    ("info", "提醒", figures.LEVEL_COLORS["info"], "1 次迟到、漏签退或缺周总结"),
)


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


def level_card(label: str, count: int, color: str, note: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="kpi-label"),
                    html.Div(
                        [str(count), html.Span("人", className="kpi-unit")], className="kpi-value"
                    ),
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


@callback(Output("warnings-body", "children"), Input("shell-semester", "value"))
def render_warnings(semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dbc.Alert(EMPTY, color="info")
    report = build_report(session, semester, now())
    header = html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}），每次打开时按最新数据重新计算",
        className="text-secondary",
    )
    if not report.members:
        return html.Div(
            [
                header,
                dbc.Alert(
                    "本学期还没有在岗助管：请先导入名单并完成聘任，预警会在有考勤数据后出现。",
                    color="info",
                ),
            ]
        )
    table = queries.warning_table(report)
    counts = table["level"].value_counts()
    cards = dbc.Row(
        [
            level_card(label, int(counts.get(level, 0)), color, note)
            for level, label, color, note in LEVELS
        ]
    )
    if table.empty:
        listing = dbc.Alert("本学期目前没有助管触发预警。", color="success", className="mb-0")
    else:
        frame = table.assign(证据="详情 ›")
        listing = figures.table_grid(
            "warnings-grid",
            frame[["user_id", "level", "姓名", "等级", "原因", "证据", "学号"]],
            hidden=("user_id", "level"),
            wide=("原因",),
            row_id="user_id",
            styled=("等级", "证据"),
            cell_style={
                "styleConditions": [
                    {
                        "condition": "params.value === '不合格风险'",
                        "style": {"color": "#fff", "backgroundColor": "#dc3545"},
                    },
                    {
                        "condition": "params.value === '警告'",
                        "style": {"backgroundColor": "#ffe5d0"},
                    },
                    {
                        "condition": "params.value === '提醒'",
                        "style": {"backgroundColor": "#fff3cd"},
                    },
                    {
                        "condition": "params.value === '详情 ›'",
                        "style": {"color": "#0d6efd", "cursor": "pointer"},
                    },
                ]
            },
        )
    devices = queries.device_alerts(session, semester)
    leaves = queries.after_start_leaves(session, semester)
    return html.Div(
        [
            header,
            cards,
            components.card(
                "预警名单",
                listing,
                "按严重程度排序；点击一行（或“详情”）查看迟到、缺勤、漏签退的日期和分钟数。",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        components.card(
                            "设备绑定预警",
                            figures.table_grid("warnings-devices", devices)
                            if not devices.empty
                            else dbc.Alert(
                                "没有同一手机为多个账号签到的情况。",
                                color="light",
                                className="mb-0",
                            ),
                            "同一部手机在同一天为两个及以上账号签到，可能存在代签。",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        components.card(
                            "先斩后奏的请假",
                            figures.table_grid("warnings-leaves", leaves)
                            if not leaves.empty
                            else dbc.Alert(
                                "没有班次开始后才提交的请假。", color="light", className="mb-0"
                            ),
                            "班次开始后才提交的请假不免除缺勤（须提前当面请假），兼辅可改为电话请假。",
                        ),
                        lg=6,
                    ),
                ]
            ),
        ]
    )


@callback(
    Output("warnings-modal", "is_open"),
    Output("warnings-modal-title", "children"),
    Output("warnings-modal-body", "children"),
    Input("warnings-grid", "cellClicked"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def show_evidence(clicked: dict | None, semester_id: int | None):
    """The evidence for one row: computed for that assistant alone, so the click stays quick."""
    access.require(SLUG)
    row_id = str((clicked or {}).get("rowId") or "")
    if not row_id.isdigit():
        return dash.no_update, dash.no_update, dash.no_update
    session = get_session()
    semester = queries.semester_visible(session, current_user, semester_id)
    user = session.get(User, int(row_id))
    if semester is None or user is None or user.team_id != semester.team_id:
        return dash.no_update, dash.no_update, dash.no_update
    evidence = queries.warning_evidence(session, semester, now(), user.id)
    title = f"{user.name}（{user.username}）的预警依据"
    if evidence.empty:
        return True, title, dbc.Alert("没有需要说明的记录。", color="light")
    counts = evidence["类别"].value_counts()
    summary = "，".join(
        f"{kind} {n} 次" if kind != "未写周总结" else f"{n} 周未写周总结"
        for kind, n in counts.items()
    )
    return (
        True,
        title,
        html.Div(
            [
                html.P(summary, className="small text-secondary"),
                dbc.Table.from_dataframe(
                    evidence.assign(日期=evidence["日期"].map(str)),
                    striped=True,
                    bordered=False,
                    hover=True,
                    size="sm",
                    responsive=True,
                    id="warnings-evidence",
                ),
            ]
        ),
    )


@callback(
    Output("warnings-download", "data"),
    Input("warnings-excel", "n_clicks"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
)
def export_warnings(_clicks: int | None, semester_id: int | None):
    session, semester = components.callback_semester(SLUG, semester_id)
    if semester is None:
        return dash.no_update
    report = build_report(session, semester, now())
    table = queries.warning_table(report)[["学号", "姓名", "等级", "原因"]]
    return excel.send_workbook(
        {
            "预警": table,
            "设备绑定预警": queries.device_alerts(session, semester),
            "先斩后奏": queries.after_start_leaves(session, semester),
        },
        f"预警-{semester.name}.xlsx",
    )

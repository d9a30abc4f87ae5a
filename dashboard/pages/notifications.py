"""提醒记录 (SPEC §4b, counselor): every reminder sent, failed or waiting, with filters."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from dashboard import access, components, excel, grids
from dashboard.tables.notifications import LIMIT, notification_rows
from data.inputs import parse_choice, parse_day
from data.models import Semester
from data.models.notify import KINDS, STATUS_LABELS, STATUSES
from data.services.inbox import KIND_LABELS

SLUG = "notifications"
dash.register_page(
    __name__, path="/notifications", name="提醒记录", title="提醒记录 · 助管通", order=9, slug=SLUG
)

NOTHING = "所选范围内没有提醒记录。提醒由定时任务 flask notify run 每分钟计算并发送。"
NOTE = f"时间为北京时间，最新的在前（最多 {LIMIT} 条）；失败的消息会按 1、5、15、60 分钟重试，5 次后标为失败。"


def layout(**_kwargs) -> html.Div:
    filters = dbc.Row(
        [
            dbc.Col(_dropdown("notifications-status", STATUSES, STATUS_LABELS, "全部状态"), md=3),
            dbc.Col(_dropdown("notifications-kind", KINDS, KIND_LABELS, "全部类型"), md=3),
            dbc.Col(
                dcc.DatePickerRange(
                    id="notifications-dates",
                    display_format="YYYY-MM-DD",
                    start_date_placeholder_text="开始日期",
                    end_date_placeholder_text="结束日期",
                    clearable=True,
                ),
                md=6,
            ),
        ],
        className="g-2 mb-3 no-print",
    )
    return components.page(SLUG, "提醒记录", controls=filters)


def _dropdown(dropdown_id: str, values: tuple, labels: dict, placeholder: str) -> dcc.Dropdown:
    options = [{"label": labels.get(v, v), "value": v} for v in values]
    return dcc.Dropdown(id=dropdown_id, options=options, placeholder=placeholder, searchable=False)


def _frame(session: Session, semester: Semester, status, kind, start, end):
    first, last = parse_day(start) or semester.start, parse_day(end) or semester.end
    if last < first:
        first, last = last, first
    return notification_rows(
        session,
        semester.team_id,
        status=parse_choice(status, STATUSES),
        kind=parse_choice(kind, KINDS),
        start=first,
        end=last,
    ), (first, last)


@access.page_callback(
    SLUG,
    Output("notifications-body", "children"),
    Input("notifications-status", "value"),
    Input("notifications-kind", "value"),
    Input("notifications-dates", "start_date"),
    Input("notifications-dates", "end_date"),
    Input("shell-semester", "value"),
    empty=components.NO_SEMESTER,
)
def render_notifications(session: Session, semester: Semester, status, kind, start, end):
    frame, (first, last) = _frame(session, semester, status, kind, start, end)
    header = html.P(f"{first} 至 {last}：{len(frame)} 条", className="text-secondary")
    if frame.empty:
        return components.empty_state(header, NOTHING)
    grid = grids.table_grid("notifications-grid", frame, wide=("标题", "错误"), max_height=640)
    return html.Div([header, components.card("提醒记录", grid, NOTE)])


@access.page_callback(
    SLUG,
    Output("notifications-download", "data"),
    Input("notifications-excel", "n_clicks"),
    State("notifications-status", "value"),
    State("notifications-kind", "value"),
    State("notifications-dates", "start_date"),
    State("notifications-dates", "end_date"),
    State("shell-semester", "value"),
    prevent_initial_call=True,
    empty=dash.no_update,
)
def export_notifications(session: Session, semester: Semester, _clicks, status, kind, start, end):
    frame, (first, last) = _frame(session, semester, status, kind, start, end)
    return excel.send_workbook({"提醒记录": frame}, f"提醒记录-{first}至{last}.xlsx")

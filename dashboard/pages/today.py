"""今日值班: every duty of today by time slot with its live state, refreshed every 30 seconds."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, dcc, html
from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import access, components
from dashboard.tables.attendance import WEEKDAY_LABELS
from dashboard.tables.today import Board, BoardRow, today_board
from data.models import Role, Semester
from data.timeutil import to_local
from web import now

SLUG = "today"
dash.register_page(
    __name__, path="/today", name="今日值班", title="今日值班 · 助管通", order=0, slug=SLUG
)

REFRESH_MS = 30_000
NO_TERM = "今天（{day}）不在本队任何学期内，没有值班。"
NO_DUTIES = "今天没有值班安排（休息日、节假日或未排班）。"
OTHER_TERM = "所选学期“{picked}”今天不在进行中；下面是当前学期“{current}”今天的值班。"
# Phone leave excuses a duty nobody came to; 补签 fixes any red row or a missing sign-out.
PHONE_LEAVE_CODES = ("no_show", "absent")


def layout(**_kwargs) -> html.Div:
    timer = [
        dcc.Interval(id="today-interval", interval=REFRESH_MS),
        dcc.Store(id="today-tick"),
    ]
    return components.page(SLUG, "今日值班", *timer, export=False, loading=False)


# A hidden tab asks nothing of the server: the tick only passes while the page is in view.
clientside_callback(
    "function (n) { return document.hidden ? window.dash_clientside.no_update : n; }",
    Output("today-tick", "data"),
    Input("today-interval", "n_intervals"),
    prevent_initial_call=True,  # the page's first render comes with the semester picker
)


@access.page_callback(
    SLUG,
    Output("today-body", "children"),
    Input("shell-semester", "value"),
    Input("today-tick", "data"),
    empty=components.NO_SEMESTER,
)
def render_today(session: Session, semester: Semester, _tick: object):
    """The board of the chosen team's running semester (the tick only triggers a refresh)."""
    board = today_board(session, semester.team_id, now())
    counselor = current_user.role is Role.counselor
    return board_view(board, semester, counselor=counselor)


def board_view(board: Board, picked: Semester, *, counselor: bool) -> html.Div:
    """Heading, an explanation when needed, the chips and the slots."""
    parts: list = [_heading(board)]
    if board.semester is None:
        parts.append(dbc.Alert(NO_TERM.format(day=_day(board.day)), color="light"))
        return html.Div(parts, id="today-board")
    if board.semester.id != picked.id:
        text = OTHER_TERM.format(picked=picked.name, current=board.semester.name)
        parts.append(dbc.Alert(text, color="warning", className="py-2"))
    if not board.rows:
        parts.append(dbc.Alert(NO_DUTIES, color="light"))
        return html.Div(parts, id="today-board")
    slots = [_slot(title, rows, board.day, counselor) for title, rows in board.slots()]
    parts += [_chips(board), html.Div(slots, className="today-slots")]
    return html.Div(parts, id="today-board")


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日 {WEEKDAY_LABELS[day.weekday()]}"


def _heading(board: Board) -> html.Div:
    term = board.semester.name if board.semester else ""
    return html.Div(
        [
            html.Span(" · ".join(filter(None, [_day(board.day), term])), className="today-date"),
            html.Span(f"更新于 {to_local(board.moment):%H:%M:%S}", id="today-updated"),
        ],
        className="today-head",
    )


def _chips(board: Board) -> html.Div:
    counts = board.counts
    chips = [
        ("应到", counts.expected, ""),
        ("已签到", counts.signed_in, "success"),
        ("迟到", counts.late, "danger" if counts.late else ""),
        ("未到", counts.missing, "danger" if counts.missing else ""),
        ("请假", counts.leave, "info" if counts.leave else ""),
    ]
    if counts.sign_out_due:
        chips.append(("待签退", counts.sign_out_due, "warning"))
    if counts.extra:
        chips.append(("加班", counts.extra, "info"))
    return html.Div(
        [
            html.Div(
                [html.Span(str(n), className="today-chip-n"), html.Span(label)],
                className=f"today-chip today-chip-{tone or 'plain'}",
            )
            for label, n, tone in chips
        ],
        className="today-chips",
        id="today-chips",
    )


def _slot(title: str, rows: list[BoardRow], day: date, counselor: bool) -> html.Section:
    return html.Section(
        [html.H2(title, className="today-slot-title"), *[_row(r, day, counselor) for r in rows]],
        className="today-slot",
    )


def _row(row: BoardRow, day: date, counselor: bool) -> html.Div:
    """One person: name and 学号, the state badge (red with minutes), times and quick links."""
    state = row.state
    times = f"签到 {row.sign_in or '—'} · 签退 {row.sign_out or '—'}"
    detail = " · ".join(filter(None, [state.detail, times]))
    cells = [
        html.Div(
            [
                html.Span(row.name, className="today-name"),
                html.Span(row.username, className="today-id"),
            ],
            className="today-who",
        ),
        html.Span(state.label, className=f"today-badge today-tone-{state.tone}"),
        html.Div(detail, className="today-detail"),
    ]
    if counselor and not row.extra:
        cells.append(_actions(row, day))
    return html.Div(cells, className="today-row" + (" today-red" if state.red else ""))


def _actions(row: BoardRow, day: date) -> html.Div | None:
    """Quick links for the 兼辅, prefilled with the person and the day."""
    links = []
    if row.state.code in PHONE_LEAVE_CODES:
        href = url_for("checkin.phone_leave_form", user=row.user_id, date=day.isoformat())
        links.append(html.A("电话请假", href=href, className="btn btn-sm btn-outline-primary"))
    if row.state.red or row.state.code == "sign_out_due":
        href = url_for("checkin.corrections", user=row.user_id, date=day.isoformat())
        links.append(html.A("补签", href=href, className="btn btn-sm btn-outline-secondary"))
    return html.Div(links, className="today-actions") if links else None

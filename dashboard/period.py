"""The period controls shared by 考勤, 工作记录 and 补贴: a month picker and a date range.

``period_controls(slug)`` goes into ``components.page(..., controls=...)``; ``register(slug)``
fills the month options and the range's limits from the chosen semester and keeps the two
controls exclusive (picking a month clears the range and the other way round);
``period_window`` turns whatever the client sent into the days to count.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, dcc, html
from sqlalchemy.orm import Session

from dashboard import access
from data.inputs import parse_choice, parse_day
from data.models import Semester
from data.monthly import month_bounds, month_label, semester_months

WHOLE = "all"
WHOLE_LABEL = "全学期"


def period_controls(slug: str) -> dbc.Row:
    """``{slug}-month`` (全学期 or one month) and ``{slug}-range`` (days inside the semester)."""
    month = dcc.Dropdown(
        id=f"{slug}-month",
        options=[{"label": WHOLE_LABEL, "value": WHOLE}],
        value=WHOLE,
        clearable=False,
        searchable=False,
        style={"width": "10rem"},  # fits 2026年10月 and 全学期 without cutting
    )
    dates = dcc.DatePickerRange(
        id=f"{slug}-range",
        display_format="YYYY-MM-DD",
        start_date_placeholder_text="开始日期",
        end_date_placeholder_text="结束日期",
        clearable=True,
        minimum_nights=0,
        first_day_of_week=1,
        number_of_months_shown=1,
        className="period-range",
    )
    return dbc.Row(
        [
            dbc.Col(html.Label("月份", htmlFor=f"{slug}-month", className="small"), width="auto"),
            dbc.Col(month, width="auto"),
            dbc.Col(html.Span("或日期", className="small"), width="auto"),
            dbc.Col(dates, xs=12, sm="auto"),
        ],
        className="g-2 mb-3 align-items-center no-print",
        id=f"{slug}-period",
    )


def period_window(semester: Semester, month: Any, start: Any, end: Any) -> tuple[date, date]:
    """The days to count: the date range if one was given, else the month, else the semester.

    Everything is clipped to the semester; a reversed range is turned round; anything that does
    not parse (or lies outside the semester) falls back to the whole semester, never an error.
    """
    whole = (semester.start, semester.end)
    first, last = parse_day(start), parse_day(end)
    if first or last:
        first, last = first or semester.start, last or semester.end
        first, last = min(first, last), max(first, last)
        window = (max(first, semester.start), min(last, semester.end))
        return window if window[0] <= window[1] else whole
    picked = parse_choice(month, semester_months(semester))
    if picked is None:
        return whole
    first, last = month_bounds(picked)
    return max(first, semester.start), min(last, semester.end)


def window_text(semester: Semester, window: tuple[date, date]) -> str:
    """How a page names its window: 全学期, a month, or the days."""
    first, last = window
    if window == (semester.start, semester.end):
        return WHOLE_LABEL
    month = f"{first:%Y-%m}"
    if (first.year, first.month) == (last.year, last.month) and (first, last) == _clipped(
        semester, month
    ):
        return month_label(month)
    return f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"


def _clipped(semester: Semester, month: str) -> tuple[date, date]:
    first, last = month_bounds(month)
    return max(first, semester.start), min(last, semester.end)


def month_options(semester: Semester) -> list[dict]:
    """全学期 and the semester's months, for the picker."""
    months = [{"label": month_label(m), "value": m} for m in semester_months(semester)]
    return [{"label": WHOLE_LABEL, "value": WHOLE}, *months]


def register(slug: str) -> None:
    """The page's period callback: limits from the semester; month and range exclusive."""
    month, dates = f"{slug}-month", f"{slug}-range"

    @access.page_callback(
        slug,
        Output(month, "options"),
        Output(dates, "min_date_allowed"),
        Output(dates, "max_date_allowed"),
        Output(dates, "initial_visible_month"),
        Output(month, "value"),
        Output(dates, "start_date"),
        Output(dates, "end_date"),
        Input("shell-semester", "value"),
        Input(month, "value"),
        Input(dates, "start_date"),
        Input(dates, "end_date"),
        empty=(dash.no_update,) * 7,
    )
    def sync_period(_session: Session, semester: Semester, picked: Any, start: Any, end: Any):
        limits = (month_options(semester), semester.start, semester.end, semester.start)
        return limits + exclusive_values(_triggered(), slug, picked, start, end)


def _triggered() -> str | None:
    """The id that fired the running callback (None when called outside one, e.g. in a test)."""
    try:
        return ctx.triggered_id
    except Exception:  # noqa: BLE001 - dash raises its own types outside a callback
        return None


def exclusive_values(triggered: Any, slug: str, month: Any, start: Any, end: Any) -> tuple:
    """(month, start, end) to set: a new semester resets both, a month clears the range,
    days set the month back to 全学期; ``no_update`` where nothing changes."""
    no = dash.no_update
    if triggered == "shell-semester":
        if month == WHOLE and start is None and end is None:
            return no, no, no
        return WHOLE, None, None
    if triggered == f"{slug}-month":
        if month == WHOLE or (start is None and end is None):
            return no, no, no
        return no, None, None
    if triggered == f"{slug}-range" and (start or end) and month != WHOLE:
        return WHOLE, no, no
    return no, no, no

"""Building blocks every dashboard page shares: the page frame, cards and KPI tiles."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import url_for
from flask_login import current_user

from dashboard import access, excel
from data.models import Role

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
NOT_ALLOWED = "无权查看此页面。"
# What a page callback returns when no semester is chosen or visible (``page_callback``'s empty).
NO_SEMESTER = dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单和值班表。", color="info")
NO_SEMESTER_ROSTER = dbc.Alert("还没有学期数据。请兼辅老师先创建学期并导入名单。", color="info")


def no_semester_for_role(empty: Any) -> Any:
    """``empty`` as the user sees it: the 兼辅 creates semesters, so hers links to 学期设置."""
    if getattr(current_user, "role", None) is not Role.counselor:
        return empty
    href = url_for("checkin.semester_setup")
    key = (id(empty), href)
    if key not in _LINKED:  # one answer per empty value, as callers compare them by identity
        _LINKED[key] = _linked(empty, href)
    return _LINKED[key]


_LINKED: dict[tuple[int, str], Any] = {}


def _linked(empty: Any, href: str) -> Any:
    if isinstance(empty, tuple):
        return tuple(_linked(item, href) for item in empty)
    if empty is not NO_SEMESTER and empty is not NO_SEMESTER_ROSTER:
        return empty
    then = "导入名单和值班表" if empty is NO_SEMESTER else "导入名单"
    link = html.A("去创建学期", href=href, className="alert-link")
    return dbc.Alert(["还没有学期数据。请先", link, f"，再{then}。"], color="info")


def page(
    slug: str, title: str, *body, export: bool = True, loading: bool = True, controls=None
) -> html.Div:
    """The page frame: title, Excel button, ``controls`` (filters) and ``{slug}-body`` filled
    by the page's callback.

    Returns a refusal instead when the user's role may not see the page (the callbacks check
    again on the server: hiding the content is not the protection).
    """
    if not access.allowed(slug):
        return dbc.Alert(NOT_ALLOWED, color="danger")
    main = html.Div(id=f"{slug}-body")
    return html.Div(
        [
            html.Div(
                [
                    html.H1(title, className="h3 mb-0"),
                    excel.download_button(slug) if export else None,
                ],
                className="d-flex justify-content-between align-items-center mb-3 gap-2",
            ),
            controls,
            dcc.Loading(main, delay_show=400) if loading else main,
            *body,
        ]
    )


def card(title: str, body, note: str = "", *, tall: bool = False) -> dbc.Card:
    """A titled card; ``tall`` stretches it to its row's height (beside a KPI tile)."""
    parts = [html.H2(title, className="h6")]
    if note:
        parts.append(html.P(note, className="small text-secondary mb-2"))
    return dbc.Card(
        dbc.CardBody([*parts, body]), className="shadow-sm mb-3" + (" h-100" if tall else "")
    )


def kpi_card(
    label: str, value: str, note: str = "", unit: str = "", *, wide: bool = False
) -> dbc.Col:
    """A KPI tile; ``wide`` gives long numbers (money, hours) a whole row on a phone."""
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="kpi-label"),
                    html.Div([value, html.Span(unit, className="kpi-unit")], className="kpi-value"),
                    html.Div(note, className="kpi-note"),
                ]
            ),
            className="kpi-card shadow-sm h-100",
        ),
        xs=12 if wide else 6,
        sm=6,
        lg=3,
        className="mb-3",
    )


def hours_text(hours: float) -> str:
    """Hours for a KPI tile: whole hours once large, so four digits fit a phone-width tile."""
    return f"{hours:.0f}" if hours >= 100 else f"{hours:.1f}"


def semester_line(semester, note: str = "") -> html.P:
    """The page's first line: the semester, its dates and an optional note after a comma."""
    text = f"{semester.name}（{semester.start} 至 {semester.end}）"
    return html.P(f"{text}，{note}" if note else text, className="text-secondary")


def empty_state(header, message: str) -> html.Div:
    """The page when the semester has nothing to show yet: its line and what to do next."""
    return html.Div([header, dbc.Alert(message, color="info")])


def graph(graph_id: str, figure, config: dict | None = None) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config=config or GRAPH_CONFIG)

"""Building blocks every dashboard page shares: the page frame, cards and KPI tiles."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import access, excel, queries
from data.models import Semester
from web import get_session

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
NOT_ALLOWED = "无权查看此页面。"


def page(slug: str, title: str, *body, export: bool = True, loading: bool = True) -> html.Div:
    """The page frame: title, Excel button, and ``{slug}-body`` filled by the page's callback.

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
            dcc.Loading(main, delay_show=400) if loading else main,
            *body,
        ]
    )


def card(title: str, body, note: str = "") -> dbc.Card:
    parts = [html.H2(title, className="h6")]
    if note:
        parts.append(html.P(note, className="small text-secondary mb-2"))
    return dbc.Card(dbc.CardBody([*parts, body]), className="shadow-sm mb-3")


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


def semester_line(semester) -> html.P:
    return html.P(
        f"{semester.name}（{semester.start} 至 {semester.end}）", className="text-secondary"
    )


def callback_semester(slug: str, semester_id: int | None) -> tuple[Session, Semester | None]:
    """What every page callback starts with: the role check, the session, the visible semester.

    The semester is None when it does not exist or belongs to another team (an empty state).
    """
    access.require(slug)
    session = get_session()
    return session, queries.semester_visible(session, current_user, semester_id)

"""Slide building blocks for 会议模式: a 1600×900 stage per slide, scaled to the screen or page.

Everything inside a slide is laid out in design pixels of that stage; assets/slides.css and
assets/slides.js scale the stage to the window (projector), to the printed page, or let the
slides stack on a phone. Plotly figures take the size of their box on the stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from dashboard.figures import FONT, Figure

# Static images: no mode bar, no hover; the same picture on a projector and on paper.
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": True}
ROWS = 8  # table rows per slide: 30 px type, one screen
ITEMS = 5  # list items (name: reasons) per slide


@dataclass
class Slide:
    """One slide before numbering: title, optional subtitle, and the body's parts."""

    title: str
    body: list[Any]
    slide_id: str
    subtitle: str = ""


def deck(slides: Sequence[Slide], footer: str) -> html.Div:
    """The slides, numbered "3 / 9" in their footers (the number prints too)."""
    count = len(slides)
    return html.Div(
        [_section(s, f"{i} / {count}", footer) for i, s in enumerate(slides, start=1)],
        className="slides",
        id="meeting-mode-slides",
    )


def _section(slide: Slide, number: str, footer: str) -> html.Section:
    header = [html.H2(slide.title, className="slide-title")]
    if slide.subtitle:
        header.append(html.P(slide.subtitle, className="slide-subtitle"))
    return html.Section(
        html.Div(
            [
                html.Header(header, className="slide-header"),
                html.Div(slide.body, className="slide-body"),
                html.Footer(
                    # The number on the left: the toolbar sits in the right-hand corner.
                    [html.Span(number, className="slide-number"), html.Span(footer)],
                    className="slide-footer",
                ),
            ],
            className="slide-stage",
        ),
        id=f"meeting-mode-section-{slide.slide_id}",
        className="slide meeting-mode-section",
    )


def kpis(tiles: Iterable[html.Div]) -> html.Div:
    """A row (or two) of big numbers; at most four to a row."""
    tiles = list(tiles)
    return html.Div(tiles, className=f"slide-kpis slide-kpis-{min(len(tiles), 4)}")


def tile(label: str, value: str, note: str = "", unit: str = "") -> html.Div:
    """One big number: label above, a small unit after it so it never wraps alone."""
    return html.Div(
        [
            html.Div(label, className="slide-kpi-label"),
            html.Div(
                [value, html.Span(unit, className="slide-kpi-unit") if unit else None],
                className="slide-kpi-value",
            ),
            html.Div(note, className="slide-kpi-note") if note else None,
        ],
        className="slide-kpi",
    )


def table(header: list[str], rows: list[list]) -> html.Table:
    """A plain table: it prints whole, with no scrollbars or virtual rows."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        className="table table-striped slide-table",
    )


def graph(graph_id: str, figure: Figure, *, short: bool = False) -> html.Div:
    """A figure filling the slide body (``short``: leaving room for a line of text)."""
    # The figure takes its box's size; the fonts are design pixels, scaled with the stage.
    # A restyled copy: the caller's figure (and the template it shares) stay as they were.
    layout = {k: v for k, v in figure.get("layout", {}).items() if k not in ("height", "width")}
    layout.update(
        autosize=True,
        font={**layout.get("font", {}), "family": FONT, "size": 24},
        margin={**layout.get("margin", {}), "l": 100, "r": 40, "t": 80, "b": 100},
    )
    figure = {**figure, "layout": layout}
    return html.Div(
        dcc.Graph(
            id=f"meeting-mode-{graph_id}",
            figure=figure,
            config=GRAPH_CONFIG,
            style={"height": "100%", "width": "100%"},
        ),
        className="slide-graph" + (" slide-graph-short" if short else ""),
    )


def text(content: Any, element_id: str | None = None) -> html.P:
    """A line of large body text."""
    if element_id:
        return html.P(content, id=element_id, className="slide-text")
    return html.P(content, className="slide-text")


def chunks(items: list, size: int) -> list[list]:
    """``items`` in runs of ``size`` (at least one run, possibly empty)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def paged(title: str, parts: list[list], slide_id: str, build) -> list[Slide]:
    """One slide per part, titled "title（2/3）" when there are several."""
    many = len(parts) > 1
    return [
        Slide(
            f"{title}（{i}/{len(parts)}）" if many else title,
            build(part),
            slide_id if i == 1 else f"{slide_id}-{i}",
        )
        for i, part in enumerate(parts, start=1)
    ]

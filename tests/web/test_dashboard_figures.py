"""The dashboard's figures are plain dicts, and Dash sends for each exactly what it sent for the
``plotly.graph_objects.Figure`` it replaced.

The ``old_*`` functions below are the Figure-building code as it was (the reference). A figure is
compared by the JSON Dash writes for it (``plotly.io.json.to_json_plotly``, as in
``dash._utils.to_json``), so the default template Plotly embeds is part of the comparison. The one
normalisation: Plotly writes numeric arrays as base64 typed arrays, which plotly.js reads back into
numbers; they are decoded here, so ``[5, 4]`` and ``{"dtype": "i1", "bdata": "BQQ="}`` are equal.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dcc
from plotly.io.json import to_json_plotly
from sqlalchemy import select

from dashboard import figures, slides
from dashboard.figures import FONT, GRADE_COLORS, STATUS_COLORS, STATUS_LABELS, WEEK_MS
from dashboard.tables.assessment import grade_counts
from dashboard.tables.attendance import lateness_matrix, weekly_statuses
from dashboard.tables.stipend import stipend_by_month, stipend_monthly
from dashboard.tables.worklog import records_per_week
from data.models import Semester
from data.monthly import month_label
from data.report import build_report
from tests.conftest import DEMO_NOW
from web import get_session

# --- the reference: the figures as plotly.graph_objects built them


def old_base(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=40, r=10, t=30, b=40),
        font=dict(family=FONT, size=13),
        legend=dict(orientation="h", y=-0.2),
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    fig.update_yaxes(gridcolor="#eee")
    return fig


def old_week_ticks(fig: go.Figure, weeks: pd.Series) -> None:
    fig.update_xaxes(tickformat="%m-%d", title_text="周（周一）")
    if weeks.empty:
        return
    first, last = min(weeks), max(weeks)
    count = (last - first).days // 7 + 1
    step = max(1, -(-count // 8))
    fig.update_xaxes(tick0=str(first), dtick=WEEK_MS * step)


def old_weekly_status_bars(weekly: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for status, label in STATUS_LABELS.items():
        part = weekly[weekly["status"] == status]
        if part.empty:
            continue
        fig.add_bar(
            x=part["week"],
            y=part["count"],
            name=label,
            marker_color=STATUS_COLORS[status],
            hovertemplate=f"{label}：%{{y}} 次<br>%{{x|%m-%d}} 当周<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left"),
    )
    old_week_ticks(fig, weekly["week"])
    fig.update_yaxes(title_text="班次")
    fig = old_base(fig)
    fig.update_layout(margin=dict(t=50), legend=dict(y=1.02, yanchor="bottom"))
    return fig


def old_grade_bars(counts: dict[str, int], estimate: bool = False) -> go.Figure:
    suffix = "（预估）" if estimate else ""
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=list(counts.values()),
            marker_color=[GRADE_COLORS.get(k, "#6c757d") for k in counts],
            text=list(counts.values()),
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{x}}{suffix}：%{{y}} 人<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="人数", rangemode="tozero")
    return old_base(fig, height=300)


def old_grade_history_bars(history: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for grade, color in GRADE_COLORS.items():
        part = history[history["grade"] == grade]
        fig.add_bar(
            x=part["semester"],
            y=part["count"],
            name=grade,
            marker_color=color,
            hovertemplate=f"%{{x}}<br>{grade}：%{{y}} 人<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="人数")
    fig = old_base(fig, height=300)
    # Since 学期对比 breaks semester names into lines: the legend above the plot.
    legend = dict(y=1.02, yanchor="bottom", x=0, xanchor="left")
    return fig.update_layout(margin=dict(t=50), legend=legend)


def old_stipend_monthly_bars(monthly: pd.DataFrame, cap: float) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(
        x=monthly["month"],
        y=monthly["counted"],
        name="计入补贴工时",
        marker_color="#0d6efd",
        hovertemplate="%{x}：计入 %{y:.2f} 小时<extra></extra>",
    )
    fig.add_bar(
        x=monthly["month"],
        y=monthly["over"],
        name=f"超出每月 {cap:g} 小时上限（不计）",
        marker_color="#adb5bd",
        hovertemplate="%{x}：超出上限 %{y:.2f} 小时<extra></extra>",
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category", title_text="月份")
    fig.update_yaxes(title_text="小时（全团合计）")
    return old_base(fig, height=300)


def old_semester_line(names: list[str], values: list, title: str, fmt: str, color: str):
    fig = go.Figure(
        go.Scatter(
            x=names,
            y=values,
            mode="lines+markers+text",
            text=[format(v, fmt) if v is not None else "" for v in values],
            textposition="top center",
            cliponaxis=False,
            line=dict(color=color, width=3),
            marker=dict(size=10),
            hovertemplate=f"%{{x}}<br>{title}：%{{text}}<extra></extra>",
        )
    )
    # Since the charts break semester names into lines: the labels kept clear of the y axis's 0.
    fig.update_xaxes(type="category", ticklabelstandoff=8)
    fig.update_yaxes(
        title_text=title, rangemode="tozero", tickformat=".0%" if fmt.endswith("%") else None
    )
    return old_base(fig, height=280)


def old_warning_level_bars(counts: dict[str, int]) -> go.Figure:
    colors = {"不合格风险": "#dc3545", "警告": "#fd7e14", "提醒": "#ffc107"}
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=list(counts.values()),
            marker_color=[colors.get(k, "#6c757d") for k in counts],
            text=list(counts.values()),
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}：%{y} 人<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="人数", rangemode="tozero")
    return old_base(fig, height=300)


def old_lateness_heatmap(matrix: pd.DataFrame) -> go.Figure:
    hours = [f"{h}:00" for h in matrix.columns]
    fig = go.Figure(
        go.Heatmap(
            z=matrix.values,
            x=hours,
            y=list(matrix.index),
            colorscale=[[0, "#f8f9fa"], [0.01, "#ffe5d0"], [1, "#dc3545"]],
            text=[[str(v) if v else "" for v in row] for row in matrix.values],
            texttemplate="%{text}",
            xgap=2,
            ygap=2,
            colorbar=dict(title=dict(text="迟到次数"), thickness=12),
            hovertemplate="%{y} %{x} 开始的班次：迟到 %{z} 次<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="班次开始时间", type="category", showgrid=False)
    fig.update_yaxes(title_text="星期", autorange="reversed", showgrid=False)
    return old_base(fig, height=340)


def old_records_per_week_bars(weekly: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=weekly["week"],
            y=weekly["count"],
            marker_color="#0d6efd",
            name="工作记录",
            hovertemplate="%{x|%m-%d} 当周：%{y} 条<extra></extra>",
        )
    )
    old_week_ticks(fig, weekly["week"])
    fig.update_yaxes(title_text="记录条数", rangemode="tozero")
    return old_base(fig, height=300)


def old_cap_figure(frame: pd.DataFrame, cap: float) -> go.Figure:
    fig = go.Figure()
    for month, rows in frame.groupby("月份", sort=True):
        fig.add_bar(
            x=rows["姓名"],
            y=rows["工时(小时)"],
            name=month_label(str(month)),
            customdata=rows[["计入补贴(小时)", "超出上限(小时)"]],
            hovertemplate="%{x}：%{y:.2f} 小时（计入 %{customdata[0]:.2f}，"
            "超出 %{customdata[1]:.2f}）<extra>" + month_label(str(month)) + "</extra>",
        )
    fig.add_hline(
        y=cap,
        line_dash="dash",
        line_color="#dc3545",
        annotation_text=f"每月上限 {cap:g} 小时",
        annotation_position="top left",
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="小时", rangemode="tozero")
    fig.update_layout(
        height=320,
        margin=dict(l=40, r=10, t=30, b=40),
        font=dict(family=FONT, size=13),
        legend=dict(orientation="h", y=-0.25),
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    return fig


def old_slide_restyle(figure: go.Figure) -> go.Figure:
    figure.update_layout(
        height=None,
        width=None,
        autosize=True,
        font=dict(family=FONT, size=24),
        margin=dict(l=100, r=40, t=80, b=100),
    )
    return figure


# --- comparing what Dash sends


def _decoded(value: Any) -> Any:
    """``value`` with Plotly's base64 typed arrays read back into (nested) lists of numbers."""
    if isinstance(value, dict):
        if "bdata" in value and set(value) <= {"dtype", "bdata", "shape"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(n) for n in value["shape"].split(",")])
            return array.tolist()
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def wire(figure: Any) -> dict:
    """The figure as Dash writes it into a callback's response."""
    return _decoded(json.loads(to_json_plotly(figure)))


def assert_same(new: Any, old: go.Figure) -> None:
    assert type(new) is dict  # not a Figure: no validation or copies on the way out
    assert wire(new) == wire(old)


# --- inputs, including the empty ones the pages can pass

MONDAY = date(2026, 9, 7)


def weekly_frame(weeks: int) -> pd.DataFrame:
    rows = [
        (MONDAY + timedelta(weeks=w), status, 1 + (w * 7 + i) % 40)
        for w in range(weeks)
        for i, status in enumerate(STATUS_LABELS)
        if (w + i) % 3 != 0  # not every status in every week
    ]
    return pd.DataFrame(rows, columns=["week", "status", "count"])


EMPTY_WEEKLY = pd.DataFrame(columns=["week", "status", "count"])


@pytest.mark.parametrize(
    "weekly",
    [weekly_frame(1), weekly_frame(8), weekly_frame(19), weekly_frame(200), EMPTY_WEEKLY],
)
def test_weekly_status_bars(weekly):
    assert_same(figures.weekly_status_bars(weekly), old_weekly_status_bars(weekly))


def test_weekly_status_bars_keeps_the_legend_above_the_plot():
    layout = figures.weekly_status_bars(weekly_frame(3))["layout"]
    assert layout["legend"]["y"] == 1.02 and layout["margin"] == {
        "l": 40,
        "r": 10,
        "t": 50,
        "b": 40,
    }


@pytest.mark.parametrize("estimate", [False, True])
@pytest.mark.parametrize(
    "counts", [{"优秀": 3, "合格": 120, "不合格": 0}, {"优秀": 0, "合格": 0, "不合格": 0}, {}]
)
def test_grade_bars(counts, estimate):
    assert_same(figures.grade_bars(counts, estimate), old_grade_bars(counts, estimate))


HISTORY = pd.DataFrame(
    [
        (name, grade, count, name.endswith("秋"))
        for name in ("2025春", "2025秋", "2026春（预估）")
        for grade, count in (("优秀", 4), ("合格", 300), ("不合格", 2))
    ],
    columns=["semester", "grade", "count", "estimate"],
)


@pytest.mark.parametrize(
    "history",
    [HISTORY, HISTORY[HISTORY["grade"] != "优秀"], HISTORY.iloc[:0], HISTORY.iloc[:0, :0]],
    ids=["all", "no-excellent", "no-rows", "no-columns"],
)
def test_grade_history_bars(history):
    if history.columns.empty:
        history = pd.DataFrame(columns=["semester", "grade", "count", "estimate"])
    assert_same(figures.grade_history_bars(history), old_grade_history_bars(history))


MONTHLY = pd.DataFrame(
    {
        "month": ["2026-09", "2026-10", "2026-11"],
        "counted": [812.5, 960.25, 0.0],
        "over": [0.0, 3.5, 12.75],
    }
)


@pytest.mark.parametrize("cap", [40.0, 32.5])
@pytest.mark.parametrize("monthly", [MONTHLY, MONTHLY.iloc[:0]], ids=["months", "empty"])
def test_stipend_monthly_bars(monthly, cap):
    assert_same(figures.stipend_monthly_bars(monthly, cap), old_stipend_monthly_bars(monthly, cap))


@pytest.mark.parametrize(
    ("values", "title", "fmt", "color"),
    [
        ([0.9874, 0.95, None], "出勤率", ".1%", "#198754"),
        ([1.25, None, 0.0], "人均迟到", ".2f", "#fd7e14"),
        ([30.0, 41.5, 12.25], "人均工时", ".1f", "#0d6efd"),
    ],
)
def test_semester_line(values, title, fmt, color):
    names = ["2025春", "2025秋", "2026春"]
    new = figures.semester_line(names, values, title, fmt, color)
    assert_same(new, old_semester_line(names, values, title, fmt, color))


@pytest.mark.parametrize(
    "counts", [{"不合格风险": 2, "警告": 0, "提醒": 17}, {"不合格风险": 0, "警告": 0, "提醒": 0}]
)
def test_warning_level_bars(counts):
    assert_same(figures.warning_level_bars(counts), old_warning_level_bars(counts))


WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
MATRIX = pd.DataFrame(
    [[(d * 5 + h) % 4 * (h % 3) for h in range(8, 21)] for d in range(7)],
    index=WEEKDAYS,
    columns=list(range(8, 21)),
)


@pytest.mark.parametrize(
    "matrix", [MATRIX, MATRIX * 50, MATRIX.iloc[:, :1], pd.DataFrame()], ids=str
)
def test_lateness_heatmap(matrix):
    assert_same(figures.lateness_heatmap(matrix), old_lateness_heatmap(matrix))


@pytest.mark.parametrize(
    "weekly",
    [
        pd.DataFrame({"week": [MONDAY + timedelta(weeks=w) for w in range(n)], "count": range(n)})
        for n in (1, 9, 20)
    ]
    + [pd.DataFrame(columns=["week", "count"])],
    ids=["1", "9", "20", "empty"],
)
def test_records_per_week_bars(weekly):
    assert_same(figures.records_per_week_bars(weekly), old_records_per_week_bars(weekly))


STIPEND_COLUMNS = ["学号", "姓名", "月份", "工时(小时)", "计入补贴(小时)", "超出上限(小时)", "上限"]


def stipend_rows(months: list[str], cap: float) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(["张三", "李四", "王五"]):
        for j, month in enumerate(months):
            credited = 10.0 + 13.25 * i + 7.5 * j
            capped = min(credited, cap)
            rows.append([f"2023{i:04d}", name, month, credited, capped, credited - capped, cap])
    return pd.DataFrame(rows, columns=STIPEND_COLUMNS)


@pytest.fixture
def stipend(app):
    return importlib.import_module("dashboard.pages.stipend")


@pytest.mark.parametrize("cap", [40.0, 25.5])
@pytest.mark.parametrize("months", [["2026-10"], ["2026-11", "2026-09", "2026-10"]], ids=len)
def test_cap_figure(stipend, months, cap):
    frame = stipend_rows(months, cap)
    assert_same(stipend.cap_figure(frame, cap), old_cap_figure(frame, cap))


def test_cap_figure_draws_the_cap_as_plotly_did(stipend):
    """add_hline's line and label, spelt out: a dashed line at the cap across the plot."""
    layout = stipend.cap_figure(stipend_rows(["2026-10"], 40.0), 40.0)["layout"]
    assert [(s["y0"], s["y1"], s["xref"], s["line"]["dash"]) for s in layout["shapes"]] == [
        (40.0, 40.0, "x domain", "dash")
    ]
    assert [a["text"] for a in layout["annotations"]] == ["每月上限 40 小时"]


SLIDE_FIGURES = [
    (
        lambda: figures.weekly_status_bars(weekly_frame(5)),
        lambda: old_weekly_status_bars(weekly_frame(5)),
    ),
    (lambda: figures.warning_level_bars({"警告": 3}), lambda: old_warning_level_bars({"警告": 3})),
    (lambda: figures.grade_bars({"优秀": 1}, True), lambda: old_grade_bars({"优秀": 1}, True)),
]


@pytest.mark.parametrize(("new", "old"), SLIDE_FIGURES, ids=["weekly", "warnings", "grades"])
def test_slides_restyle_a_copy_as_before(new, old):
    figure = new()
    before = copy.deepcopy(figure)
    shown = slides.graph("x", figure).children
    assert isinstance(shown, dcc.Graph)
    assert_same(shown.figure, old_slide_restyle(old()))
    assert figure == before  # the caller's figure, and the shared template, are untouched
    assert figures.template() == wire(go.Figure())["layout"]["template"]


# --- the demo's own data, as the pages pass it


def test_the_demo_semesters_figures_are_unchanged(demo_app):
    stipend = importlib.import_module("dashboard.pages.stipend")
    with demo_app.app_context():
        session = get_session()
        for semester in session.scalars(select(Semester)).all():
            report = build_report(session, semester, DEMO_NOW)
            outcomes = report.attendance.outcomes
            weekly = weekly_statuses(outcomes)
            assert_same(figures.weekly_status_bars(weekly), old_weekly_status_bars(weekly))
            matrix = lateness_matrix(outcomes)
            assert_same(figures.lateness_heatmap(matrix), old_lateness_heatmap(matrix))
            counts = grade_counts(report)
            assert_same(figures.grade_bars(counts), old_grade_bars(counts))
            cap = float(report.attendance.settings.monthly_cap_hours)
            monthly = stipend_monthly(report)
            assert not monthly.empty
            assert_same(
                figures.stipend_monthly_bars(monthly, cap), old_stipend_monthly_bars(monthly, cap)
            )
            frame = stipend_by_month(report, set(monthly["month"]))
            assert_same(stipend.cap_figure(frame, cap), old_cap_figure(frame, cap))
            records = records_per_week(session, semester)
            assert_same(figures.records_per_week_bars(records), old_records_per_week_bars(records))

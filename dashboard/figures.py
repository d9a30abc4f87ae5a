"""Plotly figures for the dashboard pages, built from plain values / DataFrames."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
import plotly.io as pio

# Figures are plain dicts ({"data": [...], "layout": {...}}): Dash sends them as they are, where a
# plotly.graph_objects.Figure would validate and deep-copy every property on the way (most of a
# page callback's time). tests/web/test_dashboard_figures.py proves each the same as before.
Figure = dict[str, Any]

STATUS_LABELS = {
    "normal": "正常",
    "late": "迟到",
    "early": "早退",
    "late_early": "迟到+早退",
    "absent": "缺勤",
    "leave": "请假",
    "missed_sign_out": "漏签退",
    "extra": "加班",
}
STATUS_COLORS = {
    "normal": "#198754",
    "late": "#fd7e14",
    "early": "#ffc107",
    "late_early": "#d63384",
    "absent": "#dc3545",
    "leave": "#6c757d",
    "missed_sign_out": "#6f42c1",
    "extra": "#0dcaf0",
}
FONT = "system-ui, 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif"


@cache
def template() -> dict[str, Any]:
    """The default Plotly template, which ``go.Figure`` embeds in every figure; shared, read-only."""
    return pio.templates[pio.templates.default].to_plotly_json()


def base_layout(
    height: int,
    *,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    legend: dict[str, Any] | None = None,
    **props: Any,
) -> dict[str, Any]:
    """The dashboard's figure layout: white, legend under the plot, a light grid on the y axis.

    ``legend`` is merged into the shared legend; ``props`` are further layout properties.
    """
    out: dict[str, Any] = {
        "template": template(),
        "height": height,
        "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
        "font": {"family": FONT, "size": 13},
        "legend": {"orientation": "h", "y": -0.2, **(legend or {})},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "yaxis": {**(yaxis or {}), "gridcolor": "#eee"},
        **props,
    }
    if xaxis:
        out["xaxis"] = xaxis
    return out


def axis_title(text: str) -> dict[str, str]:
    """An axis title."""
    return {"text": text}


WEEK_MS = 7 * 24 * 3600 * 1000


def _week_axis(weeks: pd.Series) -> dict[str, Any]:
    """Ticks on the weeks' Mondays (Plotly's own date ticks fall on Sundays), at most 8."""
    axis: dict[str, Any] = {"tickformat": "%m-%d", "title": axis_title("周（周一）")}
    if weeks.empty:
        return axis
    first, last = min(weeks), max(weeks)
    count = (last - first).days // 7 + 1
    step = max(1, -(-count // 8))
    return {**axis, "tick0": str(first), "dtick": WEEK_MS * step}


# Legend above the plot: below it, on a phone the wrapped legend runs into the axis labels.
LEGEND_ABOVE = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"}


def weekly_status_bars(weekly: pd.DataFrame) -> Figure:
    """Stacked duties per week by status; ``weekly`` has columns week, status, count."""
    data = []
    for status, label in STATUS_LABELS.items():
        part = weekly[weekly["status"] == status]
        if part.empty:
            continue
        data.append(
            {
                "type": "bar",
                "x": part["week"].tolist(),
                "y": part["count"].tolist(),
                "name": label,
                "marker": {"color": STATUS_COLORS[status]},
                "hovertemplate": f"{label}：%{{y}} 次<br>%{{x|%m-%d}} 当周<extra></extra>",
            }
        )
    # Legend above the plot, as on every stacked chart here; the top margin makes room for it.
    legend = LEGEND_ABOVE
    look = base_layout(
        320,
        barmode="stack",
        xaxis=_week_axis(weekly["week"]),
        yaxis={"title": axis_title("班次")},
        legend=legend,
    )
    look["margin"]["t"] = 50
    return {"data": data, "layout": look}


# --- assessment, stipend, compare figures
# Imports kept inside this section so the two page groups can grow the module independently.

GRADE_COLORS = {"优秀": "#198754", "合格": "#0d6efd", "不合格": "#dc3545"}


def _count_bars(counts: dict[str, int], colors: dict[str, str], hover: str) -> dict[str, Any]:
    """One bar per key of ``counts``, its count written above it."""
    return {
        "type": "bar",
        "x": list(counts),
        "y": list(counts.values()),
        "marker": {"color": [colors.get(k, "#6c757d") for k in counts]},
        # As text: Plotly stores bar labels as strings.
        "text": [str(v) for v in counts.values()],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": hover,
    }


def grade_bars(counts: dict[str, int], estimate: bool = False) -> Figure:
    """Members per final grade; ``counts`` maps 优秀/合格/不合格 to a count."""
    suffix = "（预估）" if estimate else ""
    bars = _count_bars(counts, GRADE_COLORS, f"%{{x}}{suffix}：%{{y}} 人<extra></extra>")
    look = base_layout(300, yaxis={"title": axis_title("人数"), "rangemode": "tozero"})
    return {"data": [bars], "layout": look}


def grade_history_bars(history: pd.DataFrame) -> Figure:
    """Stacked grade counts per semester; ``history`` has columns semester, grade, count."""
    data = []
    for grade, color in GRADE_COLORS.items():
        part = history[history["grade"] == grade]
        data.append(
            {
                "type": "bar",
                "x": part["semester"].tolist(),
                "y": part["count"].tolist(),
                "name": grade,
                "marker": {"color": color},
                "hovertemplate": f"%{{x}}<br>{grade}：%{{y}} 人<extra></extra>",
            }
        )
    # Above the plot: semester names may come in three lines (学期对比).
    yaxis = {"title": axis_title("人数")}
    look = base_layout(300, barmode="stack", yaxis=yaxis, legend=LEGEND_ABOVE)
    look["margin"]["t"] = 50
    return {"data": data, "layout": look}


def stipend_monthly_bars(monthly: pd.DataFrame, cap: float) -> Figure:
    """Hours counted for the stipend per month, and hours above the monthly cap (not paid)."""
    months = monthly["month"].tolist()
    counted = {
        "type": "bar",
        "x": months,
        "y": monthly["counted"].tolist(),
        "name": "计入补贴工时",
        "marker": {"color": "#0d6efd"},
        "hovertemplate": "%{x}：计入 %{y:.2f} 小时<extra></extra>",
    }
    over = {
        "type": "bar",
        "x": months,
        "y": monthly["over"].tolist(),
        "name": f"超出每月 {cap:g} 小时上限（不计）",
        "marker": {"color": "#adb5bd"},
        "hovertemplate": "%{x}：超出上限 %{y:.2f} 小时<extra></extra>",
    }
    look = base_layout(
        300,
        barmode="stack",
        xaxis={"type": "category", "title": axis_title("月份")},
        yaxis={"title": axis_title("小时（全团合计）")},
    )
    return {"data": [counted, over], "layout": look}


def semester_line(names: list[str], values: list, title: str, fmt: str, color: str) -> Figure:
    """One value per semester (oldest first), e.g. attendance rate or lates per assistant."""
    line = {
        "type": "scatter",
        "x": list(names),
        "y": list(values),
        "mode": "lines+markers+text",
        "text": [format(v, fmt) if v is not None else "" for v in values],
        "textposition": "top center",
        "cliponaxis": False,
        "line": {"color": color, "width": 3},
        "marker": {"size": 10},
        "hovertemplate": f"%{{x}}<br>{title}：%{{text}}<extra></extra>",
    }
    yaxis: dict[str, Any] = {"title": axis_title(title), "rangemode": "tozero"}
    if fmt.endswith("%"):
        yaxis["tickformat"] = ".0%"
    # Semester names come in lines (学年 / 学期 / 第N周): kept clear of the y axis's "0".
    xaxis = {"type": "category", "ticklabelstandoff": 8}
    look = base_layout(280, xaxis=xaxis, yaxis=yaxis)
    return {"data": [line], "layout": look}


def warning_level_bars(counts: dict[str, int]) -> Figure:
    """Members per warning level (不合格风险/警告/提醒)."""
    colors = {"不合格风险": "#dc3545", "警告": "#fd7e14", "提醒": "#ffc107"}
    bars = _count_bars(counts, colors, "%{x}：%{y} 人<extra></extra>")
    look = base_layout(300, yaxis={"title": axis_title("人数"), "rangemode": "tozero"})
    return {"data": [bars], "layout": look}


def lateness_heatmap(matrix: pd.DataFrame) -> Figure:
    """Late duties by weekday (rows, 周一 on top) and start hour (columns)."""
    heat = {
        "type": "heatmap",
        "z": matrix.values.tolist(),
        "x": [f"{h}:00" for h in matrix.columns],
        "y": list(matrix.index),
        "colorscale": [[0, "#f8f9fa"], [0.01, "#ffe5d0"], [1, "#dc3545"]],
        "text": [[str(v) if v else "" for v in row] for row in matrix.values],
        "texttemplate": "%{text}",
        "xgap": 2,
        "ygap": 2,
        "colorbar": {"title": {"text": "迟到次数"}, "thickness": 12},
        "hovertemplate": "%{y} %{x} 开始的班次：迟到 %{z} 次<extra></extra>",
    }
    look = base_layout(
        340,
        xaxis={"title": axis_title("班次开始时间"), "type": "category", "showgrid": False},
        yaxis={"title": axis_title("星期"), "autorange": "reversed", "showgrid": False},
    )
    return {"data": [heat], "layout": look}


def records_per_week_bars(weekly: pd.DataFrame) -> Figure:
    """Work records written per week; ``weekly`` has columns week (Monday) and count."""
    bars = {
        "type": "bar",
        "x": weekly["week"].tolist(),
        "y": weekly["count"].tolist(),
        "marker": {"color": "#0d6efd"},
        "name": "工作记录",
        "hovertemplate": "%{x|%m-%d} 当周：%{y} 条<extra></extra>",
    }
    look = base_layout(
        300,
        xaxis=_week_axis(weekly["week"]),
        yaxis={"title": axis_title("记录条数"), "rangemode": "tozero"},
    )
    return {"data": [bars], "layout": look}

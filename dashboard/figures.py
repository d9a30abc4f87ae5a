"""Plotly figures for the dashboard pages, built from plain values / DataFrames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

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


def _base(fig: go.Figure, height: int = 320) -> go.Figure:
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


def weekly_status_bars(weekly: pd.DataFrame) -> go.Figure:
    """Stacked duties per week by status; ``weekly`` has columns week, status, count."""
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
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat="%m-%d", title_text="周（周一）")
    fig.update_yaxes(title_text="班次")
    return _base(fig)

"""Every dashboard table can be downloaded as an Excel file (SPEC §5)."""

from __future__ import annotations

import io

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html


def download_button(slug: str, label: str = "导出 Excel") -> html.Div:
    """A button ``{slug}-excel`` and its ``{slug}-download`` target, for the page's callback."""
    return html.Div(
        [
            dbc.Button(label, id=f"{slug}-excel", color="secondary", outline=True, size="sm"),
            dcc.Download(id=f"{slug}-download"),
        ],
        className="no-print",
    )


def workbook_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """Sheets in order; names cut to Excel's 31 characters."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def send_workbook(frames: dict[str, pd.DataFrame], filename: str) -> dict:
    """The value for a ``dcc.Download`` output."""
    return dcc.send_bytes(workbook_bytes(frames), filename)

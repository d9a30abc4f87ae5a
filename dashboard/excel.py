"""Every dashboard table can be downloaded as an Excel file (SPEC §5), written by ``data.xlsx``."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from data.xlsx import workbook_bytes


def download_button(slug: str, label: str = "导出 Excel") -> html.Div:
    """A button ``{slug}-excel`` and its ``{slug}-download`` target, for the page's callback."""
    return html.Div(
        [
            dbc.Button(label, id=f"{slug}-excel", color="secondary", outline=True, size="sm"),
            dcc.Download(id=f"{slug}-download"),
        ],
        className="no-print",
    )


def send_workbook(frames: dict[str, pd.DataFrame], filename: str) -> dict:
    """The value for a ``dcc.Download`` output."""
    return dcc.send_bytes(workbook_bytes(frames), filename)

"""The one xlsx writer: DataFrames → workbook bytes or file (Flask-free).

Every download (the semester workbook, the dashboard's exports, the management pages'
exports) goes through here, so each gets the same sheet-name rules, frozen header row,
column widths, and cleaning: a stored control character (NUL, ESC, a lone surrogate…), a text
longer than a cell holds, or a text starting with ``=`` (or ``+ - @``) can never break a
workbook or turn into a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from data.inputs import strip_controls

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_MAX = 31  # Excel's limit
MAX_WIDTH = 60
CELL_MAX = 32_767  # Excel's limit on the characters of one cell; it "repairs" longer ones
# Text Excel would run as a formula if the cell were edited and confirmed: shown with a quote.
FORMULA_START = ("=", "+", "-", "@")
# Characters Excel refuses in a sheet name.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def workbook_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook as bytes: one sheet per frame, in order."""
    buffer = io.BytesIO()
    _write(frames, buffer)
    return buffer.getvalue()


def write_workbook(frames: Mapping[str, pd.DataFrame], path: Path | str) -> None:
    """Write atomically: a half-written workbook never appears at ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial.xlsx")
    try:
        with tmp.open("wb") as out:
            _write(frames, out)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def sheet_name(name: str) -> str:
    """A name Excel accepts: forbidden characters replaced, cut to 31 characters."""
    cleaned = SHEET_NAME_FORBIDDEN.sub("_", clean_cell(name)).strip("'") or "Sheet"
    return cleaned[:SHEET_NAME_MAX]


def clean_cell(value: Any) -> Any:
    """Text without the control characters the xlsx format cannot hold, cut to what a cell
    holds; other values as is."""
    if isinstance(value, str):
        return strip_controls(value)[:CELL_MAX]
    return value


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose column names and text cells are cleaned (numbers and dates untouched)."""
    out = frame.copy()
    out.columns = [clean_cell(c) for c in frame.columns]
    for i, dtype in enumerate(out.dtypes):
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out.isetitem(i, out.iloc[:, i].map(clean_cell))
    return out


def _write(frames: Mapping[str, pd.DataFrame], target: BinaryIO) -> None:
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in frames.items():
            title = sheet_name(name)
            clean_frame(frame).to_excel(writer, sheet_name=title, index=False)
            _finish(writer.sheets[title])


def _finish(sheet: Worksheet) -> None:
    """Frozen header row, widths that fit Chinese text, and stored text kept as text."""
    for column in sheet.columns:
        for cell in column:
            # openpyxl writes a string starting with "=" as a formula; stored text stays text.
            if cell.data_type == "f":
                cell.data_type = "s"
            # Excel's own "text" marker, so editing the cell in Excel does not make it a formula.
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.quotePrefix = True
        width = max(len(str(c.value if c.value is not None else "")) for c in column) + 4
        sheet.column_dimensions[column[0].column_letter].width = min(width * 1.6, MAX_WIDTH)
    sheet.freeze_panes = "A2"

"""Comparing exported workbooks sheet by sheet (backup/restore round trips)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of an xlsx file as a DataFrame, by sheet name."""
    return pd.read_excel(path, sheet_name=None)


def assert_same_workbooks(first: Path, second: Path) -> None:
    """Same sheet names in the same order and identical cells in each."""
    a, b = read_sheets(first), read_sheets(second)
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=f"sheet {name}")

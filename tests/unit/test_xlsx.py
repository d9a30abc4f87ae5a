"""The one xlsx writer (``data.xlsx``): every download's workbook opens, whatever text is stored."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data.xlsx import sheet_name, workbook_bytes, write_workbook


def _open(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@settings(deadline=None, max_examples=30)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_any_stored_text_gives_a_workbook_that_opens(text):
    """Control characters (a pasted work record) are dropped; the rest is kept, as text."""
    frame = pd.DataFrame({"内容": [text], text or "列": [1]})
    book = _open(workbook_bytes({"工作记录": frame}))
    cell = book["工作记录"]["A2"].value
    # XML reads a stored carriage return back as a line feed; that is not a change of text.
    expected = ILLEGAL_CHARACTERS_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    assert (cell or "") == expected
    assert book["工作记录"]["A2"].data_type == "s" or cell is None


def test_text_starting_with_equals_stays_text():
    book = _open(workbook_bytes({"s": pd.DataFrame({"内容": ['=HYPERLINK("x")', "=1+1"]})}))
    sheet = book["s"]
    assert [sheet["A2"].value, sheet["A3"].value] == ['=HYPERLINK("x")', "=1+1"]
    assert {sheet["A2"].data_type, sheet["A3"].data_type} == {"s"}


def test_sheets_keep_order_names_and_a_frozen_header():
    frames = {
        "考勤汇总": pd.DataFrame({"学号": ["2023001"], "日期": [date(2026, 9, 7)], "迟到": [2]}),
        "预警": pd.DataFrame(columns=["学号", "姓名"]),
    }
    book = _open(workbook_bytes(frames))
    assert book.sheetnames == ["考勤汇总", "预警"]
    sheet = book["考勤汇总"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["学号", "日期", "迟到"]
    assert sheet["C2"].value == 2 and sheet["A2"].value == "2023001"
    # Wide enough for the header's Chinese characters, never wider than the cap.
    assert 0 < sheet.column_dimensions["A"].width <= 60


def test_sheet_names_excel_refuses_are_made_valid():
    assert sheet_name("2026/秋:考勤?") == "2026_秋_考勤_"
    assert len(sheet_name("很" * 40)) == 31


def test_write_workbook_is_atomic(tmp_path):
    path = tmp_path / "报表.xlsx"
    write_workbook({"考勤汇总": pd.DataFrame({"a": [1]})}, path)
    assert _open(path.read_bytes()).sheetnames == ["考勤汇总"]
    assert [p.name for p in tmp_path.iterdir()] == ["报表.xlsx"]  # no partial file left

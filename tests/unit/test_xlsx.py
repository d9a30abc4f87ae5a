"""The one xlsx writer (``data.xlsx``): every download's workbook opens, whatever text is stored."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from data.inputs import strip_controls
from data.xlsx import CELL_MAX, sheet_name, workbook_bytes, write_workbook


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
    expected = strip_controls(text).replace("\r\n", "\n").replace("\r", "\n")
    assert (cell or "") == expected
    assert book["工作记录"]["A2"].data_type == "s" or cell is None


def test_text_starting_with_equals_stays_text():
    book = _open(workbook_bytes({"s": pd.DataFrame({"内容": ['=HYPERLINK("x")', "=1+1"]})}))
    sheet = book["s"]
    assert [sheet["A2"].value, sheet["A3"].value] == ['=HYPERLINK("x")', "=1+1"]
    assert {sheet["A2"].data_type, sheet["A3"].data_type} == {"s"}


def test_stored_text_never_breaks_a_workbook():
    """NUL, other controls, ESC, a lone surrogate (bad UTF-8 stored on SQLite), formula-like
    text and text longer than a cell: the workbook opens and keeps the text minus controls."""
    texts = [
        "早\x00班",
        "签\x01到",
        "\x1b[31m红字",
        "半个\ud800字符",
        "=1+1",
        "+86 138",
        "-5 分",
        "@SUM(A1)",
        "长" * 100_000,
    ]
    frame = pd.DataFrame({"内容\x00": texts, "序号": range(len(texts))})
    book = _open(workbook_bytes({"记录\x01": frame}))
    sheet = book["记录"]
    assert sheet["A1"].value == "内容"
    values = [sheet.cell(row=i + 2, column=1).value for i in range(len(texts))]
    assert values[:8] == [
        "早班",
        "签到",
        "[31m红字",
        "半个字符",
        "=1+1",
        "+86 138",
        "-5 分",
        "@SUM(A1)",
    ]
    assert values[8] == "长" * CELL_MAX  # Excel holds at most 32,767 characters in a cell
    assert {sheet.cell(row=i + 2, column=1).data_type for i in range(len(texts))} == {"s"}
    # Formula-like text carries Excel's text marker, so editing it in Excel keeps it text.
    assert [sheet.cell(row=i, column=1).quotePrefix for i in (6, 7, 8, 9)] == [True] * 4
    assert not sheet["A2"].quotePrefix


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

"""The row cap of every upload (``data.tabular``): a file over ``MAX_UPLOAD_ROWS`` data rows is
refused before the rest is read, xlsx before openpyxl parses it; cell text loses controls."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from data import tabular
from data.importers import EVENT_COLUMNS
from data.tabular import MAX_UPLOAD_ROWS, TableError, read_table

HEADER = ",".join(EVENT_COLUMNS)
ROW = "2023101,2026-09-07 08:00,签到"


def csv_file(path: Path, rows: int, blank_every: int = 0) -> Path:
    lines = [HEADER]
    for i in range(rows):
        lines.append(ROW)
        if blank_every and i % blank_every == 0:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def xlsx_file(path: Path, rows: int) -> Path:
    """Written without a <dimension> element (write-only mode), the costly case for openpyxl."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(EVENT_COLUMNS))
    for _ in range(rows):
        sheet.append(ROW.split(","))
    book.save(path)
    return path


def test_the_cap_is_5000_rows(tmp_path):
    assert MAX_UPLOAD_ROWS == 5000
    assert len(read_table(csv_file(tmp_path / "ok.csv", 5000), EVENT_COLUMNS)) == 5000
    with pytest.raises(TableError, match=r"文件行数超过上限（5000 行）"):
        read_table(csv_file(tmp_path / "big.csv", 5001), EVENT_COLUMNS)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_over_the_cap_is_refused_and_none_means_no_cap(tmp_path, kind):
    path = (csv_file if kind == "csv" else xlsx_file)(tmp_path / f"f.{kind}", 25)
    with pytest.raises(TableError, match=r"文件行数超过上限（20 行）"):
        read_table(path, EVENT_COLUMNS, max_rows=20)
    assert len(read_table(path, EVENT_COLUMNS, max_rows=25)) == 25
    assert len(read_table(path, EVENT_COLUMNS, max_rows=None)) == 25


def test_blank_rows_do_not_count_until_there_are_far_too_many(tmp_path):
    path = csv_file(tmp_path / "gaps.csv", 10, blank_every=1)  # 10 data rows, 10 blank ones
    assert len(read_table(path, EVENT_COLUMNS, max_rows=10)) == 10
    (tmp_path / "padded.csv").write_text(HEADER + "\n" + "\n" * 100 + ROW + "\n")
    with pytest.raises(TableError, match="文件行数超过上限"):
        read_table(tmp_path / "padded.csv", EVENT_COLUMNS, max_rows=10)


def test_a_big_workbook_is_refused_before_openpyxl_opens_it(tmp_path, monkeypatch):
    path = xlsx_file(tmp_path / "big.xlsx", 200)

    def never(*_args, **_kwargs):
        raise AssertionError("openpyxl parsed a workbook over the cap")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(TableError, match="文件行数超过上限"):
        read_table(path, EVENT_COLUMNS, max_rows=10)


def test_a_huge_shared_string_table_is_refused(tmp_path, monkeypatch):
    path = xlsx_file(tmp_path / "small.xlsx", 3)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 2000 + "</sst>")
    monkeypatch.setattr(tabular, "SHARED_STRINGS_MAX", 1000)
    with pytest.raises(TableError, match="文件行数超过上限"):
        read_table(path, EVENT_COLUMNS)


def test_rows_are_counted_across_chunk_boundaries(monkeypatch):
    xml = (
        b"<x:worksheet><x:sheetData>" + b'<x:row r="1"><c/></x:row><row>' * 500 + b"</x:sheetData>"
    )
    xml += b"<rowBreaks/>"  # not a row
    for chunk in (7, 13, 64, 1 << 20):
        monkeypatch.setattr(tabular, "CHUNK", chunk)
        assert tabular._count_tags(io.BytesIO(xml), tabular.ROW_TAG, 10_000) == 1000
    monkeypatch.setattr(tabular, "CHUNK", 100)
    assert tabular._count_tags(io.BytesIO(xml), tabular.ROW_TAG, 10) <= 20  # stops early


def test_corrupt_workbook_is_a_table_error(tmp_path):
    path = xlsx_file(tmp_path / "ok.xlsx", 3)
    data = bytearray(path.read_bytes())
    start = data.index(b"xl/worksheets/sheet1.xml") + 200  # inside the compressed sheet
    data[start : start + 50] = b"\xff" * 50
    path.write_bytes(bytes(data))
    with pytest.raises(TableError):
        read_table(path, EVENT_COLUMNS)


def test_cell_text_loses_control_characters(tmp_path):
    path = tmp_path / "ctl.csv"
    path.write_text(
        HEADER + "\n2023\x01101,2026-09-07\x1b 08:00,签\u200b到\x7f\n", encoding="utf-8"
    )
    (row,) = read_table(path, EVENT_COLUMNS)
    assert row["学号"] == "2023101"
    assert row["时间"] == "2026-09-07 08:00"
    assert row["动作"] == "签\u200b到"  # only controls go; other characters are the importer's job

"""Read a spreadsheet (.xlsx) or a CSV file into rows of stripped strings.

CSV files may be UTF-8, UTF-8 with BOM or GB18030 (what Excel in China writes). The first
non-empty row is the header; fully empty rows are skipped. Row numbers are the ones the user
sees in Excel (the header usually being row 1). Header problems and unreadable files raise
``TableError`` with a one-line Chinese message.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = (".xlsx", ".csv")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class TableError(ValueError):
    """A file-level problem: missing, unreadable, empty, or with a bad header."""


@dataclass(frozen=True)
class Row:
    """One data row: its row number in the sheet and its cells by column name."""

    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def read_table(path: str | Path, columns: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    """The data rows of ``path``, whose header holds ``columns`` and any of ``optional``."""
    raw_rows = _numbered_rows(Path(path))
    header_number, header = _first_non_empty(raw_rows, path)
    positions = _check_header(header, columns, optional)
    rows = []
    for number, cells in raw_rows:
        if not any(cells):
            continue
        values = {name: cells[i] if i < len(cells) else "" for name, i in positions.items()}
        rows.append(Row(number=number, values=values))
    if not rows:
        raise TableError(f"文件中没有数据行（只有第 {header_number} 行的表头）：{Path(path).name}")
    return rows


def _numbered_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "（无扩展名）"
        raise TableError(f"不支持的文件类型 {shown}：请使用 .xlsx 或 .csv 文件")
    if not path.is_file():
        raise TableError(f"找不到文件：{path}")
    if suffix == ".csv":
        return _csv_rows(path)
    return _xlsx_rows(path)


def _first_non_empty(rows: Iterator[tuple[int, list[str]]], path: str | Path) -> tuple[int, list]:
    for number, cells in rows:
        if any(cells):
            return number, cells
    raise TableError(f"文件为空（没有表头和数据）：{Path(path).name}")


def _check_header(
    header: list[str], columns: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue  # an unnamed column (e.g. notes at the right) is ignored
        if name not in columns and name not in optional:
            expected = "、".join([*columns, *(f"{o}（可选）" for o in optional)])
            raise TableError(f"未知的表头“{name}”（应为：{expected}）")
        if name in positions:
            raise TableError(f"表头“{name}”重复出现")
        positions[name] = index
    missing = [name for name in columns if name not in positions]
    if missing:
        raise TableError(f"缺少表头“{'”“'.join(missing)}”")
    return positions


# --- CSV ---------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(f"无法识别文件编码：{name}（请另存为 UTF-8 或 GB18030 编码的 CSV）")


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = _decode(path.read_bytes(), path.name)
    if "\x00" in text:
        raise TableError(f"无法识别文件编码：{path.name}（请另存为 UTF-8 或 GB18030 编码的 CSV）")
    reader = csv.reader(io.StringIO(text, newline=""))
    return _csv_records(reader, path.name)


def _csv_records(reader: Iterable[list[str]], name: str) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in record]
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{name}（{exc}）") from exc


# --- XLSX --------------------------------------------------------------------------------


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"无法读取 Excel 文件：{path.name}（文件已损坏或不是 .xlsx）") from exc
    return _sheet_rows(workbook)


def _sheet_rows(workbook: Any) -> Iterator[tuple[int, list[str]]]:
    try:
        sheet = workbook.worksheets[0]
        # Some writers store wrong sheet dimensions; read every row that is really there.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [cell_text(value) for value in values]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text the user sees (numbers without '.0', dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return _round_to_second(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        value = _round_to_second(datetime.combine(date(2000, 1, 1), value)).time()
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, timedelta):  # a duration-formatted cell such as 8:00
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value).strip()


def _round_to_second(value: datetime) -> datetime:
    # Excel stores times as fractions of a day, so 08:00 can come back as 07:59:59.999.
    if value.microsecond >= 500_000:
        value += timedelta(seconds=1)
    return value.replace(microsecond=0)

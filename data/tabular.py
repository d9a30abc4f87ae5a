"""Read a spreadsheet (.xlsx) or a CSV file into rows of stripped strings.

CSV files may be UTF-8, UTF-8 with BOM or GB18030 (what Excel in China writes). The first
non-empty row is the header; fully empty rows are skipped. Row numbers are the ones the user
sees in Excel (the header usually being row 1). Header problems and unreadable files raise
``TableError`` with a one-line Chinese message.

A file of more than ``MAX_UPLOAD_ROWS`` data rows is refused as soon as row ``MAX_UPLOAD_ROWS + 1``
is read: the rest is never parsed, so a 200,000-row upload cannot tie up a worker. Cell text is
one line without control characters (``data.inputs.clean_text``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from data.inputs import clean_text

SUPPORTED_SUFFIXES = (".xlsx", ".csv")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# The one row cap of every upload (roster, schedule, events, applicants): a college's roster
# or term schedule is a few hundred rows. The CLI imports pass ``max_rows=None`` (see there).
MAX_UPLOAD_ROWS = 5000
# Sheet rows read at most per allowed data row, empty ones included: a sheet formatted down to
# row 1,048,576 is refused after this many instead of being walked to the end.
EMPTY_ROWS_FACTOR = 4
# A <row> element of sheet XML, with or without a namespace prefix (not <rowBreaks>).
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]")
TAG_OVERLAP = 64  # longer than any ROW_TAG match
CHUNK = 1 << 20
# Shared strings of a sheet within the row cap fit easily; openpyxl parses them all at once.
SHARED_STRINGS_MAX = 32 * 2**20


class TableError(ValueError):
    """A file-level problem: missing, unreadable, empty, or with a bad header."""


@dataclass(frozen=True)
class Row:
    """One data row: its row number in the sheet and its cells by column name."""

    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def read_table(
    path: str | Path,
    columns: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int | None = MAX_UPLOAD_ROWS,
) -> list[Row]:
    """The data rows of ``path``, whose header holds ``columns`` and any of ``optional``;
    more than ``max_rows`` data rows (None: no cap) raise ``TableError`` before the rest is read."""
    with closing(_numbered_rows(Path(path), max_rows)) as raw_rows:
        header_number, header = _first_non_empty(raw_rows, path)
        positions = _check_header(header, columns, optional)
        rows = []
        for number, cells in raw_rows:
            if max_rows is not None and number - header_number > max_rows * EMPTY_ROWS_FACTOR:
                raise TableError(too_many_rows(max_rows))
            if not any(cells):
                continue
            if max_rows is not None and len(rows) >= max_rows:
                raise TableError(too_many_rows(max_rows))
            values = {name: cells[i] if i < len(cells) else "" for name, i in positions.items()}
            rows.append(Row(number=number, values=values))
    if not rows:
        raise TableError(f"文件中没有数据行（只有第 {header_number} 行的表头）：{Path(path).name}")
    return rows


def too_many_rows(max_rows: int) -> str:
    """The refusal of a file with more than ``max_rows`` data rows."""
    return f"文件行数超过上限（{max_rows} 行），未导入任何数据：请删去多余的行或分成几个文件导入"


def _numbered_rows(
    path: Path, max_rows: int | None
) -> Generator[tuple[int, list[str]], None, None]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "（无扩展名）"
        raise TableError(f"不支持的文件类型 {shown}：请使用 .xlsx 或 .csv 文件")
    if not path.is_file():
        raise TableError(f"找不到文件：{path}")
    if suffix == ".csv":
        return _csv_rows(path)
    return _xlsx_rows(path, max_rows)


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


def _csv_rows(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    text = _decode(path.read_bytes(), path.name)
    if "\x00" in text:
        raise TableError(f"无法识别文件编码：{path.name}（请另存为 UTF-8 或 GB18030 编码的 CSV）")
    reader = csv.reader(io.StringIO(text, newline=""))
    return _csv_records(reader, path.name)


def _csv_records(
    reader: Iterable[list[str]], name: str
) -> Generator[tuple[int, list[str]], None, None]:
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [clean_text(cell) for cell in record]
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{name}（{exc}）") from exc


# --- XLSX --------------------------------------------------------------------------------


def _xlsx_rows(path: Path, max_rows: int | None) -> Generator[tuple[int, list[str]], None, None]:
    from openpyxl import load_workbook

    try:
        if max_rows is not None:
            _check_xlsx_size(path, max_rows)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except TableError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error) as exc:
        raise TableError(f"无法读取 Excel 文件：{path.name}（文件已损坏或不是 .xlsx）") from exc
    return _sheet_rows(workbook)


def _check_xlsx_size(path: Path, max_rows: int) -> None:
    """Refuse a workbook with too many rows before openpyxl parses it.

    Opening it already costs seconds for a big sheet: openpyxl reads the whole shared-string
    table, and walks every sheet that lacks a <dimension> element. So the rows of each sheet are
    counted in the compressed XML (stopping at the limit) and the string table's size is capped.
    """
    limit = max_rows * EMPTY_ROWS_FACTOR + 1
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(info) as part:
                    if _count_tags(part, ROW_TAG, limit) > limit:
                        raise TableError(too_many_rows(max_rows))
            elif name == "xl/sharedStrings.xml":
                with archive.open(info) as part:
                    if _count_tags(part, None, SHARED_STRINGS_MAX) > SHARED_STRINGS_MAX:
                        raise TableError(too_many_rows(max_rows))


def _count_tags(part: BinaryIO, tag: re.Pattern[bytes] | None, stop: int) -> int:
    """How often ``tag`` occurs in ``part`` (None: its bytes), counting no further than ``stop``."""
    count, tail = 0, b""
    while count <= stop and (chunk := part.read(CHUNK)):
        if tag is None:
            count += len(chunk)
            continue
        data = tail + chunk
        cut = max(len(data) - TAG_OVERLAP, 0)  # a tag across chunks is counted in the next one
        count += sum(1 for match in tag.finditer(data) if match.start() < cut)
        tail = data[cut:]
    return count + (len(tag.findall(tail)) if tag is not None else 0)


def _sheet_rows(workbook: Any) -> Generator[tuple[int, list[str]], None, None]:
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
    return clean_text(str(value))


def _round_to_second(value: datetime) -> datetime:
    # Excel stores times as fractions of a day, so 08:00 can come back as 07:59:59.999.
    if value.microsecond >= 500_000:
        value += timedelta(seconds=1)
    return value.replace(microsecond=0)

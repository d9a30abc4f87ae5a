"""Import the weekly duty schedule (SPEC §6), applied from a date like an edit."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.importers.common import (
    SCHEDULE_COLUMNS,
    Errors,
    ImportFileError,
    ImportReport,
    flag_duplicates,
    known_user,
    read_rows,
)
from data.models import Place, Semester, Shift, User
from data.services import Refused
from data.services.schedule import check_from, default_from, replace_schedule
from data.tabular import MAX_UPLOAD_ROWS, Row
from data.timeutil import local_today, utcnow

WEEKDAY_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7}
CLOCK_RE = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


ShiftKey = tuple[int, time, time, str]  # weekday, start, end, place name


@dataclass
class _Slot:
    row: int
    user_id: int
    key: ShiftKey


def import_schedule(
    session: Session,
    path: str | Path,
    *,
    semester: Semester,
    skip_bad: bool = False,
    from_day: date | None = None,
    today: date | None = None,
    max_rows: int | None = MAX_UPLOAD_ROWS,
) -> ImportReport:
    """The file's weekly schedule for ``semester`` from ``from_day`` on (SPEC §3, §7).

    A semester's first schedule applies from its start; a later one from ``from_day`` (default
    tomorrow), and the duties before that date keep the schedule in force then. A shift
    (weekday, start, end, place) still in the file keeps its id, so leave and overrides attached
    to it stay; people and shifts no longer in the file end the day before. Places are created
    by name when missing.
    """
    if semester.finalized_at is not None:
        raise ImportFileError(f"学期“{semester.name}”的考核已定稿，不能再修改值班表")
    today = today or local_today(utcnow())
    has_schedule = session.scalar(select(Shift.id).where(Shift.semester_id == semester.id).limit(1))
    if from_day is None:
        from_day = default_from(semester, today) if has_schedule else semester.start
    try:
        check_from(semester, from_day)
    except Refused as exc:
        raise ImportFileError(str(exc)) from None
    rows = read_rows(path, SCHEDULE_COLUMNS, max_rows=max_rows)
    errors = Errors()
    members = {
        u.username: u for u in session.scalars(select(User).where(User.team_id == semester.team_id))
    }
    parsed = [_parse_slot(row, members, errors) for row in rows]
    slots = [slot for slot in parsed if slot is not None]
    _check_slot_conflicts(slots, errors)

    report = errors.report(skip_bad)
    if errors and not skip_bad:
        return report
    wanted: dict[ShiftKey, list[int]] = defaultdict(list)
    for slot in slots:
        if slot.row not in errors.rows:
            wanted[slot.key].append(slot.user_id)
            report.rows_written += 1
    counts = replace_schedule(session, semester, wanted, from_day, today)
    report.created, report.updated = counts.created, counts.updated
    report.unchanged, report.removed = counts.unchanged, counts.removed
    report.from_day = from_day
    session.flush()
    report.written = True
    return report


def parse_weekday(text: str) -> int | None:
    """1–7, 周一…周日, 星期一…星期日 (also 周天/星期天/礼拜一…) → 1 (Monday) … 7 (Sunday)."""
    if text in {"1", "2", "3", "4", "5", "6", "7"}:
        return int(text)
    for prefix in ("星期", "礼拜", "周"):
        if text.startswith(prefix):
            return WEEKDAY_NAMES.get(text[len(prefix) :])
    return None


def parse_clock(text: str) -> time | None:
    """'HH:MM' (also H:MM, HH:MM:SS and a full-width colon) → time, or None."""
    match = CLOCK_RE.match(text)
    if not match:
        return None
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _parse_slot(row: Row, members: dict[str, User], errors: Errors) -> _Slot | None:
    user = known_user(row, members, errors, "学号不在本团队名单中")
    weekday = parse_weekday(row["星期"])
    if weekday is None:
        errors.add(row.number, "星期", f"星期应为 1–7 或 周一…周日：{row['星期'] or '（空）'}")
    start = _clock(row, "开始", errors)
    end = _clock(row, "结束", errors)
    if start is not None and end is not None and start >= end:
        errors.add(row.number, "结束", f"结束时间 {row['结束']} 应晚于开始时间 {row['开始']}")
    place = row["岗位"]
    if not place:
        errors.add(row.number, "岗位", "岗位不能为空")
    elif len(place) > Place.__table__.c.name.type.length:
        errors.add(row.number, "岗位", "岗位名称过长")
    if row.number in errors.rows:
        return None
    return _Slot(row.number, user.id, (weekday, start, end, place))


def _clock(row: Row, column: str, errors: Errors) -> time | None:
    value = parse_clock(row[column])
    if value is None:
        errors.add(row.number, column, f"时间应为 HH:MM 格式：{row[column] or '（空）'}")
    return value


def _check_slot_conflicts(slots: list[_Slot], errors: Errors) -> None:
    """The same person twice in one shift, or in two shifts at overlapping times."""
    flag_duplicates(
        ((s.row, (s.user_id, *s.key)) for s in slots),
        errors,
        "学号",
        lambda _key: "同一人同一班次重复安排",
    )
    by_person_day: dict[tuple[int, int], list[_Slot]] = defaultdict(list)
    for slot in slots:
        by_person_day[(slot.user_id, slot.key[0])].append(slot)
    for day_slots in by_person_day.values():
        for i, slot in enumerate(day_slots):
            for other in day_slots[:i]:
                if other.key == slot.key:
                    continue
                if slot.key[1] < other.key[2] and other.key[1] < slot.key[2]:
                    errors.add(slot.row, "开始", f"与第 {other.row} 行的班次时间重叠")

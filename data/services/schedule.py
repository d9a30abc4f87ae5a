"""Dated schedule changes (SPEC §3 "The record holds"): every change applies from a date.

Assignments and shifts are never rewritten backwards: a removal ends a row the day before its
date, an addition starts a row on it, a time change adds a version of the same shift. Only rows
that lie wholly on or after the date are deleted, so the duties before it stay as they were.
``preview`` runs any change in a savepoint and lists the duties it moves, before anything is
saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.attendance import semester_duties
from data.inputs import clean_text, parse_day, shorten
from data.models import (
    LeaveRequest,
    LeaveStatus,
    Place,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftVersion,
    User,
)
from data.policy.types import Duty
from data.services import Refused
from data.timeutil import to_local

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
ONE_DAY = timedelta(days=1)
SlotKey = tuple[int, time, time, str]  # weekday, start, end, place name


# --- Dates ----------------------------------------------------------------------------------


def default_from(semester: Semester, today: date) -> date:
    """Tomorrow, kept inside the semester (its start before it begins)."""
    return min(max(today + ONE_DAY, semester.start), semester.end)


def parse_from(semester: Semester, raw: Any, today: date) -> date:
    """The 生效日期 of a form or the CLI: empty = default, else YYYY-MM-DD inside the semester."""
    text = clean_text(raw)
    if not text:
        return default_from(semester, today)
    day = parse_day(text)
    if day is None:
        raise Refused(f"生效日期应为 YYYY-MM-DD 格式：{shorten(text, 20)}")
    check_from(semester, day)
    return day


def check_from(semester: Semester, day: date) -> None:
    if not semester.start <= day <= semester.end:
        raise Refused(
            f"生效日期 {day} 不在学期“{semester.name}”内（{semester.start} 至 {semester.end}）"
        )


def _bound(semester: Semester, day: date) -> date | None:
    """A start date as stored: None when it is the semester's own start."""
    return None if day <= semester.start else day


# --- Reading ----------------------------------------------------------------------------------


def shifts_of(session: Session, semester: Semester) -> list[Shift]:
    query = (
        select(Shift)
        .where(Shift.semester_id == semester.id)
        .options(
            selectinload(Shift.assignments),
            selectinload(Shift.versions),
            selectinload(Shift.place),
        )
        .order_by(Shift.start, Shift.end, Shift.weekday, Shift.id)
    )
    return list(session.scalars(query))


def slot_on(shift: Shift, day: date, place_names: dict[int, str]) -> SlotKey:
    start, end, place_id = shift.version_on(day)
    return (shift.weekday, start, end, place_names.get(place_id, ""))


def find_slot(shifts: list[Shift], key: SlotKey, day: date, place_names: dict[int, str]):
    """The shift in force on ``day`` with these weekday, times and place, if any."""
    return next(
        (s for s in shifts if s.in_force(day) and slot_on(s, day, place_names) == key), None
    )


# --- Changes ----------------------------------------------------------------------------------


def _row_start(row: ShiftAssignment, shift: Shift, semester: Semester) -> date:
    return row.valid_from or shift.valid_from or semester.start


def end_person(shift: Shift, user_id: int, day: date, semester: Semester) -> bool:
    """Take ``user_id`` off ``shift`` from ``day`` on; earlier duties stay. True if changed."""
    changed = False
    for row in [a for a in shift.assignments if a.user_id == user_id and a.active_from(day)]:
        if _row_start(row, shift, semester) >= day:
            shift.assignments.remove(row)  # wholly from the date on: nothing past to keep
        else:
            row.valid_to = day - ONE_DAY
        changed = True
    return changed


def ensure_person(shift: Shift, user_id: int, day: date, semester: Semester) -> bool:
    """Put ``user_id`` on ``shift`` for every day from ``day`` on. True if anything changed."""
    rows = [a for a in shift.assignments if a.user_id == user_id]
    if any(a.covers(day) and a.valid_to is None for a in rows):
        return False
    for row in rows:
        if _row_start(row, shift, semester) > day:
            shift.assignments.remove(row)  # superseded by the open period from ``day``
    rows = [a for a in shift.assignments if a.user_id == user_id]
    bridge = next((a for a in rows if a.covers(day) or a.valid_to == day - ONE_DAY), None)
    if bridge is not None:
        bridge.valid_to = None
    else:
        shift.assignments.append(ShiftAssignment(user_id=user_id, valid_from=_bound(semester, day)))
    return True


def assign(
    session: Session,
    semester: Semester,
    shifts: list[Shift],
    user: User,
    slot: tuple[int, time, time, Place],
    day: date,
) -> tuple[Shift, bool]:
    """``user`` on the slot (weekday, start, end, place) from ``day``; (shift, created)."""
    weekday, start, end, place = slot
    names = {place.id: place.name} | {s.place_id: s.place.name for s in shifts}
    shift = find_slot(shifts, (weekday, start, end, place.name), day, names)
    created = shift is None
    if shift is None:
        shift = Shift(
            semester_id=semester.id,
            weekday=weekday,
            start=start,
            end=end,
            place=place,
            valid_from=_bound(semester, day),
        )
        session.add(shift)
        shifts.append(shift)
    elif not ensure_person(shift, user.id, day, semester):
        raise Refused(f"{user.name} 已在该班次中")
    if created:
        ensure_person(shift, user.id, day, semester)
    return shift, created


def end_shift(session: Session, shift: Shift, day: date, today: date, semester: Semester) -> None:
    """Remove an empty shift from ``day``; a shift with a past keeps it (ends the day before)."""
    if any(a.active_from(day) for a in shift.assignments):
        raise Refused("班次中还有值班人员，请先取消安排")
    begins = shift.valid_from or semester.start
    if begins >= day and day > today:
        session.delete(shift)
    else:
        shift.valid_to = day - ONE_DAY


def change_times(
    shift: Shift, start: time, end: time, place_id: int, day: date, semester: Semester
) -> None:
    """New times/place for ``shift`` from ``day``; the shift keeps its id (leave follows it)."""
    if not shift.in_force(day):
        raise Refused("该班次在生效日期已不存在")
    if shift.version_on(day) == (start, end, place_id):
        raise Refused("班次时间和岗位没有变化")
    for version in [v for v in shift.versions if v.valid_from >= day]:
        shift.versions.remove(version)
    if day <= (shift.valid_from or semester.start):
        shift.start, shift.end, shift.place_id = start, end, place_id
    else:
        shift.versions.append(ShiftVersion(valid_from=day, start=start, end=end, place_id=place_id))


@dataclass
class ReplaceCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


def replace_schedule(
    session: Session,
    semester: Semester,
    wanted: dict[SlotKey, list[int]],
    day: date,
    today: date,
) -> ReplaceCounts:
    """The imported weekly schedule from ``day`` on; duties before ``day`` keep the old one.

    A slot still in the file keeps its shift (so leave and overrides stay attached); people
    and slots no longer in it end the day before ``day``.
    """
    counts = ReplaceCounts()
    places = {
        p.name: p for p in session.scalars(select(Place).where(Place.team_id == semester.team_id))
    }
    names = {p.id: p.name for p in places.values()}
    kept: dict[SlotKey, Shift] = {}
    for shift in shifts_of(session, semester):
        if shift.valid_to is not None and shift.valid_to < day:
            continue  # already over before the date
        key = slot_on(shift, max(day, shift.valid_from or day), names)
        if key in wanted and key not in kept and shift.in_force(day):
            kept[key] = shift
            continue
        for user_id in {a.user_id for a in shift.assignments}:
            end_person(shift, user_id, day, semester)
        end_shift(session, shift, day, today, semester)
        counts.removed += 1
    for key, user_ids in wanted.items():
        shift = kept.get(key)
        if shift is None:
            weekday, start, end, place_name = key
            place = places.get(place_name)
            if place is None:
                place = places[place_name] = Place(team_id=semester.team_id, name=place_name)
                session.add(place)
            shift = Shift(
                semester_id=semester.id,
                weekday=weekday,
                start=start,
                end=end,
                place=place,
                valid_from=_bound(semester, day),
            )
            session.add(shift)
            for user_id in dict.fromkeys(user_ids):
                ensure_person(shift, user_id, day, semester)
            counts.created += 1
            continue
        changed = False
        current = {a.user_id for a in shift.assignments if a.active_from(day)}
        for user_id in current - set(user_ids):
            changed |= end_person(shift, user_id, day, semester)
        for user_id in dict.fromkeys(user_ids):
            changed |= ensure_person(shift, user_id, day, semester)
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


# --- Preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DutyChange:
    day: date
    user_id: int
    before: str  # "" when the duty is new
    after: str  # "" when the duty goes away
    past: bool  # on or before today: this rewrites what already happened


@dataclass
class Preview:
    """What a schedule change does to the duties from its date on."""

    day: date
    today: date
    changes: list[DutyChange] = field(default_factory=list)
    leave: list[tuple[int, date, str]] = field(default_factory=list)  # (user, day, what)

    @property
    def past(self) -> bool:
        return self.day <= self.today

    @property
    def removed(self) -> int:
        return sum(1 for c in self.changes if not c.after)

    @property
    def added(self) -> int:
        return sum(1 for c in self.changes if not c.before)

    @property
    def moved(self) -> int:
        return sum(1 for c in self.changes if c.before and c.after)

    @property
    def past_changes(self) -> int:
        return sum(1 for c in self.changes if c.past)


def describe(duty: Duty) -> str:
    start, end = to_local(duty.start), to_local(duty.end)
    place = f" {duty.place}" if duty.place else ""
    return f"{WEEKDAYS[start.weekday()]} {start:%H:%M}–{end:%H:%M}{place}"


def _duties_from(session: Session, semester: Semester, day: date) -> dict[tuple, Duty]:
    return {d.key: d for d in semester_duties(session, semester) if d.day >= day}


def preview(
    session: Session,
    semester: Semester,
    change: Callable[[], object],
    day: date,
    today: date,
) -> Preview:
    """Run ``change`` in a savepoint, list the duties it moves, and undo it.

    Refused from ``change`` propagates with nothing changed.
    """
    before = _duties_from(session, semester, day)
    savepoint = session.begin_nested()
    try:
        change()
        session.flush()
        after = _duties_from(session, semester, day)
    finally:
        savepoint.rollback()
        session.expire_all()
    result = Preview(day=day, today=today)
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[0], k[2] or 0)):
        old, new = before.get(key), after.get(key)
        old_text = describe(old) if old else ""
        new_text = describe(new) if new else ""
        if old_text != new_text:
            result.changes.append(DutyChange(key[1], key[0], old_text, new_text, key[1] <= today))
    gone = {c for c in before if c not in after}
    if gone:
        leave_rows = session.execute(
            select(LeaveRequest.user_id, LeaveRequest.duty_date, LeaveRequest.shift_id).where(
                LeaveRequest.duty_date >= day,
                LeaveRequest.duty_date <= semester.end,
                LeaveRequest.status.in_((LeaveStatus.pending, LeaveStatus.approved)),
            )
        )
        for user_id, duty_date, shift_id in leave_rows:
            if (user_id, duty_date, shift_id) in gone:
                result.leave.append((user_id, duty_date, "请假将不再对应值班"))
    return result

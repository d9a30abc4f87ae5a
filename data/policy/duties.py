"""Expected duties (第六条二): the weekly schedule over the semester minus holidays and breaks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from data.policy.types import Duty, OverrideSpec, Period, ShiftSpec, ShiftTimes
from data.timeutil import LOCAL_TZ

# Fallback for holidays versions without `weekend_workdays`: the day-off names carry the
# weekend date that became a working day, e.g. "休息日（由 2026-09-20 调休）".
_SUBSTITUTED = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{2})/(\d{2})/(\d{4})")


@lru_cache(maxsize=64)
def _china(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays incl. 调休 days off, weekend make-up workdays) of one year."""
    cn = holidays.China(years=year)
    days_off = frozenset(d for d in cn if d.year == year)
    workdays = getattr(cn, "weekend_workdays", None)
    if workdays is None:
        workdays = set()
        for name in cn.values():
            match = _SUBSTITUTED.search(name)
            if match and ("调休" in name or "substituted" in name.lower()):
                y, m, d = match.group(1, 2, 3) if match.group(1) else match.group(6, 4, 5)
                workdays.add(date(int(y), int(m), int(d)))
    return days_off, frozenset(d for d in workdays if d.year == year)


def _days(start: date, end: date) -> Iterable[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _weekdays(start: date, end: date, weekday: int) -> Iterable[date]:
    """Every ``weekday`` (ISO, 1 = Monday) in [start, end]."""
    day = start + timedelta(days=(weekday - start.isoweekday()) % 7)
    week = timedelta(days=7)
    while day <= end:
        yield day
        day += week


def _is_weekend(day: date) -> bool:
    return day.isoweekday() >= 6


def makeup_workdays(start: date, end: date) -> set[date]:
    """Weekend days in [start, end] that are official working days (调休上班)."""
    found: set[date] = set()
    for year in range(start.year, end.year + 1):
        found |= {d for d in _china(year)[1] if start <= d <= end}
    return found


@lru_cache(maxsize=64)
def _public_days_off(start: date, end: date) -> frozenset[date]:
    # Kept: the door asks for the same semester's days on every press.
    # Pad by a week so a golden week crossing the range edge is still recognised as one.
    lo, hi = start - timedelta(days=7), end + timedelta(days=7)
    off: set[date] = set()
    workdays: set[date] = set()
    for year in range(lo.year, hi.year + 1):
        holiday_days, weekend_workdays = _china(year)
        off |= holiday_days
        workdays |= weekend_workdays
    # The package lists only the weekdays of a break: a weekend inside or next to it
    # (国庆 10/03–10/04, 清明 04/04) belongs to the break too, as the State Council notice says.
    bridged = set(off)
    for day in sorted(off):
        for step in (-1, 1):
            cursor = day + timedelta(days=step)
            while _is_weekend(cursor) and cursor not in workdays and cursor not in bridged:
                bridged.add(cursor)
                cursor += timedelta(days=step)
    return frozenset(d for d in bridged if start <= d <= end)


def non_duty_days(start: date, end: date, breaks: Iterable[tuple[date, date]] = ()) -> set[date]:
    """Public holidays, their 调休 days off (and the weekends they enclose) and college breaks."""
    days = set(_public_days_off(start, end))
    for break_start, break_end in breaks:
        lo, hi = max(start, min(break_start, break_end)), min(end, max(break_start, break_end))
        days.update(_days(lo, hi) if lo <= hi else ())
    return days


def _at(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=LOCAL_TZ)
    finish = datetime.combine(day, end, tzinfo=LOCAL_TZ)
    if finish <= begin:  # an overnight shift ends the next day
        finish += timedelta(days=1)
    return begin, finish


def dated_shift_specs(
    shift_id: int,
    weekday: int,
    times: Iterable[ShiftTimes],
    periods: Iterable[Period],
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> list[ShiftSpec]:
    """One shift's versions and assignment periods → specs over disjoint date ranges.

    Each spec covers a stretch of days on which both the shift's times and the people on it are
    constant, so the engine needs no notion of dates beyond ``ShiftSpec.in_force``.
    """
    times = sorted(times, key=lambda t: t.valid_from or date.min)
    periods = list(periods)
    cuts: set[date] = {valid_from or date.min}
    cuts.update(t.valid_from for t in times if t.valid_from is not None)
    for period in periods:
        if period.valid_from is not None:
            cuts.add(period.valid_from)
        if period.valid_to is not None and period.valid_to < date.max:
            cuts.add(period.valid_to + timedelta(days=1))
    first = valid_from or date.min
    last = valid_to or date.max
    bounds = sorted(c for c in cuts if first <= c <= last)
    specs: list[ShiftSpec] = []
    for index, lo in enumerate(bounds):
        hi = bounds[index + 1] - timedelta(days=1) if index + 1 < len(bounds) else last
        current = [t for t in times if (t.valid_from or date.min) <= lo]
        if not current:
            continue
        version = current[-1]
        users = tuple(
            sorted(
                p.user_id
                for p in periods
                if (p.valid_from or date.min) <= lo and (p.valid_to or date.max) >= hi
            )
        )
        specs.append(
            ShiftSpec(
                shift_id,
                weekday,
                version.start,
                version.end,
                version.place,
                users,
                None if lo == date.min else lo,
                None if hi == date.max else hi,
            )
        )
    return specs


def _weekly(
    day: date, shifts: Iterable[ShiftSpec], weekday: int | None = None
) -> dict[tuple[int, int | None], Duty]:
    """The weekly duties of ``day``; a declared make-up day follows ``weekday``'s schedule."""
    weekday = weekday or day.isoweekday()
    duties: dict[tuple[int, int | None], Duty] = {}
    for shift in shifts:
        if shift.weekday != weekday or not shift.in_force(day):
            continue
        begin, finish = _at(day, shift.start, shift.end)
        for user_id in shift.user_ids:
            duties[(user_id, shift.shift_id)] = Duty(
                user_id, day, shift.shift_id, begin, finish, shift.place
            )
    return duties


def _apply(
    duties: dict[tuple[int, int | None], Duty],
    override: OverrideSpec,
    shifts_by_id: dict[int, list[ShiftSpec]],
) -> None:
    """Apply one override to the day's duties, in place; an override that matches nothing is a no-op."""
    day = override.on
    if override.kind == "cancel":
        for key in [k for k in duties if override.shift_id in (None, k[1])]:
            del duties[key]
    elif override.kind == "swap":
        if override.user_id is None or override.replaced_user_id is None:
            return
        for key in [k for k in duties if k[0] == override.replaced_user_id]:
            if override.shift_id not in (None, key[1]):
                continue
            old = duties.pop(key)
            duties[(override.user_id, key[1])] = Duty(
                override.user_id, day, old.shift_id, old.start, old.end, old.place
            )
    elif override.kind == "extra" and override.user_id is not None:
        versions = shifts_by_id.get(override.shift_id, []) if override.shift_id is not None else []
        shift = next((v for v in versions if v.in_force(day)), versions[-1] if versions else None)
        start = override.start or (shift.start if shift else None)
        end = override.end or (shift.end if shift else None)
        if start is None or end is None:
            return
        begin, finish = _at(day, start, end)
        place = override.place or (shift.place if shift else "")
        # Keyed by the shift when one is named, so door scans for that shift find the duty.
        shift_id = shift.shift_id if shift else None
        duties[(override.user_id, shift_id)] = Duty(
            override.user_id, day, shift_id, begin, finish, place
        )


def expected_duties(
    start: date,
    end: date,
    shifts: Iterable[ShiftSpec],
    overrides: Iterable[OverrideSpec] = (),
    breaks: Iterable[tuple[date, date]] = (),
    until: date | None = None,
    makeup: Mapping[date, int] | None = None,
) -> list[Duty]:
    """The duties everybody is expected to do over [start, min(end, until)], sorted by start.

    Holidays, breaks and 调休上班 weekends have no weekly duties, unless the counselor declared
    the weekday whose schedule a make-up day follows (``makeup``: day → ISO weekday, 按周五值班;
    a holiday or break still wins). Overrides apply on any day. Extra overrides are expected
    duties like any other (extra=False, shift_id None unless they name a shift).
    """
    last = min(end, until) if until is not None else end
    if last < start:
        return []
    shifts_by_id: dict[int, list[ShiftSpec]] = {}
    # Grouped by weekday: a day looks only at its own weekday's shifts, not the whole week's.
    by_weekday: dict[int, list[ShiftSpec]] = {}
    for spec in shifts:
        shifts_by_id.setdefault(spec.shift_id, []).append(spec)
        by_weekday.setdefault(spec.weekday, []).append(spec)
    off = non_duty_days(start, last, breaks)
    skipped = off | makeup_workdays(start, last)
    declared = {day: weekday for day, weekday in (makeup or {}).items() if day not in off}
    by_day: dict[date, list[OverrideSpec]] = {}
    for override in overrides:
        if start <= override.on <= last:
            by_day.setdefault(override.on, []).append(override)
    # Cancels first, then swaps, then extras: an extra on a cancelled day still takes place.
    order = {"cancel": 0, "swap": 1, "extra": 2}
    # Only days that can hold a duty: their weekday has shifts, or they are declared or overridden.
    candidates = {d for d in declared if start <= d <= last} | set(by_day)
    for weekday in by_weekday:
        candidates.update(_weekdays(start, last, weekday))
    result: list[Duty] = []
    for day in candidates:
        weekday = declared.get(day) or (None if day in skipped else day.isoweekday())
        on_day = by_weekday.get(weekday) if weekday else None
        duties = _weekly(day, on_day, weekday) if on_day else {}
        overrides_today = by_day.get(day)
        if overrides_today:
            for override in sorted(overrides_today, key=lambda o: order.get(o.kind, 3)):
                _apply(duties, override, shifts_by_id)
        result.extend(duties.values())
    result.sort(key=lambda d: (d.start, d.user_id, d.shift_id or 0))
    return result

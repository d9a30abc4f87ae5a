"""Expected duties: weekly schedule, holidays and 调休, breaks and overrides (第六条二、四)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.policy.duties import expected_duties, makeup_workdays, non_duty_days
from data.policy.types import OverrideSpec, ShiftSpec
from data.timeutil import LOCAL_TZ

MON_9 = ShiftSpec(1, 1, time(9), time(11), "学工办", (10, 11))
THU_14 = ShiftSpec(2, 4, time(14), time(16), "学工办", (12,))
FRI_14 = ShiftSpec(3, 5, time(14), time(16), "学工办", (13,))
SAT_9 = ShiftSpec(4, 6, time(9), time(11), "学工办", (14,))
SUN_9 = ShiftSpec(5, 7, time(9), time(11), "学工办", (15,))
ALL = (MON_9, THU_14, FRI_14, SAT_9, SUN_9)


def days_of(duties, user_id=None):
    return {d.day for d in duties if user_id is None or d.user_id == user_id}


def test_art6_national_day_has_no_duty_and_the_day_after_the_break_has():
    duties = expected_duties(date(2026, 9, 28), date(2026, 10, 16), ALL)
    assert date(2026, 10, 1) not in days_of(duties)  # Thursday, 国庆节
    assert date(2026, 10, 2) not in days_of(duties)  # Friday, 国庆节
    assert date(2026, 10, 9) in days_of(duties, 13)  # Friday after the golden week
    assert date(2026, 10, 15) in days_of(duties, 12)


def test_art6_tiaoxiu_days_off_and_enclosed_weekend_have_no_duty():
    duties = expected_duties(date(2026, 10, 1), date(2026, 10, 8), ALL)
    # 10/06–10/07 are 调休 days off; 10/03–10/04 are the weekend inside the break.
    assert days_of(duties) == {date(2026, 10, 8)}


@pytest.mark.parametrize("sunday", [date(2026, 9, 20), date(2026, 1, 4), date(2026, 2, 28)])
def test_art6_makeup_workday_has_no_duty_even_with_a_weekend_shift(sunday):
    assert sunday in makeup_workdays(date(2026, 1, 1), date(2026, 12, 31))
    duties = expected_duties(sunday, sunday, ALL)
    assert duties == []


def test_art6_makeup_saturday_2026_10_10_has_no_duty():
    assert date(2026, 10, 10).isoweekday() == 6
    assert expected_duties(date(2026, 10, 10), date(2026, 10, 10), ALL) == []


def test_art6_makeup_workday_gets_duties_from_extra_override():
    sunday = date(2026, 9, 20)
    extra = OverrideSpec(sunday, "extra", None, 20, None, time(8), time(10), "学工办")
    duties = expected_duties(sunday, sunday, ALL, [extra])
    assert [(d.user_id, d.shift_id, d.extra) for d in duties] == [(20, None, False)]
    assert duties[0].start == datetime(2026, 9, 20, 8, tzinfo=LOCAL_TZ)


def test_makeup_workdays_are_weekend_days_only():
    found = makeup_workdays(date(2025, 1, 1), date(2026, 12, 31))
    assert found >= {date(2026, 9, 20), date(2026, 10, 10), date(2025, 9, 28)}
    assert all(d.isoweekday() >= 6 for d in found)


def test_non_duty_days_include_holidays_and_breaks():
    days = non_duty_days(
        date(2026, 9, 1), date(2026, 10, 31), [(date(2026, 10, 20), date(2026, 10, 22))]
    )
    assert {date(2026, 10, 1), date(2026, 10, 6), date(2026, 10, 7), date(2026, 9, 25)} <= days
    assert {date(2026, 10, 20), date(2026, 10, 21), date(2026, 10, 22)} <= days
    assert date(2026, 10, 9) not in days
    assert date(2026, 9, 20) not in days  # a make-up workday is not a day off


def test_college_break_removes_duties():
    duties = expected_duties(
        date(2026, 10, 12),
        date(2026, 10, 18),
        ALL,
        breaks=[(date(2026, 10, 15), date(2026, 10, 16))],
    )
    assert days_of(duties) == {date(2026, 10, 12), date(2026, 10, 17), date(2026, 10, 18)}


def test_weekly_schedule_expands_per_assigned_user_sorted_by_start():
    duties = expected_duties(date(2026, 10, 12), date(2026, 10, 18), ALL)
    assert [(d.user_id, d.day) for d in duties] == [
        (10, date(2026, 10, 12)),
        (11, date(2026, 10, 12)),
        (12, date(2026, 10, 15)),
        (13, date(2026, 10, 16)),
        (14, date(2026, 10, 17)),
        (15, date(2026, 10, 18)),
    ]
    first = duties[0]
    assert first.key == (10, date(2026, 10, 12), 1)
    assert first.start.utcoffset().total_seconds() == 8 * 3600
    assert (first.place, first.extra) == ("学工办", False)


def test_until_stops_the_expansion():
    duties = expected_duties(date(2026, 10, 12), date(2026, 10, 31), ALL, until=date(2026, 10, 15))
    assert max(days_of(duties)) == date(2026, 10, 15)
    assert (
        expected_duties(date(2026, 10, 12), date(2026, 10, 31), ALL, until=date(2026, 10, 1)) == []
    )


def test_art6_swap_gives_the_duty_to_the_other_assistant():
    monday = date(2026, 10, 12)
    swap = OverrideSpec(monday, "swap", 1, 30, 10)
    duties = expected_duties(monday, monday, ALL, [swap])
    assert sorted(d.user_id for d in duties) == [11, 30]
    assert next(d for d in duties if d.user_id == 30).shift_id == 1


def test_swap_for_someone_not_on_the_shift_changes_nothing():
    monday = date(2026, 10, 12)
    swap = OverrideSpec(monday, "swap", 1, 30, 99)
    assert sorted(d.user_id for d in expected_duties(monday, monday, ALL, [swap])) == [10, 11]


def test_cancel_one_shift_or_the_whole_day():
    monday = date(2026, 10, 12)
    extra = OverrideSpec(monday, "extra", None, 20, None, time(14), time(15), "档案室")
    one = expected_duties(monday, monday, ALL, [OverrideSpec(monday, "cancel", 1)])
    assert one == []
    whole = expected_duties(monday, monday, ALL, [OverrideSpec(monday, "cancel"), extra])
    # An extra duty is still wanted on a cancelled day: the counselor added it on purpose.
    assert [(d.user_id, d.place) for d in whole] == [(20, "档案室")]


def test_extra_override_naming_a_shift_takes_its_times():
    monday = date(2026, 10, 12)
    extra = OverrideSpec(monday, "extra", 1, 20)
    duties = expected_duties(monday, monday, ALL, [extra])
    added = next(d for d in duties if d.user_id == 20)
    assert (added.shift_id, added.start.hour, added.end.hour, added.extra) == (1, 9, 11, False)


def test_extra_override_on_national_day_is_expected():
    day = date(2026, 10, 1)
    extra = OverrideSpec(day, "extra", None, 20, None, time(9), time(12), "迎新点")
    assert [d.user_id for d in expected_duties(day, day, ALL, [extra])] == [20]


def test_overnight_shift_ends_next_day():
    night = ShiftSpec(9, 1, time(22), time(1), "值班室", (40,))
    (duty,) = expected_duties(date(2026, 10, 12), date(2026, 10, 12), [night])
    assert duty.end == datetime(2026, 10, 13, 1, tzinfo=LOCAL_TZ)


# --- 调休 make-up days declared to follow one weekday (按周五值班, SPEC §3) ----------------------

MAKEUP_SATURDAY = date(2026, 10, 10)  # 调休上班 after the National Day break


def test_declared_makeup_day_follows_that_weekdays_schedule():
    duties = expected_duties(MAKEUP_SATURDAY, MAKEUP_SATURDAY, ALL, makeup={MAKEUP_SATURDAY: 5})
    assert [(d.user_id, d.shift_id, d.day) for d in duties] == [(13, 3, MAKEUP_SATURDAY)]
    assert duties[0].start == datetime(2026, 10, 10, 14, tzinfo=LOCAL_TZ)
    # Not the Saturday shift: the day is a working day, not a weekend.
    assert 14 not in {d.user_id for d in duties}


def test_declared_makeup_day_inside_a_break_or_holiday_has_no_duty():
    brk = [(MAKEUP_SATURDAY, MAKEUP_SATURDAY)]
    assert (
        expected_duties(
            MAKEUP_SATURDAY, MAKEUP_SATURDAY, ALL, breaks=brk, makeup={MAKEUP_SATURDAY: 5}
        )
        == []
    )
    national_day = date(2026, 10, 1)
    assert expected_duties(national_day, national_day, ALL, makeup={national_day: 1}) == []


def test_declared_makeup_day_uses_the_shift_version_in_force_that_date_and_overrides():
    old = ShiftSpec(3, 5, time(14), time(16), "学工办", (13,), None, date(2026, 10, 9))
    new = ShiftSpec(3, 5, time(15), time(17), "图书馆", (16,), date(2026, 10, 10), None)
    (duty,) = expected_duties(
        MAKEUP_SATURDAY, MAKEUP_SATURDAY, [old, new], makeup={MAKEUP_SATURDAY: 5}
    )
    assert (duty.user_id, duty.place) == (16, "图书馆")
    assert duty.start == datetime(2026, 10, 10, 15, tzinfo=LOCAL_TZ)
    swap = OverrideSpec(MAKEUP_SATURDAY, "swap", 3, 20, 16)
    (swapped,) = expected_duties(
        MAKEUP_SATURDAY, MAKEUP_SATURDAY, [old, new], [swap], makeup={MAKEUP_SATURDAY: 5}
    )
    assert swapped.user_id == 20


@given(
    weekday=st.integers(min_value=1, max_value=7),
    shifts=st.lists(
        st.builds(
            ShiftSpec,
            shift_id=st.integers(1, 50),
            weekday=st.integers(1, 7),
            start=st.sampled_from([time(8), time(10), time(14)]),
            end=st.sampled_from([time(9), time(12), time(16)]),
            place=st.just("学工办"),
            user_ids=st.lists(st.integers(1, 9), max_size=3, unique=True).map(tuple),
        ),
        max_size=6,
        unique_by=lambda s: s.shift_id,
    ),
)
def test_a_makeup_day_gives_what_a_plain_day_of_that_weekday_gives(weekday, shifts):
    # A plain week (no holidays) of 2026-11: 11-09 is a Monday.
    plain = date(2026, 11, 8 + weekday)
    expected = {
        (d.user_id, d.shift_id, d.start.time(), d.end - d.start)
        for d in expected_duties(plain, plain, shifts)
    }
    got = expected_duties(
        MAKEUP_SATURDAY, MAKEUP_SATURDAY, shifts, makeup={MAKEUP_SATURDAY: weekday}
    )
    assert {(d.user_id, d.shift_id, d.start.time(), d.end - d.start) for d in got} == expected
    assert all(d.day == MAKEUP_SATURDAY for d in got)
    # Undeclared, the same 调休上班 Saturday has none; other days are unaffected.
    assert expected_duties(MAKEUP_SATURDAY, MAKEUP_SATURDAY, shifts) == []
    week = (date(2026, 11, 9), date(2026, 11, 15))
    assert expected_duties(*week, shifts, makeup={MAKEUP_SATURDAY: weekday}) == expected_duties(
        *week, shifts
    )

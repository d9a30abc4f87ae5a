"""Attendance classification (第六条二 签到、第六条四 时间观念与请假)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data.policy.classify import classify_duty, classify_extra, match_events, summarize
from data.policy.settings import PolicySettings
from data.policy.types import CorrectionInfo, Duty, DutyOutcome, Event, LeaveInfo
from data.timeutil import LOCAL_TZ

S = PolicySettings()
DAY = date(2026, 10, 12)


def at(hh: int, mm: int = 0, ss: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=LOCAL_TZ)


DUTY = Duty(1, DAY, 7, at(14), at(16), "学工办")
LATER = at(23)  # well after end + missed window


def inn(hh, mm=0, ss=0):
    return Event(at(hh, mm, ss), "sign_in")


def out(hh, mm=0, ss=0):
    return Event(at(hh, mm, ss), "sign_out")


def classify(events, leaves=(), correction=None, now=LATER, settings=S):
    return classify_duty(DUTY, events, leaves, correction, settings, now)


@pytest.mark.parametrize(
    ("sign_in", "status", "late"),
    [
        ((13, 30), "normal", 0),  # window opens 30 min before
        ((14, 0), "normal", 0),
        ((14, 5), "normal", 0),  # exactly start + grace: on time
        ((14, 6), "late", 6),  # one minute after grace
        ((14, 5, 30), "late", 5),  # half a minute after grace: late, whole minutes floored
        ((15, 59), "late", 119),
    ],
)
def test_art6_sign_in_table(sign_in, status, late):
    outcome = classify([inn(*sign_in), out(16)])
    assert (outcome.status, outcome.late_minutes) == (status, late)


def test_art6_sign_in_exactly_at_grace_is_on_time():
    assert classify([inn(14, 5), out(16)]).status == "normal"


def test_art6_one_minute_after_grace_is_late():
    outcome = classify([inn(14, 6), out(16)])
    assert (outcome.status, outcome.late_minutes) == ("late", 6)


@pytest.mark.parametrize(
    ("sign_out", "status", "early"),
    [
        ((16, 0), "normal", 0),
        ((15, 55), "normal", 0),  # exactly end − grace: not early
        ((15, 54), "early", 6),
        ((15, 0), "early", 60),
        ((17, 30), "normal", 0),
    ],
)
def test_art6_sign_out_table(sign_out, status, early):
    outcome = classify([inn(14), out(*sign_out)])
    assert (outcome.status, outcome.early_minutes) == (status, early)


def test_art6_sign_out_exactly_at_end_minus_grace_is_not_early():
    assert classify([inn(14), out(15, 55)]).status == "normal"


def test_art6_late_and_early_is_late_early():
    outcome = classify([inn(14, 20), out(15, 30)])
    assert (outcome.status, outcome.late_minutes, outcome.early_minutes) == ("late_early", 20, 30)
    assert outcome.credited_minutes == 70


def test_art6_no_sign_in_by_end_is_absent():
    assert classify([]).status == "absent"
    assert classify([inn(16, 1), out(16, 30)]).status == "absent"  # sign-in after the end


def test_art6_no_sign_out_by_end_plus_window_is_missed_sign_out_credited_zero():
    outcome = classify([inn(14)], now=at(18))  # end 16:00 + 120 min
    assert (outcome.status, outcome.credited_minutes) == ("missed_sign_out", 0)


def test_art6_missed_sign_out_credits_the_shift_when_setting_off():
    lenient = S.replace(missed_sign_out_credits_zero=False)
    outcome = classify([inn(14, 30)], settings=lenient)
    assert (outcome.status, outcome.credited_minutes, outcome.late_minutes) == (
        "missed_sign_out",
        90,
        30,
    )


def test_art6_before_end_plus_window_is_in_progress():
    outcome = classify([inn(14, 10)], now=at(17, 59))
    assert (outcome.status, outcome.late_minutes) == ("in_progress", 10)


def test_art6_started_without_sign_in_is_in_progress_until_the_end():
    assert classify([], now=at(15)).status == "in_progress"
    assert classify([], now=at(16)).status == "absent"


def test_art6_not_started_is_upcoming():
    assert classify([], now=at(13)).status == "upcoming"
    assert classify([inn(13, 45)], now=at(13, 50)).status == "in_progress"


@pytest.mark.parametrize(
    ("events", "credited"),
    [
        ([inn(14), out(16)], 120),
        ([inn(13, 40), out(16)], 120),  # early arrival is not credited before the start
        ([inn(14), out(17, 30)], 120),  # nor staying after the end
        ([inn(14, 30), out(15, 30, 59)], 60),
        ([inn(14, 30), out(14, 10)], 0),  # sign-out before sign-in closes nothing
    ],
)
def test_art6_credited_minutes_table(events, credited):
    assert classify(events).credited_minutes == credited


def test_art6_duplicate_scans_first_sign_in_and_last_sign_out_count():
    outcome = classify([inn(14, 2), inn(14, 30), out(15), out(16)])
    assert (outcome.status, outcome.sign_in_at, outcome.sign_out_at) == (
        "normal",
        at(14, 2),
        at(16),
    )


def test_art6_approved_leave_in_advance_excuses():
    leave = LeaveInfo("personal", "approved", after_start=False)
    outcome = classify([], [leave])
    assert (outcome.status, outcome.excused, outcome.after_start_leave) == ("leave", True, False)


@pytest.mark.parametrize("status", ["pending", "rejected", "cancelled"])
def test_art6_leave_not_approved_excuses_nothing(status):
    assert classify([], [LeaveInfo("sick", status)]).status == "absent"


def test_art6_leave_one_minute_after_start_is_xianzhan_houzou():
    # Whoever records the leave sets after_start by comparing creation time with the start.
    leave = LeaveInfo("personal", "approved", after_start=True)
    outcome = classify([], [leave])
    assert (outcome.status, outcome.excused, outcome.after_start_leave) == ("absent", False, True)


def test_art6_phone_leave_excuses_even_after_start():
    leave = LeaveInfo("phone", "approved", after_start=True)
    outcome = classify([], [leave])
    assert (outcome.status, outcome.excused, outcome.after_start_leave) == ("leave", True, False)


def test_art6_leave_excuses_lateness_but_work_done_still_counts():
    leave = LeaveInfo("exam", "approved")
    outcome = classify([inn(15), out(16)], [leave])
    assert (outcome.status, outcome.late_minutes, outcome.credited_minutes) == ("leave", 0, 60)


def test_art6_future_duty_with_leave_is_upcoming_but_marked_excused():
    outcome = classify([], [LeaveInfo("sick", "approved")], now=at(9))
    assert (outcome.status, outcome.excused) == ("upcoming", True)


def test_art6_correction_supplies_missing_sign_out():
    fix = CorrectionInfo(sign_out_at=at(16))
    outcome = classify([inn(14)], correction=fix)
    assert (outcome.status, outcome.credited_minutes) == ("normal", 120)


def test_art6_correction_times_replace_recorded_ones():
    fix = CorrectionInfo(sign_in_at=at(14), sign_out_at=at(16))
    assert classify([inn(14, 40)], correction=fix).status == "normal"


def test_art6_correction_status_wins():
    outcome = classify([inn(14, 40), out(16)], correction=CorrectionInfo(status="normal"))
    # Status only: the recorded times still give the minutes worked.
    assert (outcome.status, outcome.late_minutes, outcome.credited_minutes) == ("normal", 0, 80)
    assert classify([], correction=CorrectionInfo(status="leave")).status == "leave"
    absent = classify([inn(14), out(16)], correction=CorrectionInfo(status="absent"))
    assert (absent.status, absent.credited_minutes) == ("absent", 0)


# --- matching raw events (paper sheets, imports) to duties ------------------------------------

MORNING = Duty(1, DAY, 1, at(8), at(10), "学工办")
NOON = Duty(1, DAY, 2, at(10), at(12), "学工办")
OTHER = Duty(2, DAY, 1, at(8), at(10), "学工办")


def test_art6_match_events_to_the_users_duty_windows():
    events = {
        1: [Event(at(7, 40), "sign_in"), Event(at(10), "sign_out"), Event(at(19), "sign_in")],
        2: [Event(at(8, 3), "sign_in"), Event(at(11, 50), "sign_out")],
    }
    matched, leftovers = match_events([MORNING, OTHER], events, S)
    assert matched[MORNING.key] == [Event(at(7, 40), "sign_in"), Event(at(10), "sign_out")]
    assert matched[OTHER.key] == [Event(at(8, 3), "sign_in"), Event(at(11, 50), "sign_out")]
    assert leftovers == {1: [Event(at(19), "sign_in")]}


def test_art6_sign_in_before_the_window_is_unscheduled():
    matched, leftovers = match_events([MORNING], {1: [Event(at(7, 29), "sign_in")]}, S)
    assert matched == {}
    assert leftovers == {1: [Event(at(7, 29), "sign_in")]}


def test_art6_back_to_back_duties_split_by_nearest_start_and_end():
    events = [
        Event(at(7, 58), "sign_in"),
        Event(at(10), "sign_out"),
        Event(at(10, 1), "sign_in"),
        Event(at(12), "sign_out"),
    ]
    matched, leftovers = match_events([MORNING, NOON], {1: events}, S)
    assert matched[MORNING.key] == events[:2]
    assert matched[NOON.key] == events[2:]
    assert leftovers == {}


# --- unscheduled (extra) duty, 第六条四 "需要加班时，都要服从安排" --------------------------------


def test_art6_extra_duty_credits_the_actual_span():
    (outcome,) = classify_extra(
        [Event(at(18), "sign_in"), Event(at(19, 30), "sign_out")], S, user_id=5
    )
    assert (outcome.status, outcome.credited_minutes, outcome.duty.extra) == ("extra", 90, True)
    assert outcome.duty.key == (5, DAY, None)


def test_art6_extra_sign_in_without_sign_out_is_missed_credit_zero():
    (outcome,) = classify_extra([Event(at(18), "sign_in")], S, user_id=5)
    assert (outcome.status, outcome.credited_minutes) == ("missed_sign_out", 0)
    (now,) = classify_extra([Event(at(18), "sign_in")], S, user_id=5, now=at(19))
    assert now.status == "in_progress"


def test_art6_extra_duplicates_and_two_sessions():
    events = [
        Event(at(18), "sign_in"),
        Event(at(18, 1), "sign_in"),
        Event(at(19), "sign_out"),
        Event(at(19, 5), "sign_out"),
        Event(at(21), "sign_in"),
        Event(at(21, 30), "sign_out"),
    ]
    outcomes = classify_extra(events, S, user_id=5)
    assert [(o.sign_in_at, o.credited_minutes) for o in outcomes] == [(at(18), 65), (at(21), 30)]


def test_art6_extra_accepts_leftovers_by_user():
    leftovers = {
        7: [Event(at(18), "sign_in"), Event(at(19), "sign_out")],
        3: [Event(at(9), "sign_in")],
    }
    outcomes = classify_extra(leftovers, S)
    assert [(o.duty.user_id, o.status) for o in outcomes] == [(3, "missed_sign_out"), (7, "extra")]


def test_art6_orphan_extra_sign_out_is_dropped():
    assert classify_extra([Event(at(18), "sign_out")], S, user_id=5) == []


# --- summary ----------------------------------------------------------------------------------


def _o(status, credited=0, late=0, extra=False):
    duty = Duty(1, DAY, None if extra else 1, at(14), at(16), "", extra)
    return DutyOutcome(duty, status, late, 0, credited, None, None, False, False)


def test_summarize_counts_decided_duties_only():
    summary = summarize(
        [
            _o("normal", 120),
            _o("late", 100, late=20),
            _o("late_early", 60, late=10),
            _o("early", 90),
            _o("absent"),
            _o("leave"),
            _o("missed_sign_out"),
            _o("upcoming"),
            _o("in_progress"),
            _o("extra", 45, extra=True),
            _o("missed_sign_out", extra=True),
        ]
    )
    assert summary.expected == 7
    assert summary.attended == 5
    assert (summary.normal, summary.late, summary.early) == (1, 2, 2)
    assert (summary.absent, summary.leave, summary.missed_sign_out, summary.extra) == (1, 1, 2, 2)
    assert (summary.credited_minutes, summary.late_minutes) == (415, 30)


def test_outcome_is_decided_one_minute_past_the_missed_window():
    end_window = DUTY.end + timedelta(minutes=S.missed_sign_out_minutes)
    assert classify([inn(14)], now=end_window - timedelta(seconds=1)).status == "in_progress"
    assert classify([inn(14)], now=end_window).status == "missed_sign_out"


def test_a_correction_to_missed_sign_out_keeps_the_late():
    """A counselor's 漏签退 on a late duty: the late still counts (SPEC §3, several marks)."""
    from data.policy.classify import counts_late

    duty = DUTY
    events = [Event(duty.start + timedelta(minutes=12), "sign_in")]
    outcome = classify_duty(
        duty,
        events,
        [],
        CorrectionInfo(status="missed_sign_out"),
        PolicySettings(),
        duty.end + timedelta(hours=5),
    )
    assert outcome.status == "missed_sign_out" and outcome.late_minutes == 12
    assert counts_late(outcome)

"""今日值班 states as a pure function of (duty, events, leave, correction, now), via classify_duty."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.policy.classify import classify_duty, classify_extra
from data.policy.settings import PolicySettings
from data.policy.today import board_counts, board_state
from data.policy.types import CorrectionInfo, Duty, Event, LeaveInfo
from data.timeutil import LOCAL_TZ

S = PolicySettings()  # window 30, grace 5, missed sign-out 120 minutes
DAY = date(2026, 11, 24)


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=LOCAL_TZ)


DUTY = Duty(1, DAY, 7, at(14), at(16), "学工办")


def inn(hh, mm=0, ss=0) -> Event:
    return Event(at(hh, mm, ss), "sign_in")


def out(hh, mm=0, ss=0) -> Event:
    return Event(at(hh, mm, ss), "sign_out")


def state(now, events=(), leaves=(), correction=None, settings=S):
    outcome = classify_duty(DUTY, events, leaves, correction, settings, now)
    return board_state(outcome, now, settings)


@pytest.mark.parametrize(
    ("now", "code", "label", "minutes", "red"),
    [
        (at(13, 29, 59), "upcoming", "未开始", 0, False),
        (at(13, 30), "open", "可签到", 0, False),  # start − window: the window is open
        (at(14, 5), "open", "可签到", 0, False),  # start + grace exactly: not yet missing
        (at(14, 5, 1), "no_show", "未到 5 分钟", 5, True),  # a second past: red at once
        (at(14, 6), "no_show", "未到 6 分钟", 6, True),
        (at(15, 59, 59), "no_show", "未到 119 分钟", 119, True),
        (at(16), "absent", "缺勤", 0, True),  # the end: the engine says absent
    ],
)
def test_no_sign_in_over_the_day(now, code, label, minutes, red):
    got = state(now)
    assert (got.code, got.label, got.minutes, got.red) == (code, label, minutes, red)


@pytest.mark.parametrize(
    ("sign_in", "code", "label", "minutes", "red"),
    [
        (inn(13, 40), "signed_in", "已签到", 0, False),
        (inn(14, 5), "signed_in", "已签到", 0, False),  # start + grace exactly is on time
        (inn(14, 6), "signed_in", "迟到 6 分钟", 6, True),  # +1 min: late, red at once
        (inn(14, 31), "signed_in", "迟到 31 分钟", 31, True),
    ],
)
def test_signed_in_on_time_or_late(sign_in, code, label, minutes, red):
    got = state(at(15), [sign_in])
    assert (got.code, got.label, got.minutes, got.red) == (code, label, minutes, red)


def test_signed_in_before_the_start_is_on_time():
    got = state(at(13, 50), [inn(13, 45)])
    assert (got.code, got.label, got.tone) == ("signed_in", "已签到", "success")


@pytest.mark.parametrize(
    ("now", "code", "tone"),
    [
        (at(15, 59), "signed_in", "success"),
        (at(16), "sign_out_due", "warning"),  # the end: sign-out is now due
        (at(17, 59, 59), "sign_out_due", "warning"),
        (at(18), "missed_sign_out", "danger"),  # end + missed window exactly: engine decides
        (at(18, 1), "missed_sign_out", "danger"),
    ],
)
def test_no_sign_out_around_the_missed_window(now, code, tone):
    got = state(now, [inn(13, 58)])
    assert (got.code, got.tone) == (code, tone)


def test_sign_out_due_names_the_deadline_and_keeps_the_late_mark():
    got = state(at(16, 30), [inn(14, 20)])
    assert got.code == "sign_out_due"
    assert "18:00 前须签退" in got.detail and "迟到 20 分钟" in got.detail
    assert got.minutes == 20


def test_late_and_missed_sign_out_keeps_both_marks():
    got = state(at(19), [inn(14, 20)])
    assert (got.code, got.label, got.minutes) == ("missed_sign_out", "漏签退", 20)
    assert "迟到 20 分钟" in got.detail


def test_signed_out_on_time_late_and_early():
    on_time = state(at(16, 1), [inn(13, 58), out(16, 0)])
    assert (on_time.code, on_time.label, on_time.tone, on_time.detail) == (
        "signed_out",
        "已签退",
        "success",
        "准时",
    )
    late = state(at(16, 1), [inn(14, 12), out(16, 0)])
    assert (late.code, late.label, late.red, late.minutes) == (
        "signed_out",
        "已签退 · 迟到 12 分钟",
        True,
        12,
    )
    both = state(at(16, 1), [inn(14, 12), out(15, 30)])
    assert both.detail == "迟到 12 分钟 · 早退 30 分钟" and both.red
    early = state(at(16, 1), [inn(13, 59), out(15, 30)])
    assert (early.label, early.minutes, early.red) == ("已签退 · 早退 30 分钟", 0, True)


def test_leave_before_the_start_and_after_the_end():
    leave = [LeaveInfo("sick", "approved")]
    assert state(at(9), leaves=leave).code == "leave"  # excused before the start too
    assert state(at(14, 30), leaves=leave).code == "leave"
    assert state(at(17), leaves=leave).label == "请假"


def test_after_start_leave_excuses_nothing():
    leave = [LeaveInfo("personal", "approved", after_start=True)]
    got = state(at(14, 30), leaves=leave)
    assert got.code == "no_show" and got.red and "先斩后奏" in got.detail
    phone = [LeaveInfo("phone", "approved", after_start=True)]
    assert state(at(14, 30), leaves=phone).code == "leave"


def test_counselor_correction_shows_as_the_engine_decided():
    forced = CorrectionInfo(status="normal")
    got = state(at(14, 30), correction=forced)
    assert (got.code, got.tone, got.detail) == ("signed_out", "success", "补签")
    absent = state(at(14, 30), [inn(14, 1)], correction=CorrectionInfo(status="absent"))
    assert absent.code == "absent"
    times = CorrectionInfo(sign_in_at=at(14, 0), sign_out_at=at(16, 0))
    assert state(at(16, 5), [inn(14, 40)], correction=times).detail == "准时"


def test_extra_duty_shows_as_overtime():
    open_extra = classify_extra([inn(19)], S, user_id=1, now=at(19, 30))[0]
    got = board_state(open_extra, at(19, 30), S)
    assert (got.code, got.label, got.detail) == ("extra", "加班", "加班中")
    done = classify_extra([inn(19), out(20, 30)], S, user_id=1, now=at(21))[0]
    assert board_state(done, at(21), S).detail == "已签退 · 90 分钟"
    left_open = classify_extra([inn(19)], S, user_id=1, now=at(21, 30))[0]
    assert board_state(left_open, at(21, 30), S).code == "missed_sign_out"


def test_settings_move_the_boundaries():
    strict = S.replace(grace_minutes=0, sign_in_window_minutes=10)
    assert state(at(13, 49), settings=strict).code == "upcoming"
    assert state(at(13, 50), settings=strict).code == "open"
    assert state(at(14, 0, 1), settings=strict).code == "no_show"


def test_counts_for_the_chips():
    moments = at(14, 30)
    outcomes = [
        classify_duty(DUTY, [inn(13, 58)], [], None, S, moments),
        classify_duty(DUTY, [inn(14, 20)], [], None, S, moments),
        classify_duty(DUTY, [], [], None, S, moments),
        classify_duty(DUTY, [], [LeaveInfo("sick", "approved")], None, S, moments),
        *classify_extra([inn(14)], S, user_id=2, now=moments),
    ]
    counts = board_counts((o, board_state(o, moments, S)) for o in outcomes)
    assert (counts.expected, counts.signed_in, counts.late, counts.missing) == (4, 2, 1, 1)
    assert (counts.leave, counts.extra) == (1, 1)

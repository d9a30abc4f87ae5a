"""The reminder triggers over plain values: timing windows, never twice, never on leave or after sign-out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from data.policy import reminders as r
from data.policy.reminders import DigestFacts, DutyFact, LeaveDecision
from data.policy.settings import PolicySettings
from data.timeutil import LOCAL_TZ

DAY = date(2026, 11, 25)  # a Wednesday
START = datetime.combine(DAY, time(8, 0), tzinfo=LOCAL_TZ)
END = datetime.combine(DAY, time(10, 0), tzinfo=LOCAL_TZ)
ON = PolicySettings(notify_shift_start=True, notify_duty_list=True)

duty_facts = st.builds(
    DutyFact,
    user_id=st.integers(1, 5),
    day=st.just(DAY),
    shift_id=st.integers(1, 3),
    start=st.just(START),
    end=st.just(END),
    place=st.just("学工办"),
    signed_in=st.booleans(),
    signed_out=st.booleans(),
    on_leave=st.booleans(),
)
minutes = st.integers(-120, 300)


def at(minute: int) -> datetime:
    return END + timedelta(minutes=minute)


@settings(max_examples=200, deadline=None)
@given(st.lists(duty_facts, max_size=6, unique_by=lambda d: d.ident), minutes)
def test_missed_signout_window_leave_and_sign_out(duties, minute):
    now = at(minute)
    messages = r.missed_signout(duties, now, ON)
    window = ON.missed_sign_out_minutes
    for m in messages:
        d = next(d for d in duties if m.key.endswith(d.ident))
        assert d.signed_in and not d.signed_out and not d.on_leave
        assert ON.notify_missed_signout_after <= minute < window
        assert m.user_id == d.user_id and m.channel_scope == r.PERSON
    assert r.missed_signout(duties, now, ON) == messages  # same inputs, same keys


@settings(max_examples=100, deadline=None)
@given(duty_facts)
def test_missed_signout_at_most_two_keys_over_the_day(duty):
    keys = {m.key for minute in range(-60, 200) for m in r.missed_signout([duty], at(minute), ON)}
    kinds = {k.split(":")[0] for k in keys}
    assert len(keys) == len(kinds) <= 2
    if duty.signed_in and not duty.signed_out and not duty.on_leave:
        assert kinds == {"missed_signout", "missed_signout_last"}
    else:
        assert not keys


def test_missed_signout_times():
    duty = DutyFact(1, DAY, 1, START, END, "学工办", signed_in=True)
    assert r.missed_signout([duty], at(14), ON) == []
    [first] = r.missed_signout([duty], at(15), ON)
    assert first.kind == "missed_signout" and "12:00 前签退" in first.body
    [last] = r.missed_signout([duty], at(105), ON)
    assert last.kind == "missed_signout_last"
    assert r.missed_signout([duty], at(120), ON) == []  # the window closed: 漏签退 now
    assert r.missed_signout([duty], at(30), ON.replace(notify_missed_signout=False)) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(duty_facts, max_size=6, unique_by=lambda d: d.ident), st.integers(-200, 60))
def test_shift_start_only_before_start_and_never_on_leave(duties, minute):
    now = START + timedelta(minutes=minute)
    for m in r.shift_start(duties, now, ON):
        d = next(d for d in duties if m.key.endswith(d.ident))
        assert not d.signed_in and not d.on_leave
        assert -ON.notify_shift_start_before <= minute < 0
    assert r.shift_start(duties, now, PolicySettings()) == []  # off by default


@given(st.dictionaries(st.integers(1, 50), st.integers(0, 6)))
def test_second_late_once_a_semester_at_one_short_of_unqualified(counts):
    messages = r.second_late(counts, 7, PolicySettings())
    assert {m.user_id for m in messages} == {u for u, c in counts.items() if c == 2}
    assert all("再迟到 1 次将评为不合格" in m.body for m in messages)
    assert len({m.key for m in messages}) == len(messages)
    assert r.second_late(counts, 7, PolicySettings()) == messages


def test_digest_at_its_time_about_yesterday_and_not_when_empty():
    facts = DigestFacts(day=DAY, lates=("张三",), leave_waiting=2)
    morning = datetime.combine(DAY + timedelta(days=1), time(7, 59), tzinfo=LOCAL_TZ)
    assert r.digest(1, facts, morning, ON) == []
    [m] = r.digest(1, facts, morning + timedelta(minutes=1), ON)
    assert m.channel_scope == r.COUNSELOR and m.key == f"digest:1:{DAY}"
    assert "迟到 1 人次：张三" in m.body and "待审批请假 2 条" in m.body
    assert r.digest(1, DigestFacts(day=DAY), morning + timedelta(hours=1), ON) == []
    next_day = morning + timedelta(days=1, hours=1)
    assert r.digest(1, facts, next_day, ON) == []  # only on the day after


def test_weekly_summary_on_the_last_teaching_day():
    week = [DAY - timedelta(days=2) + timedelta(days=i) for i in range(5)]  # Mon–Fri
    friday = datetime.combine(week[-1], time(16, 0), tzinfo=LOCAL_TZ)
    messages = r.weekly_summary([3, 1, 3], week, friday, ON)
    assert [m.user_id for m in messages] == [1, 3]
    assert r.weekly_summary([1], week, friday - timedelta(minutes=1), ON) == []
    assert r.weekly_summary([1], week, friday - timedelta(days=1), ON) == []
    # A holiday Friday: Thursday is the last teaching day.
    assert r.weekly_summary([1], week[:-1], friday - timedelta(days=1), ON)


def test_leave_decisions_once_per_request_and_status():
    now = datetime.combine(DAY, time(9), tzinfo=LOCAL_TZ)
    decisions = [
        LeaveDecision(1, 5, DAY, "approved", now - timedelta(hours=1)),
        LeaveDecision(2, 5, DAY, "rejected", now - timedelta(hours=2), "人手不足"),
        LeaveDecision(3, 5, DAY, "approved", now - timedelta(days=4)),  # too old
        LeaveDecision(4, 5, DAY, "pending", now),
    ]
    messages = r.leave_decisions(decisions, now, ON)
    assert [m.key for m in messages] == ["leave_decision:1:approved", "leave_decision:2:rejected"]
    assert "人手不足" in messages[1].body


def test_duty_list_to_the_team_the_evening_before_without_people_on_leave():
    tomorrow = DAY + timedelta(days=1)
    start = datetime.combine(tomorrow, time(8), tzinfo=LOCAL_TZ)
    duties = [
        DutyFact(1, tomorrow, 1, start, start + timedelta(hours=2), "学工办"),
        DutyFact(2, tomorrow, 2, start, start + timedelta(hours=2), "学工办", on_leave=True),
    ]
    names = {1: "张三", 2: "李四"}
    evening = datetime.combine(DAY, time(20), tzinfo=LOCAL_TZ)
    [m] = r.duty_list(9, duties, names, tomorrow, evening, ON)
    assert m.channel_scope == r.TEAM and "张三" in m.body and "李四" not in m.body
    assert r.duty_list(9, duties, names, tomorrow, evening - timedelta(minutes=1), ON) == []
    assert r.duty_list(9, duties, names, tomorrow, evening, PolicySettings()) == []


def test_clock_settings_are_validated():
    import pytest

    from data.policy.settings import SettingsError

    with pytest.raises(SettingsError):
        PolicySettings(notify_digest_at="25:00")
    stored = PolicySettings.from_dict({"notify_digest_at": "8点", "notify_duty_list_at": "21:30"})
    assert stored.notify_digest_at == "08:00" and stored.notify_duty_list_at == "21:30"

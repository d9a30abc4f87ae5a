"""换班申请 rules (data.policy.swaps): who may take an offered duty, and when an offer expires."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from data.policy.swaps import (
    SwapState,
    duty_start,
    effective_state,
    offer_refusal,
    overlaps,
    taker_refusal,
)
from data.policy.types import Duty
from data.timeutil import LOCAL_TZ

DAY = date(2026, 9, 15)
OFFERER, TAKER = 10, 20


def duty(user: int, start: tuple[int, int], end: tuple[int, int], shift: int | None = 1) -> Duty:
    begin = datetime.combine(DAY, time(*start), tzinfo=LOCAL_TZ)
    finish = datetime.combine(DAY, time(*end), tzinfo=LOCAL_TZ)
    return Duty(user, DAY, shift, begin, finish, "学工办")


OFFERED = duty(OFFERER, (8, 0), (10, 0))


def test_a_free_teammate_in_post_may_take_it():
    assert taker_refusal(OFFERED, TAKER, OFFERER, True, []) is None
    # A duty right after (touching ends) is no overlap.
    assert taker_refusal(OFFERED, TAKER, OFFERER, True, [duty(TAKER, (10, 0), (12, 0), 2)]) is None


def test_not_oneself_not_out_of_post_not_on_the_shift_not_overlapping():
    assert taker_refusal(OFFERED, OFFERER, OFFERER, True, []) == "换班双方不能是同一人"
    assert "不在岗" in taker_refusal(OFFERED, TAKER, OFFERER, False, [])
    same_shift = [duty(TAKER, (8, 0), (10, 0), 1)]
    assert taker_refusal(OFFERED, TAKER, OFFERER, True, same_shift) == "替班人本来就在该班次中"
    extra = [duty(TAKER, (9, 30), (11, 0), None)]  # an extra duty or another swap that day
    refusal = taker_refusal(OFFERED, TAKER, OFFERER, True, extra)
    assert refusal == "替班人当天 09:30–11:00 有自己的值班，时间重叠"


@given(st.integers(0, 22 * 60), st.integers(1, 120), st.integers(0, 22 * 60), st.integers(1, 120))
def test_refused_for_overlap_exactly_when_the_times_intersect(a0, alen, b0, blen):
    base = datetime.combine(DAY, time(0), tzinfo=LOCAL_TZ)
    offered = Duty(
        OFFERER, DAY, 1, base + timedelta(minutes=a0), base + timedelta(minutes=a0 + alen), ""
    )
    own = Duty(TAKER, DAY, 2, base + timedelta(minutes=b0), base + timedelta(minutes=b0 + blen), "")
    intersect = a0 < b0 + blen and b0 < a0 + alen
    assert overlaps(offered, own) is intersect
    assert (taker_refusal(offered, TAKER, OFFERER, True, [own]) is not None) is intersect


def test_only_future_weekly_duties_can_be_offered():
    before = OFFERED.start - timedelta(minutes=1)
    assert offer_refusal(OFFERED, before) is None
    assert "已经开始" in offer_refusal(OFFERED, OFFERED.start)
    assert "没有你的这个班次" in offer_refusal(None, before)
    assert "临时任务" in offer_refusal(duty(OFFERER, (8, 0), (10, 0), None), before)


@given(st.sampled_from(list(SwapState)), st.integers(-600, 600))
def test_waiting_offers_expire_at_the_duty_start_and_nothing_else_changes(state, minutes):
    start = duty_start(DAY, time(8, 0))
    now = start + timedelta(minutes=minutes)
    result = effective_state(state, start, now)
    if state in (SwapState.open, SwapState.taken) and minutes >= 0:
        assert result is SwapState.expired
    else:
        assert result is state


def test_duty_start_is_shanghai_wall_clock():
    start = duty_start(DAY, time(8, 0))
    assert start.utcoffset() == timedelta(hours=8) and start.hour == 8

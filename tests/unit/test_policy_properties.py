"""Hypothesis properties of the policy engine (第六条二 签到、第七条三、第九条三)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from data.policy.assessment import AssessmentInput, assess
from data.policy.classify import classify_duty, classify_extra, match_events
from data.policy.settings import PolicySettings
from data.policy.stipend import compute_stipend
from data.policy.types import CorrectionInfo, Duty, Event, LeaveInfo
from data.timeutil import LOCAL_TZ

S = PolicySettings()
DAY = date(2026, 10, 12)
START = datetime(2026, 10, 12, 14, tzinfo=LOCAL_TZ)
DUTY = Duty(1, DAY, 7, START, START + timedelta(hours=2), "学工办")

events_st = st.lists(
    st.builds(
        Event,
        at=st.integers(-180, 480).map(lambda m: START + timedelta(minutes=m)),
        action=st.sampled_from(["sign_in", "sign_out"]),
    ),
    max_size=8,
)
leaves_st = st.lists(
    st.builds(
        LeaveInfo,
        kind=st.sampled_from(["personal", "sick", "official", "exam", "phone"]),
        status=st.sampled_from(["pending", "approved", "rejected", "cancelled"]),
        after_start=st.booleans(),
    ),
    max_size=2,
)
now_st = st.integers(-60, 600).map(lambda m: START + timedelta(minutes=m))
corrections_st = st.one_of(
    st.none(),
    st.builds(
        CorrectionInfo,
        sign_in_at=st.one_of(
            st.none(), st.integers(-30, 150).map(lambda m: START + timedelta(minutes=m))
        ),
        sign_out_at=st.one_of(
            st.none(), st.integers(-30, 300).map(lambda m: START + timedelta(minutes=m))
        ),
        status=st.one_of(
            st.none(), st.sampled_from(["normal", "late", "absent", "missed_sign_out"])
        ),
    ),
)


@given(events_st, leaves_st, corrections_st, now_st)
def test_art6_credited_minutes_never_negative(events, leaves, correction, now):
    outcome = classify_duty(DUTY, events, leaves, correction, S, now)
    assert outcome.credited_minutes >= 0
    assert outcome.credited_minutes <= 120  # nor beyond the shift
    assert outcome.late_minutes >= 0 and outcome.early_minutes >= 0


@given(events_st, leaves_st, now_st, st.randoms(use_true_random=False))
def test_art6_classification_independent_of_event_order(events, leaves, now, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert classify_duty(DUTY, events, leaves, None, S, now) == classify_duty(
        DUTY, shuffled, leaves, None, S, now
    )
    assert classify_extra(events, S, user_id=1) == classify_extra(shuffled, S, user_id=1)
    assert match_events([DUTY], {1: events}, S) == match_events([DUTY], {1: shuffled}, S)


@given(events_st, leaves_st, corrections_st, now_st)
def test_art6_reclassifying_gives_equal_results(events, leaves, correction, now):
    first = classify_duty(DUTY, events, leaves, correction, S, now)
    assert classify_duty(DUTY, events, leaves, correction, S, now) == first
    # Classifying the matched events again (what a re-import does) changes nothing either.
    matched, _ = match_events([DUTY], {1: events}, S)
    again, _ = match_events([DUTY], {1: matched.get(DUTY.key, [])}, S)
    assert again == ({DUTY.key: matched[DUTY.key]} if DUTY.key in matched else {})


@given(events_st)
def test_art6_extra_duty_credit_never_negative(events):
    assert all(o.credited_minutes >= 0 for o in classify_extra(events, S, user_id=1))


score = st.floats(0, 1, allow_nan=False)


@given(
    late=st.integers(3, 20),
    absent=st.integers(0, 5),
    missed=st.integers(0, 5),
    early=st.integers(0, 5),
    compliance=score,
    attended=st.integers(0, 4),
    counselor=st.one_of(st.none(), st.floats(0, 20)),
    peers=st.lists(st.floats(0, 10), max_size=5),
)
def test_art7_three_or_more_lates_is_unqualified_whatever_the_rest(
    late, absent, missed, early, compliance, attended, counselor, peers
):
    inp = AssessmentInput(
        late, absent, missed, early, compliance, 4, attended, 0, counselor, peers, 0, 0
    )
    assert assess(inp, S).grade == "unqualified"


@given(
    compliance=score,
    counselor=st.one_of(st.none(), st.floats(-5, 50)),
    peers=st.lists(st.floats(-5, 50), max_size=5),
    late=st.integers(0, 10),
)
def test_art9_total_stays_within_0_and_100(compliance, counselor, peers, late):
    result = assess(
        AssessmentInput(
            late=late, record_compliance=compliance, counselor_score=counselor, peer_scores=peers
        ),
        S,
    )
    assert 0 <= result.total <= 100
    assert round(result.total, 1) == result.total


@settings(max_examples=200)
@given(
    minutes=st.dictionaries(
        st.sampled_from(["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]),
        st.integers(-100, 10_000),
    ),
    grade=st.sampled_from(["excellent", "qualified", "unqualified"]),
    bonus=st.decimals(0, 1000, places=2),
    rate=st.sampled_from([20, 18.5, 25.125]),
    cap=st.sampled_from([40, 30.5, 0]),
)
def test_art9_stipend_never_exceeds_cap_per_month(minutes, grade, bonus, rate, cap):
    s = S.replace(hourly_rate=rate, monthly_cap_hours=cap)
    result = compute_stipend(minutes, grade, bonus, s)
    factor = Decimal(str(s.grade_factors[grade]))
    per_month = Decimal(str(cap)) * Decimal(str(rate)) * factor
    ceiling = (per_month * len(minutes) + bonus).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert result.amount <= ceiling
    assert all(capped <= Decimal(str(cap)) for _, capped in result.monthly.values())
    assert result.amount >= bonus

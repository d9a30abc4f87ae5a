"""团长选举 counting (data.policy.election): winner, tie, turnout, what may be confirmed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.policy import election as policy
from data.policy.settings import PolicySettings, SettingsError


def test_most_votes_win_with_enough_turnout():
    result = policy.tally({1: 3, 2: 1, 3: 0}, eligible=6, min_turnout=50)
    assert result.outcome == policy.WINNER
    assert result.winner == 1
    assert (result.voted, result.eligible, result.turnout) == (4, 6, 66.7)


def test_turnout_exactly_at_the_minimum_counts():
    # 1 of 2 is 50 %: "at least" the minimum, compared without rounding.
    assert policy.tally({1: 1, 2: 0}, eligible=2, min_turnout=50).outcome == policy.WINNER
    # 1 of 3 is 33.3 % < 34 %; 2 of 3 is 66.7 % ≥ 66 % (not rounded down to fail).
    assert policy.tally({1: 1}, eligible=3, min_turnout=34).outcome == policy.LOW_TURNOUT
    assert policy.tally({1: 2}, eligible=3, min_turnout=66).outcome == policy.WINNER


def test_low_turnout_beats_a_clear_winner():
    result = policy.tally({1: 2, 2: 0}, eligible=10, min_turnout=50)
    assert result.outcome == policy.LOW_TURNOUT
    assert result.winner is None
    with pytest.raises(ValueError, match="投票率不足"):
        policy.confirmable(result, "counselor", 1)


def test_no_votes_and_no_candidates():
    assert policy.tally({1: 0, 2: 0}, eligible=5, min_turnout=0).outcome == policy.NO_VOTES
    assert policy.tally({}, eligible=5, min_turnout=0).outcome == policy.NO_VOTES
    # Nobody eligible any more (all left) still counts those who voted.
    assert policy.tally({1: 1}, eligible=0, min_turnout=100).outcome == policy.WINNER


def test_tie_under_the_counselor_rule_needs_one_of_the_tied():
    result = policy.tally({1: 2, 2: 2, 3: 1}, eligible=5, min_turnout=50)
    assert result.outcome == policy.TIE
    assert result.leaders == (1, 2)
    assert policy.confirmable(result, "counselor", 2) == 2
    with pytest.raises(ValueError, match="并列的候选人"):
        policy.confirmable(result, "counselor", 3)
    with pytest.raises(ValueError, match="并列的候选人"):
        policy.confirmable(result, "counselor", None)


def test_tie_under_the_runoff_rule_cannot_be_confirmed():
    result = policy.tally({1: 2, 2: 2}, eligible=4, min_turnout=50)
    with pytest.raises(ValueError, match="再投一轮"):
        policy.confirmable(result, "runoff", 1)


def test_a_winner_is_confirmed_as_counted():
    result = policy.tally({1: 1, 2: 3}, eligible=4, min_turnout=50)
    assert policy.confirmable(result, "counselor", None) == 2
    assert policy.confirmable(result, "runoff", 2) == 2
    with pytest.raises(ValueError, match="得票最多"):
        policy.confirmable(result, "counselor", 1)


def test_result_round_trips_through_json():
    result = policy.tally({7: 2, 9: 2}, eligible=5, min_turnout=60)
    assert policy.Tally.from_dict(result.to_dict()) == result


def test_settings_bounds_and_tie_rule():
    assert PolicySettings().election_min_turnout == 50
    assert PolicySettings().election_tie_rule == "counselor"
    with pytest.raises(SettingsError):
        PolicySettings(election_min_turnout=101)
    with pytest.raises(SettingsError):
        PolicySettings(election_tie_rule="coin")
    # A stored value out of bounds reads as the default.
    assert PolicySettings.from_dict({"election_min_turnout": -1}).election_min_turnout == 50


@given(
    counts=st.dictionaries(st.integers(1, 50), st.integers(0, 30), max_size=8),
    extra=st.integers(0, 40),
    minimum=st.integers(0, 100),
)
def test_tally_properties(counts, extra, minimum):
    voted = sum(counts.values())
    result = policy.tally(counts, voted + extra, minimum)
    assert result.voted == voted
    assert 0 <= result.turnout <= 100
    if result.outcome in (policy.WINNER, policy.TIE):
        assert voted * 100 >= minimum * (voted + extra)
        assert all(counts[k] == max(counts.values()) for k in result.leaders)
        assert (len(result.leaders) == 1) == (result.outcome == policy.WINNER)
    if result.outcome == policy.WINNER:
        assert all(v < counts[result.winner] for k, v in counts.items() if k != result.winner)

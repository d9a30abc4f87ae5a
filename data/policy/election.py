"""团长选举 (第八条四): counting a closed election, and what the counselor may confirm.

Plain values in, plain values out: the counts per candidate, how many may vote and the settings.
A result stands only when the turnout reaches ``election_min_turnout`` percent; the most votes
win; a tie is settled by ``election_tie_rule``: "counselor" (兼辅 picks one of the tied at
confirmation) or "runoff" (the tied stand again in a new round, nothing can be confirmed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WINNER = "winner"
TIE = "tie"
LOW_TURNOUT = "low_turnout"
NO_VOTES = "no_votes"

OUTCOME_LABELS = {
    WINNER: "产生当选人",
    TIE: "票数并列",
    LOW_TURNOUT: "投票率不足，结果无效",
    NO_VOTES: "无有效票",
}


@dataclass(frozen=True)
class Tally:
    outcome: str  # WINNER, TIE, LOW_TURNOUT or NO_VOTES
    counts: dict[int, int]  # candidate user id → votes
    eligible: int
    voted: int
    turnout: float  # percent, 0–100
    min_turnout: int
    leaders: tuple[int, ...]  # the candidates with the most votes (one unless tied)

    @property
    def winner(self) -> int | None:
        return self.leaders[0] if self.outcome == WINNER else None

    def to_dict(self) -> dict:
        """JSON for ``Election.result`` (counts keyed by user id as text)."""
        return {
            "outcome": self.outcome,
            "counts": {str(k): v for k, v in self.counts.items()},
            "eligible": self.eligible,
            "voted": self.voted,
            "turnout": self.turnout,
            "min_turnout": self.min_turnout,
            "leaders": list(self.leaders),
        }

    @classmethod
    def from_dict(cls, values: Mapping) -> Tally:
        return cls(
            outcome=values["outcome"],
            counts={int(k): int(v) for k, v in values["counts"].items()},
            eligible=int(values["eligible"]),
            voted=int(values["voted"]),
            turnout=float(values["turnout"]),
            min_turnout=int(values["min_turnout"]),
            leaders=tuple(int(x) for x in values["leaders"]),
        )


def turnout_percent(voted: int, eligible: int) -> float:
    """Voted / eligible in percent, one decimal; 0 when nobody may vote."""
    return round(100 * voted / eligible, 1) if eligible > 0 else 0.0


def tally(counts: Mapping[int, int], eligible: int, min_turnout: int) -> Tally:
    """The result of a closed election.

    ``counts`` holds every candidate (0 votes included); ``eligible`` is how many may vote (the
    ones who voted are always among them). The turnout is compared unrounded: 1 of 2 is 50 %.
    """
    counts = {int(k): int(v) for k, v in counts.items()}
    voted = sum(counts.values())
    eligible = max(eligible, voted)
    turnout = turnout_percent(voted, eligible)
    top = max(counts.values(), default=0)
    leaders = tuple(sorted(k for k, v in counts.items() if v == top)) if top > 0 else ()
    if voted == 0:
        outcome = NO_VOTES
    elif voted * 100 < min_turnout * eligible:
        outcome = LOW_TURNOUT
    elif len(leaders) > 1:
        outcome = TIE
    else:
        outcome = WINNER
    return Tally(outcome, counts, eligible, voted, turnout, min_turnout, leaders)


def confirmable(result: Tally, tie_rule: str, chosen: int | None) -> int:
    """The new 团长 the counselor may confirm, or ValueError with the Chinese reason.

    A winner is confirmed as counted (``chosen`` must be empty or the winner); a tie only under
    the "counselor" rule and only for one of the tied.
    """
    if result.outcome == WINNER:
        if chosen not in (None, result.winner):
            raise ValueError("只能确认得票最多的当选人")
        return result.leaders[0]
    if result.outcome == TIE:
        if tie_rule != "counselor":
            raise ValueError("票数并列：按规则须在并列者中再投一轮，不能直接确认")
        if chosen not in result.leaders:
            raise ValueError("票数并列：请在并列的候选人中选择一人")
        return chosen
    raise ValueError(f"本次选举{OUTCOME_LABELS[result.outcome]}，不能确认团长")

"""Phase 6: the 团长选举 that made the demo 团长 (第八条四), early in the previous semester.

A 自愿参选 election with three candidates, counted and confirmed: the counts and the voter roll
only, as the product stores them (nothing pairs a voter with a choice). Draws nothing from the
random stream, so the earlier phases' data do not change.
"""

from __future__ import annotations

from datetime import timedelta

from data.demo.common import BuilderBase, local_at
from data.models import (
    Election,
    ElectionCandidate,
    ElectionMode,
    ElectionState,
    ElectionVoter,
    LeaderTerm,
)
from data.policy import election as policy

STATEMENTS = (
    "愿意负责排班和考勤，做好兼辅老师的助手",
    "熟悉值班流程，会按时整理通讯录",
    "",
)


class ElectionPhase(BuilderBase):
    def past_election(self) -> None:
        start = self.previous.start
        opens, closes = (
            local_at(start + timedelta(days=7), 8),
            local_at(start + timedelta(days=9), 18),
        )
        confirmed_on = start + timedelta(days=10)
        voters = [p.user for p in self.veterans + self.not_rehired]
        winner, second, third = self.leader.user, self.veterans[1].user, self.veterans[2].user
        turnout = [u for i, u in enumerate(voters) if i % 6 != 5]  # five in six voted
        votes = {winner.id: 0, second.id: 0, third.id: 0}
        for index, _user in enumerate(turnout):  # counts only: who chose whom is not kept
            votes[(winner.id, winner.id, second.id, winner.id, third.id)[index % 5]] += 1
        result = policy.tally(votes, len(voters), self.settings.election_min_turnout)
        election = Election(
            team_id=self.team.id,
            semester_id=self.previous.id,
            mode=ElectionMode.standing,
            opens_at=opens,
            closes_at=closes,
            state=ElectionState.confirmed,
            result=result.to_dict(),
            winner_id=winner.id,
            confirmed_from=confirmed_on,
            created_by_id=self.counselor.id,
            created_at=local_at(start + timedelta(days=3), 9),
            closed_at=local_at(confirmed_on, 9),
            confirmed_at=local_at(confirmed_on, 9, 5),
        )
        self.add(election)
        self.session.flush()
        for user, statement in zip((winner, second, third), STATEMENTS, strict=True):
            self.add(
                ElectionCandidate(
                    election_id=election.id,
                    user_id=user.id,
                    statement=statement,
                    votes=votes[user.id],
                )
            )
        for index, user in enumerate(turnout):
            voted_at = opens + timedelta(minutes=37 * index)
            self.add(ElectionVoter(election_id=election.id, user_id=user.id, voted_at=voted_at))
        self.add(
            LeaderTerm(
                team_id=self.team.id,
                user_id=winner.id,
                starts_on=confirmed_on,
                election_id=election.id,
                confirmed_by_id=self.counselor.id,
                applied_at=local_at(confirmed_on, 9, 5),
            )
        )

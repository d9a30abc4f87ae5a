"""团长选举 services: eligibility, one election per team, one secret vote per person (also at
once from two sessions), closing, confirming today or from a later date, the roster's 角色."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from data.db import write_transaction
from data.models import (
    Appointment,
    AuditLog,
    Election,
    ElectionCandidate,
    ElectionState,
    ElectionVoter,
    LeaderTerm,
    Role,
    Semester,
    Stage,
    TeamSettings,
    User,
)
from data.services import Refused, leader_terms
from data.services import election_reads as reads
from data.services import elections as service
from data.timeutil import LOCAL_TZ

pytestmark = pytest.mark.db

NOW = datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)  # a Monday of the fixture's semester
CLOSES = NOW + timedelta(days=2)
AFTER = CLOSES + timedelta(minutes=1)


def person(s, username: str) -> User:
    return s.scalar(select(User).where(User.username == username))


def counselor(s, team) -> User:
    return person(s, team.counselor)


def opened(db, team, mode: str = "all_appointed", opens_at=None, at=NOW) -> int:
    with db.sessionmaker() as s, write_transaction(s):
        election = service.open_election(
            s, counselor(s, team), _semester(s, team), mode, opens_at, CLOSES, at=at
        )
        return election.id


def _semester(s, team) -> Semester:
    return s.get(Semester, team.semester_id)


def cast(db, username: str, election_id: int, candidate: str, at=NOW + timedelta(hours=1)):
    with db.sessionmaker() as s, write_transaction(s):
        election = s.get(Election, election_id)
        service.vote(s, person(s, username), election, person(s, candidate).id, at=at)


def close(db, team, election_id: int):
    with db.sessionmaker() as s, write_transaction(s):
        return service.close(s, counselor(s, team), s.get(Election, election_id), at=AFTER)


def set_rule(db, team, **values):
    with db.session() as s:
        s.merge(TeamSettings(team_id=team.team_id, values=values))


def test_eligible_are_appointed_members_in_post(db, team):
    with db.session() as s:
        semester = _semester(s, team)
        names = {u.username for u in reads.eligible_voters(s, semester, NOW.date())}
        assert names == {team.leader, *team.assistants}
        # On trial is not appointed; ended before the day is out; counselors never vote.
        first = person(s, team.assistants[0])
        row = s.scalar(select(Appointment).where(Appointment.user_id == first.id))
        row.stage = Stage.trial
        second = person(s, team.assistants[1])
        row = s.scalar(select(Appointment).where(Appointment.user_id == second.id))
        row.ended_on = date(2026, 10, 1)
        s.flush()
        names = {u.username for u in reads.eligible_voters(s, semester, NOW.date())}
        assert names == {team.leader, team.assistants[2]}


def test_one_active_election_per_team(db, team):
    first = opened(db, team)
    with pytest.raises(Refused, match="已有一场"):
        opened(db, team)
    with db.sessionmaker() as s, write_transaction(s):
        service.cancel(s, counselor(s, team), s.get(Election, first), "开错了", at=NOW)
    assert opened(db, team) != first


def test_only_the_counselor_opens_and_bad_windows_are_refused(db, team):
    with db.sessionmaker() as s:
        semester = _semester(s, team)
        for username in (team.leader, team.assistants[0], team.leadership):
            with pytest.raises(Refused, match="兼辅"), write_transaction(s):
                service.open_election(
                    s, person(s, username), semester, "all_appointed", None, CLOSES, at=NOW
                )
        with pytest.raises(Refused, match="报名时间"), write_transaction(s):
            service.open_election(s, counselor(s, team), semester, "standing", None, CLOSES, at=NOW)
        with pytest.raises(Refused, match="晚于投票开始"), write_transaction(s):
            service.open_election(
                s, counselor(s, team), semester, "all_appointed", None, NOW, at=NOW
            )
        assert s.scalar(select(func.count()).select_from(Election)) == 0


def test_all_appointed_candidates_and_one_vote_each(db, team):
    election_id = opened(db, team)
    with db.session() as s:
        candidates = s.scalars(
            select(ElectionCandidate.user_id).where(ElectionCandidate.election_id == election_id)
        ).all()
        assert len(candidates) == 4
    cast(db, team.assistants[0], election_id, team.assistants[1])
    with pytest.raises(Refused, match="已投过票"):
        cast(db, team.assistants[0], election_id, team.assistants[2])
    with db.session() as s:
        votes = s.scalar(select(func.sum(ElectionCandidate.votes)))
        assert votes == 1
        assert s.scalar(select(func.count()).select_from(ElectionVoter)) == 1
        # The audit says a vote was cast, not for whom.
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "election.vote"))
        assert entry.actor_id == person(s, team.assistants[0]).id
        assert entry.after == {} and entry.before is None


def test_no_table_pairs_a_voter_with_a_candidate():
    """By construction: only the roll has a voter, and it has no candidate column."""
    assert {c.name for c in ElectionVoter.__table__.columns} == {
        "id",
        "election_id",
        "user_id",
        "voted_at",
    }
    assert "voter" not in " ".join(c.name for c in ElectionCandidate.__table__.columns)


def test_voting_window_and_eligibility(db, team):
    election_id = opened(db, team, opens_at=NOW + timedelta(hours=2))
    with pytest.raises(Refused, match="尚未开始"):
        cast(db, team.assistants[0], election_id, team.leader, at=NOW + timedelta(hours=1))
    with pytest.raises(Refused, match="已截止"):
        cast(db, team.assistants[0], election_id, team.leader, at=AFTER)
    with pytest.raises(Refused, match="聘任的助管"):
        cast(db, team.counselor, election_id, team.leader, at=NOW + timedelta(hours=3))
    with pytest.raises(Refused, match="候选人中"):
        cast(db, team.assistants[0], election_id, team.counselor, at=NOW + timedelta(hours=3))


def test_second_vote_at_once_from_two_sessions_writes_one(db, team):
    election_id = opened(db, team)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def voter(choice: str) -> None:
        with db.sessionmaker() as s:
            barrier.wait()
            try:
                with write_transaction(s):
                    election = s.get(Election, election_id)
                    voter = person(s, team.assistants[0])
                    service.vote(
                        s, voter, election, person(s, choice).id, at=NOW + timedelta(hours=1)
                    )
                outcomes.append("voted")
            except Refused as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=voter, args=(c,)) for c in (team.leader, team.assistants[2])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["voted", service.ALREADY_VOTED]
    with db.session() as s:
        assert s.scalar(select(func.sum(ElectionCandidate.votes))) == 1
        assert s.scalar(select(func.count()).select_from(ElectionVoter)) == 1


def test_standing_before_voting_only(db, team):
    election_id = opened(db, team, mode="standing", opens_at=NOW + timedelta(days=1))
    with db.sessionmaker() as s, write_transaction(s):
        election = s.get(Election, election_id)
        service.stand(s, person(s, team.assistants[0]), election, "愿为大家服务", at=NOW)
        service.stand(s, person(s, team.assistants[1]), election, "", at=NOW)
    with db.sessionmaker() as s:
        election = s.get(Election, election_id)
        with pytest.raises(Refused, match="已经报名"), write_transaction(s):
            service.stand(s, person(s, team.assistants[0]), election, "", at=NOW)
        with pytest.raises(Refused, match="聘任的助管"), write_transaction(s):
            service.stand(s, person(s, team.counselor), election, "", at=NOW)
        with write_transaction(s):
            service.withdraw(s, person(s, team.assistants[1]), election, at=NOW)
        with pytest.raises(Refused, match="报名已截止"), write_transaction(s):
            service.stand(s, person(s, team.leader), election, "", at=NOW + timedelta(days=1))
    cast(db, team.leader, election_id, team.assistants[0], at=NOW + timedelta(days=1, hours=1))
    with pytest.raises(Refused, match="候选人中"):
        cast(db, team.assistants[2], election_id, team.assistants[1], at=NOW + timedelta(days=1))


def test_close_counts_after_the_deadline_only(db, team):
    election_id = opened(db, team)
    for voter in (team.leader, team.assistants[0], team.assistants[1]):
        cast(db, voter, election_id, team.assistants[2])
    with db.sessionmaker() as s, pytest.raises(Refused, match="尚未截止"), write_transaction(s):
        service.close(s, counselor(s, team), s.get(Election, election_id), at=NOW)
    result = close(db, team, election_id)
    assert (result.outcome, result.voted, result.eligible, result.turnout) == ("winner", 3, 4, 75.0)
    with db.session() as s:
        assert s.get(Election, election_id).state is ElectionState.closed


def test_low_turnout_cannot_be_confirmed(db, team):
    set_rule(db, team, election_min_turnout=60)
    election_id = opened(db, team)
    for voter in (team.leader, team.assistants[0]):
        cast(db, voter, election_id, team.assistants[2])
    assert close(db, team, election_id).outcome == "low_turnout"  # 2 of 4 = 50 % < 60 %
    with db.sessionmaker() as s, pytest.raises(Refused, match="投票率不足"), write_transaction(s):
        service.confirm(
            s, counselor(s, team), s.get(Election, election_id), AFTER.date(), None, at=AFTER
        )


def test_tie_decided_by_the_counselor(db, team):
    election_id = opened(db, team)
    cast(db, team.leader, election_id, team.assistants[0])
    cast(db, team.assistants[1], election_id, team.assistants[2])
    assert close(db, team, election_id).outcome == "tie"
    with db.sessionmaker() as s:
        election = s.get(Election, election_id)
        with pytest.raises(Refused, match="并列的候选人"), write_transaction(s):
            service.confirm(s, counselor(s, team), election, AFTER.date(), None, at=AFTER)
        chosen = person(s, team.assistants[2]).id
        with write_transaction(s):
            service.confirm(s, counselor(s, team), election, AFTER.date(), chosen, at=AFTER)
        assert person(s, team.assistants[2]).role is Role.leader
        assert person(s, team.leader).role is Role.assistant


def test_tie_under_the_runoff_rule_opens_a_second_round(db, team):
    set_rule(db, team, election_tie_rule="runoff")
    election_id = opened(db, team)
    cast(db, team.leader, election_id, team.assistants[0])
    cast(db, team.assistants[1], election_id, team.assistants[2])
    close(db, team, election_id)
    with db.sessionmaker() as s:
        first = s.get(Election, election_id)
        with pytest.raises(Refused, match="再投一轮"), write_transaction(s):
            service.confirm(s, counselor(s, team), first, AFTER.date(), None, at=AFTER)
        with write_transaction(s):
            second = service.open_runoff(
                s, counselor(s, team), first, AFTER + timedelta(days=1), at=AFTER
            )
        assert sorted(c.user.username for c in second.candidates) == sorted(
            [team.assistants[0], team.assistants[2]]
        )
        assert s.get(Election, election_id).state is ElectionState.cancelled


def test_confirm_today_changes_roles_at_once_and_audits(db, team):
    election_id = opened(db, team)
    for voter in (team.leader, team.assistants[0], team.assistants[1]):
        cast(db, voter, election_id, team.assistants[0])
    close(db, team, election_id)
    with db.sessionmaker() as s, write_transaction(s):
        service.confirm(
            s, counselor(s, team), s.get(Election, election_id), AFTER.date(), None, at=AFTER
        )
    with db.session() as s:
        assert person(s, team.assistants[0]).role is Role.leader
        assert person(s, team.leader).role is Role.assistant
        assert reads.active_election(s, team.team_id) is None
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "election.confirm"))
        assert entry.before["团长"] == ["李团长"] and entry.after["团长"] == ["张三"]
        roles = s.scalars(select(AuditLog).where(AuditLog.action == "user.role")).all()
        assert {(e.before["role"], e.after["role"]) for e in roles} == {
            ("leader", "assistant"),
            ("assistant", "leader"),
        }
        assert s.scalar(select(LeaderTerm)).applied_at is not None


def test_confirm_from_a_later_date_applies_on_that_day(db, team):
    election_id = opened(db, team)
    for voter in (team.leader, team.assistants[0], team.assistants[1]):
        cast(db, voter, election_id, team.assistants[1])
    close(db, team, election_id)
    start = date(2026, 10, 20)
    with db.sessionmaker() as s:
        election = s.get(Election, election_id)
        with pytest.raises(Refused, match="不能早于今天"), write_transaction(s):
            service.confirm(s, counselor(s, team), election, date(2026, 10, 1), None, at=AFTER)
        with write_transaction(s):
            service.confirm(s, counselor(s, team), election, start, None, at=AFTER)
    with db.sessionmaker() as s:
        assert person(s, team.leader).role is Role.leader  # not yet
        assert not leader_terms.due(s, team.team_id, start - timedelta(days=1))
        assert leader_terms.apply_due(s, team.team_id, start - timedelta(days=1), at=AFTER) == []
        assert leader_terms.due(s, team.team_id, start)
        with write_transaction(s):
            lines = leader_terms.apply_due(s, None, start, at=AFTER)
        assert len(lines) == 2
        assert person(s, team.assistants[1]).role is Role.leader
        assert person(s, team.leader).role is Role.assistant
        assert not leader_terms.due(s, None, start + timedelta(days=5))


def test_cancelled_or_confirmed_elections_take_no_votes(db, team):
    election_id = opened(db, team)
    with db.sessionmaker() as s, write_transaction(s):
        service.cancel(s, counselor(s, team), s.get(Election, election_id), "", at=NOW)
    with pytest.raises(Refused, match="没有进行中"):
        cast(db, team.assistants[0], election_id, team.leader)
    with db.session() as s:
        assert inspect(s.get(Election, election_id)).persistent


def test_the_unique_roll_refuses_a_second_vote_even_without_the_check(db, team, monkeypatch):
    """Two requests can both pass the "already voted?" read (PostgreSQL, READ COMMITTED): the
    roll's unique key is what refuses the second, and its count is rolled back with it."""
    election_id = opened(db, team)
    cast(db, team.assistants[0], election_id, team.leader)
    monkeypatch.setattr(service, "voted_at", lambda *args: None)
    with pytest.raises(Refused, match="已投过票"):
        cast(db, team.assistants[0], election_id, team.assistants[1])
    with db.session() as s:
        counts = dict(s.execute(select(ElectionCandidate.user_id, ElectionCandidate.votes)).all())
        assert sum(counts.values()) == 1
        assert counts[person(s, team.leader).id] == 1


def test_roster_reimport_keeps_the_elected_leader(db, team, session, tmp_path):
    from data.importers import import_roster
    from tests.unit.test_importers import ROSTER_COLUMNS, roster_row, team_of, write_table

    election_id = opened(db, team)
    for voter in (team.leader, team.assistants[0], team.assistants[1]):
        cast(db, voter, election_id, team.assistants[0])
    close(db, team, election_id)
    with db.sessionmaker() as s, write_transaction(s):
        service.confirm(
            s, counselor(s, team), s.get(Election, election_id), AFTER.date(), None, at=AFTER
        )
    rows = [
        list(ROSTER_COLUMNS),
        roster_row(team.leader, "李团长", 角色="团长"),  # the old sheet still says 团长
        roster_row(team.assistants[0], "张三", 角色="助管"),
    ]
    import_roster(session, write_table(tmp_path / "r", rows), team=team_of(session, team))
    session.commit()
    assert person(session, team.leader).role is Role.assistant
    assert person(session, team.assistants[0]).role is Role.leader

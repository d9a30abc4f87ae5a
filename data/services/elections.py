"""团长选举 (第八条四 "团长由团内选举产生"), the write side.

The counselor opens an election for a semester with a voting window (``opens_at`` →
``closes_at``). In the 自愿参选 mode eligible assistants stand (and may withdraw) until voting
starts, so every voter sees the same list; in the 全体聘任 mode every eligible assistant is a
candidate from the start. Each eligible assistant votes once, secretly: the vote adds one to the
candidate's count and writes the voter's roll row in one transaction, and nothing records the
pair (the audit entry says a vote was cast, never for whom). After ``closes_at`` the counselor
closes (counts are shown from then on, never while voting runs, so nobody can match a count's
change to a voter's time on the roll), then confirms the winner from a date, which makes them
团长 and the previous 团长 an assistant on that day (``data.services.leader_terms``).
One election at a time per team: ``Election.active_team_id`` is unique.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.attendance import team_settings
from data.inputs import clean_text
from data.models import (
    Election,
    ElectionCandidate,
    ElectionMode,
    ElectionState,
    ElectionVoter,
    LeaderTerm,
    Role,
    Semester,
    User,
)
from data.policy import election as policy
from data.services import Refused, audit, leader_terms
from data.services.election_reads import (
    ACTIVE,
    active_election,
    eligible_count,
    eligible_voters,
    is_eligible,
    phase,
    voted_at,
)
from data.timeutil import local_today, to_local

STATEMENT_MAX = 200
ALREADY_VOTED = "你已投过票，每人只能投一次。"


def _counselor_of(actor: User, team_id: int) -> None:
    if actor.role is not Role.counselor or actor.team_id != team_id:
        raise Refused("只有本团队的兼辅可以管理团长选举")


def _when(moment: datetime) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def open_election(
    session: Session,
    actor: User,
    semester: Semester | None,
    mode: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    *,
    at: datetime,
    ip: str = "",
) -> Election:
    """A new election; ``opens_at`` None means voting starts now (not for 自愿参选)."""
    if semester is None:
        raise Refused("请选择学期")
    _counselor_of(actor, semester.team_id)
    if mode not in (ElectionMode.standing.value, ElectionMode.all_appointed.value):
        raise Refused("请选择候选方式：自愿参选或全体聘任助管")
    today = local_today(at)
    if semester.end < today:
        raise Refused(f"{semester.name}已经结束，不能再为它组织选举")
    if closes_at is None:
        raise Refused("请填写投票截止时间（年-月-日 时:分）")
    election_mode = ElectionMode(mode)
    if opens_at is None:
        if election_mode is ElectionMode.standing:
            raise Refused("自愿参选须留出报名时间：请填写晚于现在的投票开始时间")
        opens_at = at
    if election_mode is ElectionMode.standing and opens_at <= at:
        raise Refused("自愿参选须留出报名时间：投票开始时间应晚于现在")
    opens_at = max(opens_at, at)
    if closes_at <= opens_at:
        raise Refused("投票截止时间应晚于投票开始时间")
    voters = eligible_voters(session, semester, today)
    if not voters:
        raise Refused(f"{semester.name}还没有聘任的助管，无法选举")
    candidates = voters if election_mode is ElectionMode.all_appointed else []
    return _create(session, actor, semester, election_mode, opens_at, closes_at, candidates, at, ip)


def open_runoff(
    session: Session,
    actor: User,
    previous: Election,
    closes_at: datetime | None,
    *,
    at: datetime,
    ip: str = "",
) -> Election:
    """A second round among the tied candidates of ``previous`` (which is then set aside)."""
    _counselor_of(actor, previous.team_id)
    result = policy.Tally.from_dict(previous.result) if previous.result else None
    if previous.state is not ElectionState.closed or result is None or result.outcome != policy.TIE:
        raise Refused("只有计票后票数并列的选举可以再投一轮")
    if closes_at is None or closes_at <= at:
        raise Refused("请填写晚于现在的投票截止时间（年-月-日 时:分）")
    semester = session.get(Semester, previous.semester_id)
    tied = [session.get(User, user_id) for user_id in result.leaders]
    previous.state = ElectionState.cancelled
    previous.active_team_id = None
    previous.note = "票数并列，已另开第二轮投票"
    session.flush()  # frees the team's one active slot before the new round takes it
    audit(
        session,
        actor,
        "election.cancel",
        "election",
        previous.id,
        {"state": ElectionState.closed},
        {"state": ElectionState.cancelled, "note": previous.note},
        at=at,
        ip=ip,
    )
    election = _create(
        session, actor, semester, ElectionMode.runoff, at, closes_at, tied, at, ip, previous.id
    )
    return election


def _create(
    session: Session,
    actor: User,
    semester: Semester,
    mode: ElectionMode,
    opens_at: datetime,
    closes_at: datetime,
    candidates: list[User],
    at: datetime,
    ip: str,
    runoff_of: int | None = None,
) -> Election:
    if active_election(session, semester.team_id) is not None:
        raise Refused("团队已有一场进行中（或待确认）的选举，请先确认或取消它")
    election = Election(
        team_id=semester.team_id,
        semester_id=semester.id,
        mode=mode,
        opens_at=opens_at,
        closes_at=closes_at,
        state=ElectionState.open,
        active_team_id=semester.team_id,
        runoff_of_id=runoff_of,
        created_by_id=actor.id,
        created_at=at,
    )
    election.candidates = [ElectionCandidate(user_id=u.id) for u in candidates]
    session.add(election)
    try:
        session.flush()
    except IntegrityError:  # a concurrent open took the slot first
        raise Refused("团队已有一场进行中（或待确认）的选举，请先确认或取消它") from None
    after = {
        "semester": semester.name,
        "mode": mode,
        "opens_at": _when(opens_at),
        "closes_at": _when(closes_at),
        "candidates": len(candidates),
    }
    audit(session, actor, "election.open", "election", election.id, None, after, at=at, ip=ip)
    return election


def _ensure_standing_open(session: Session, actor: User, election: Election, at: datetime) -> None:
    if election.team_id != actor.team_id or election.state not in ACTIVE:
        raise Refused("没有可以报名的选举")
    if election.mode is not ElectionMode.standing:
        raise Refused("本次选举全体聘任助管均为候选人，无需报名")
    if phase(election, at) != "standing":
        raise Refused("报名已截止：投票开始后候选人名单不再变化")
    semester = session.get(Semester, election.semester_id)
    if not is_eligible(session, semester, actor, local_today(at)):
        raise Refused("只有本学期聘任的助管可以参选")


def stand(
    session: Session, actor: User, election: Election, statement: str, *, at: datetime, ip: str = ""
) -> ElectionCandidate:
    """The actor stands as a candidate (自愿参选, before voting starts)."""
    _ensure_standing_open(session, actor, election, at)
    if any(c.user_id == actor.id for c in election.candidates):
        raise Refused("你已经报名参选")
    candidate = ElectionCandidate(user_id=actor.id, statement=clean_text(statement, STATEMENT_MAX))
    election.candidates.append(candidate)
    session.flush()
    after = {"statement": candidate.statement}
    audit(session, actor, "election.stand", "election", election.id, None, after, at=at, ip=ip)
    return candidate


def withdraw(
    session: Session, actor: User, election: Election, *, at: datetime, ip: str = ""
) -> Election:
    """The actor withdraws their candidacy (before voting starts)."""
    _ensure_standing_open(session, actor, election, at)
    mine = next((c for c in election.candidates if c.user_id == actor.id), None)
    if mine is None:
        raise Refused("你没有报名参选")
    election.candidates.remove(mine)
    audit(session, actor, "election.withdraw", "election", election.id, None, {}, at=at, ip=ip)
    return election


def vote(
    session: Session,
    actor: User,
    election: Election,
    candidate_user_id: int | None,
    *,
    at: datetime,
    ip: str = "",
) -> ElectionVoter:
    """One secret vote; returns the roll row (who and when, never the choice).

    The roll row goes in first: its unique key refuses a second (also a concurrent) vote, and
    the whole transaction, count included, rolls back with the refusal."""
    if election.team_id != actor.team_id or election.state not in ACTIVE:
        raise Refused("没有进行中的选举")
    now_phase = phase(election, at)
    if now_phase in ("standing", "waiting"):
        raise Refused(f"投票尚未开始（{_when(election.opens_at)} 开始）")
    if now_phase != "voting":
        raise Refused("投票已截止")
    semester = session.get(Semester, election.semester_id)
    if not is_eligible(session, semester, actor, local_today(at)):
        raise Refused("只有本学期聘任的助管可以投票")
    if voted_at(session, election, actor.id) is not None:
        raise Refused(ALREADY_VOTED)
    candidate = next((c for c in election.candidates if c.user_id == candidate_user_id), None)
    if candidate is None:
        raise Refused("请在候选人中选择一人")
    roll = ElectionVoter(election_id=election.id, user_id=actor.id, voted_at=at)
    session.add(roll)
    try:
        session.flush()
    except IntegrityError:
        raise Refused(ALREADY_VOTED) from None
    # An UPDATE … SET votes = votes + 1: atomic, and no per-vote row is ever written.
    session.execute(
        update(ElectionCandidate)
        .where(ElectionCandidate.id == candidate.id)
        .values(votes=ElectionCandidate.votes + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(candidate, ["votes"])
    # The audit says that a vote was cast, never its content.
    audit(session, actor, "election.vote", "election", election.id, None, {}, at=at, ip=ip)
    return roll


def close(
    session: Session, actor: User, election: Election, *, at: datetime, ip: str = ""
) -> policy.Tally:
    """Count a finished election (after ``closes_at``); the counts are shown from now on."""
    _counselor_of(actor, election.team_id)
    if election.state is not ElectionState.open:
        raise Refused("这场选举已经计票")
    if at < election.closes_at:
        raise Refused(f"投票尚未截止（{_when(election.closes_at)} 截止）；如需中止请取消选举")
    settings = team_settings(session, election.team_id)
    query = select(ElectionCandidate.user_id, ElectionCandidate.votes).where(
        ElectionCandidate.election_id == election.id
    )
    counts = {user_id: votes for user_id, votes in session.execute(query)}
    result = policy.tally(
        counts, eligible_count(session, election, local_today(at)), settings.election_min_turnout
    )
    election.state = ElectionState.closed
    election.closed_at = at
    election.result = result.to_dict()
    names = {c.user_id: f"{c.user.name}（{c.user.username}）" for c in election.candidates}
    after = {
        "state": election.state,
        "outcome": policy.OUTCOME_LABELS[result.outcome],
        "votes": {names[user_id]: votes for user_id, votes in counts.items()},
        "voted": result.voted,
        "eligible": result.eligible,
        "turnout": result.turnout,
    }
    audit(session, actor, "election.close", "election", election.id, None, after, at=at, ip=ip)
    return result


def confirm(
    session: Session,
    actor: User,
    election: Election,
    from_day: date | None,
    chosen: int | None,
    *,
    at: datetime,
    ip: str = "",
) -> LeaderTerm:
    """Confirm the counted result: the winner is 团长 from ``from_day`` (today or later)."""
    _counselor_of(actor, election.team_id)
    if election.state is not ElectionState.closed or not election.result:
        raise Refused("只能确认已计票的选举")
    today = local_today(at)
    if from_day is None:
        raise Refused("请填写生效日期（年-月-日）")
    if from_day < today:
        raise Refused("生效日期不能早于今天：角色变更不追溯")
    settings = team_settings(session, election.team_id)
    try:
        winner_id = policy.confirmable(
            policy.Tally.from_dict(election.result), settings.election_tie_rule, chosen
        )
    except ValueError as exc:
        raise Refused(str(exc)) from None
    winner = session.get(User, winner_id)
    if winner is None or not winner.active or winner.role not in (Role.assistant, Role.leader):
        raise Refused("当选人账号已停用或不是助管，不能任命为团长")
    query = select(User.name).where(User.team_id == election.team_id, User.role == Role.leader)
    leaders = list(session.scalars(query))
    election.state = ElectionState.confirmed
    election.active_team_id = None
    election.winner_id = winner.id
    election.confirmed_from = from_day
    election.confirmed_at = at
    term = LeaderTerm(
        team_id=election.team_id,
        user_id=winner.id,
        starts_on=from_day,
        election_id=election.id,
        confirmed_by_id=actor.id,
    )
    session.add(term)
    session.flush()
    before = {"团长": leaders, "当选人角色": winner.role.label}
    after = {
        "state": election.state,
        "winner": f"{winner.name}（{winner.username}）",
        "from": from_day,
        "团长": [winner.name],
        "tie_decided": election.result.get("outcome") == policy.TIE,
    }
    audit(session, actor, "election.confirm", "election", election.id, before, after, at=at, ip=ip)
    if from_day <= today:
        leader_terms.apply_due(session, election.team_id, today, at=at)
    return term


def cancel(
    session: Session, actor: User, election: Election, reason: str, *, at: datetime, ip: str = ""
) -> Election:
    """Call off an open or unconfirmed election (the counts, if any, stay recorded)."""
    _counselor_of(actor, election.team_id)
    if election.state not in ACTIVE:
        raise Refused("这场选举已经确认或取消")
    before = {"state": election.state}
    election.state = ElectionState.cancelled
    election.active_team_id = None
    election.note = clean_text(reason, 200)
    after = {"state": election.state, "note": election.note}
    audit(session, actor, "election.cancel", "election", election.id, before, after, at=at, ip=ip)
    return election

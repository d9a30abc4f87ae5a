"""团长选举, the reading side: who may vote, the team's election now, and the /me card.

Who may vote (and stand, and is a candidate in the 全体聘任 mode): the team's active assistants
and 团长 whose appointment for the election's semester is at stage 聘任 (appointed, not on
trial) and has not ended before the day. Nothing here ever reads who voted for whom: that is
stored nowhere (``data.models.election``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.models import (
    Appointment,
    Election,
    ElectionCandidate,
    ElectionMode,
    ElectionState,
    ElectionVoter,
    LeaderTerm,
    Role,
    Semester,
    Stage,
    User,
)
from data.services import leader_terms
from data.timeutil import local_today

VOTERS = (Role.assistant, Role.leader)
ACTIVE = (ElectionState.open, ElectionState.closed)
MODE_LABELS = {
    ElectionMode.standing: "自愿参选",
    ElectionMode.all_appointed: "全体聘任助管均为候选人",
    ElectionMode.runoff: "并列者再投一轮",
}
STATE_LABELS = {
    ElectionState.open: "进行中",
    ElectionState.closed: "已计票，待确认",
    ElectionState.confirmed: "已确认",
    ElectionState.cancelled: "已取消",
}
RESULT_SHOWN_DAYS = 30  # /me shows a confirmed result this long after its start date


def eligible_voters(session: Session, semester: Semester, day: date) -> list[User]:
    """The team's appointed assistants (and 团长) in post on ``day``, by 学号."""
    query = (
        select(User)
        .join(Appointment, Appointment.user_id == User.id)
        .where(
            Appointment.semester_id == semester.id,
            Appointment.stage == Stage.appointed,
            or_(Appointment.ended_on.is_(None), Appointment.ended_on >= day),
            User.team_id == semester.team_id,
            User.active.is_(True),
            User.role.in_(VOTERS),
        )
        .order_by(User.username)
    )
    return list(session.scalars(query))


def is_eligible(session: Session, semester: Semester, user: User, day: date) -> bool:
    return any(u.id == user.id for u in eligible_voters(session, semester, day))


def active_election(session: Session, team_id: int | None) -> Election | None:
    """The team's election that is open or counted but not yet confirmed (at most one)."""
    if team_id is None:
        return None
    return session.scalar(
        select(Election).where(Election.team_id == team_id, Election.state.in_(ACTIVE))
    )


def team_elections(session: Session, team_id: int) -> list[Election]:
    """Every election of the team, newest first."""
    query = select(Election).where(Election.team_id == team_id).order_by(Election.id.desc())
    return list(session.scalars(query))


def voted_count(session: Session, election: Election) -> int:
    query = select(func.count()).where(ElectionVoter.election_id == election.id)
    return session.scalar(query) or 0


def voted_at(session: Session, election: Election, user_id: int) -> datetime | None:
    """When ``user_id`` voted in ``election`` (None: not yet); never what they chose."""
    return session.scalar(
        select(ElectionVoter.voted_at).where(
            ElectionVoter.election_id == election.id, ElectionVoter.user_id == user_id
        )
    )


def eligible_count(session: Session, election: Election, day: date) -> int:
    """How many may vote: those eligible on ``day`` and everyone who already voted (a voter
    who left since was eligible when voting, so the turnout never exceeds 100 %)."""
    semester = session.get(Semester, election.semester_id)
    now_eligible = {u.id for u in eligible_voters(session, semester, day)}
    voters = set(
        session.scalars(
            select(ElectionVoter.user_id).where(ElectionVoter.election_id == election.id)
        )
    )
    return len(now_eligible | voters)


def phase(election: Election, moment: datetime) -> str:
    """standing (before voting, 自愿参选 only), waiting, voting, counting, or the final state."""
    if election.state is not ElectionState.open:
        return election.state.value
    if moment < election.opens_at:
        return "standing" if election.mode is ElectionMode.standing else "waiting"
    if moment < election.closes_at:
        return "voting"
    return "counting"


def pending_terms(session: Session, team_id: int) -> list[LeaderTerm]:
    """Confirmed 团长 terms whose start date has not been applied yet."""
    query = (
        select(LeaderTerm)
        .where(LeaderTerm.team_id == team_id, LeaderTerm.applied_at.is_(None))
        .order_by(LeaderTerm.starts_on)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Card:
    """What /me shows one person about the team's election."""

    election: Election
    phase: str
    eligible: bool
    candidates: list[ElectionCandidate] = field(default_factory=list)
    standing: ElectionCandidate | None = None  # the person's own candidacy
    voted_at: datetime | None = None
    winner: User | None = None  # a confirmed result


def card_now(session: Session, user: User, moment: datetime) -> Card | None:
    """The /me card, after applying a 团长 term that starts today (roles as of now)."""
    leader_terms.catch_up(session, user.team_id, moment)
    return card(session, user, moment)


def card(session: Session, user: User, moment: datetime) -> Card | None:
    """The /me card: the active election, else a recently confirmed one; None when neither."""
    if user.role not in VOTERS:
        return None
    today = local_today(moment)
    election = active_election(session, user.team_id)
    if election is not None:
        semester = session.get(Semester, election.semester_id)
        mine = next((c for c in election.candidates if c.user_id == user.id), None)
        return Card(
            election=election,
            phase=phase(election, moment),
            eligible=is_eligible(session, semester, user, today),
            candidates=list(election.candidates),
            standing=mine,
            voted_at=voted_at(session, election, user.id),
        )
    latest = session.scalar(
        select(Election)
        .where(Election.team_id == user.team_id, Election.state == ElectionState.confirmed)
        .order_by(Election.id.desc())
        .limit(1)
    )
    if latest is None or latest.confirmed_from is None:
        return None
    if (today - latest.confirmed_from).days > RESULT_SHOWN_DAYS:
        return None
    return Card(
        election=latest,
        phase=latest.state.value,
        eligible=False,
        voted_at=voted_at(session, latest, user.id),
        winner=session.get(User, latest.winner_id) if latest.winner_id else None,
    )

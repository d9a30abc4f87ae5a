"""团长选举 (第八条四 "团长由团内选举产生"): elections, candidates, the voter roll, leader terms.

Secrecy by construction: no row anywhere links a voter to a choice. A vote adds one to its
candidate's ``votes`` and inserts the voter's roll row, in one transaction; there is no ballot
row, so there is nothing to join, order by insertion or compare by time. The roll's unique key
(election, user) makes a second vote, also a concurrent one, fail and roll back its count.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base
from data.models.people import User
from data.timeutil import utcnow


class ElectionMode(enum.StrEnum):
    standing = "standing"  # 自愿参选: assistants stand before voting starts
    all_appointed = "all_appointed"  # 全体聘任助管均为候选人
    runoff = "runoff"  # 并列者再投一轮 (the tied candidates of an earlier election)


class ElectionState(enum.StrEnum):
    open = "open"  # standing and voting (by opens_at/closes_at)
    closed = "closed"  # counted, waiting for the counselor's confirmation
    confirmed = "confirmed"
    cancelled = "cancelled"


class Election(Base):
    __tablename__ = "election"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(ForeignKey("semester.id", ondelete="CASCADE"))
    mode: Mapped[ElectionMode]
    opens_at: Mapped[datetime]  # voting starts (standing is possible until then)
    closes_at: Mapped[datetime]  # voting ends
    state: Mapped[ElectionState] = mapped_column(default=ElectionState.open)
    # The team's id while the election is open or closed-but-unconfirmed, else NULL: the unique
    # key makes "one election at a time per team" hold under concurrency (NULLs never clash).
    active_team_id: Mapped[int | None] = mapped_column(unique=True)
    runoff_of_id: Mapped[int | None] = mapped_column(ForeignKey("election.id"))
    result: Mapped[dict | None]  # the tally at closing: counts per candidate, turnout, outcome
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_from: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")  # the cancellation reason

    candidates: Mapped[list[ElectionCandidate]] = relationship(
        back_populates="election", cascade="all, delete-orphan", order_by="ElectionCandidate.id"
    )


class ElectionCandidate(Base):
    __tablename__ = "election_candidate"
    __table_args__ = (UniqueConstraint("election_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    statement: Mapped[str] = mapped_column(String(200), default="")  # 参选宣言
    votes: Mapped[int] = mapped_column(default=0)  # shown only after closing

    election: Mapped[Election] = relationship(back_populates="candidates")
    user: Mapped[User] = relationship()


class ElectionVoter(Base):
    """Who has voted (never for whom): the only per-voter row of an election."""

    __tablename__ = "election_voter"
    __table_args__ = (UniqueConstraint("election_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderTerm(Base):
    """A confirmed 团长 from a date: applied to ``User.role`` on that day (``applied_at``)."""

    __tablename__ = "leader_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    election_id: Mapped[int | None] = mapped_column(ForeignKey("election.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    applied_at: Mapped[datetime | None]

"""Confirmed 团长 terms applied on their start date: the winner becomes 团长, the previous 团长
an assistant, each change audited with the roles before and after.

A term starting today is applied at confirmation; a later one when its day arrives, by whichever
comes first: ``flask notify run`` (every minute in production), a login of anyone of the team,
or a visit to the election pages. Each checks :func:`due` first (one small read), so nothing is
written while no term is due. Applying twice is harmless: an applied term is marked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.db import write_transaction
from data.models import LeaderTerm, Role, User
from data.timeutil import local_today


def due(session: Session, team_id: int | None, today: date) -> bool:
    """Whether a confirmed term of the team (of any team when None) starts on or before today
    and has not been applied yet."""
    query = select(LeaderTerm.id).where(
        LeaderTerm.applied_at.is_(None), LeaderTerm.starts_on <= today
    )
    if team_id is not None:
        query = query.where(LeaderTerm.team_id == team_id)
    return session.scalar(query.limit(1)) is not None


def apply_due(session: Session, team_id: int | None, today: date, *, at: datetime) -> list[str]:
    """Apply every due term (oldest first; the latest start wins); one line per change."""
    query = (
        select(LeaderTerm)
        .where(LeaderTerm.applied_at.is_(None), LeaderTerm.starts_on <= today)
        .order_by(LeaderTerm.team_id, LeaderTerm.starts_on, LeaderTerm.id)
    )
    if team_id is not None:
        query = query.where(LeaderTerm.team_id == team_id)
    lines = []
    for term in session.scalars(query).all():
        lines.extend(_apply(session, term, at))
    session.flush()
    return lines


def _apply(session: Session, term: LeaderTerm, at: datetime) -> list[str]:
    term.applied_at = at
    winner = session.get(User, term.user_id)
    if winner is None or winner.role not in (Role.assistant, Role.leader):
        return []  # left the team's student roles meanwhile: nothing to hand over
    lines = []
    previous = session.scalars(
        select(User).where(
            User.team_id == term.team_id, User.role == Role.leader, User.id != winner.id
        )
    ).all()
    for person in [*previous, winner]:
        new = Role.leader if person.id == winner.id else Role.assistant
        if person.role is new:
            continue
        before = {"role": person.role, "name": person.name}
        person.role = new
        record(
            session,
            actor_id=term.confirmed_by_id,
            team_id=term.team_id,
            action="user.role",
            entity="user",
            entity_id=person.id,
            before=before,
            after={"role": new, "from": term.starts_on, "election": term.election_id},
            at=at,
        )
        lines.append(f"{person.name}（{person.username}）：{before['role'].label} → {new.label}")
    return lines


def catch_up(session: Session, team_id: int | None, moment: datetime) -> list[str]:
    """Apply the terms due by ``moment``'s day in their own write transaction; a read only
    when none is due (the login, the election pages and ``flask notify run`` call this)."""
    today = local_today(moment)
    if not due(session, team_id, today):
        return []
    with write_transaction(session):
        return apply_due(session, team_id, today, at=moment)

"""What the swap pages show: my offers, offers I may take, my duties I may offer, the 团长's queue.

Read-only; every state is the effective one at ``now`` (``data.policy.swaps.effective_state``)
and "may take" is the very rule taking applies (``data.services.swaps.swap_refusal``), so a
button is only shown where pressing it can succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.attendance import semester_duties
from data.models import Semester, Shift, SwapOffer, User
from data.policy.swaps import LIVE, STATE_LABELS, SwapState
from data.policy.types import Duty
from data.services.duties import duty_when
from data.services.swap_offers import duty_of, state_of
from data.services.swaps import swap_refusal, team_person
from data.timeutil import local_today

HORIZON_DAYS = 14  # the duties one can offer: the same two weeks /me lists
SHOWN = 20  # own offers and decided ones listed


@dataclass(frozen=True)
class OfferRow:
    offer: SwapOffer
    state: SwapState
    label: str
    when: str
    place: str
    offerer: str
    taker: str
    decided_by: str


def _rows(session: Session, offers: list[SwapOffer], now: datetime) -> list[OfferRow]:
    ids = {o.offerer_id for o in offers} | {o.taker_id for o in offers if o.taker_id}
    ids |= {o.decided_by_id for o in offers if o.decided_by_id}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    rows = []
    for offer in offers:
        duty = duty_of(session, offer)
        state = state_of(session, offer, now)
        rows.append(
            OfferRow(
                offer=offer,
                state=state,
                # The 团长 may delete the recorded swap later (值班安排): say so, never hide it.
                label=STATE_LABELS[state]
                + (
                    "（换班记录已删除）"
                    if state is SwapState.approved and not offer.override_id
                    else ""
                ),
                when=duty_when(duty.day, duty.start, duty.end),
                place=duty.place,
                offerer=names.get(offer.offerer_id, ""),
                taker=names.get(offer.taker_id, "") if offer.taker_id else "",
                decided_by=names.get(offer.decided_by_id, "") if offer.decided_by_id else "",
            )
        )
    return rows


def _team_offers(session: Session, team_id: int | None):
    in_team = select(Semester.id).where(Semester.team_id == team_id)
    return select(SwapOffer).where(SwapOffer.semester_id.in_(in_team))


def own_offers(session: Session, user: User, now: datetime) -> list[OfferRow]:
    """The user's offers (and the ones they took), newest duty first."""
    query = (
        _team_offers(session, user.team_id)
        .where((SwapOffer.offerer_id == user.id) | (SwapOffer.taker_id == user.id))
        .order_by(SwapOffer.on.desc(), SwapOffer.id.desc())
        .limit(SHOWN)
    )
    return _rows(session, list(session.scalars(query)), now)


def takeable(session: Session, user: User, now: datetime) -> list[OfferRow]:
    """Teammates' open offers the user could take now (in post, free at that time, …)."""
    today = local_today(now)
    query = (
        _team_offers(session, user.team_id)
        .where(
            SwapOffer.state == SwapState.open,
            SwapOffer.offerer_id != user.id,
            SwapOffer.on >= today,
        )
        .order_by(SwapOffer.on, SwapOffer.id)
    )
    taker = team_person(session, user.team_id, user.id)
    found = []
    for offer in session.scalars(query):
        if state_of(session, offer, now) is not SwapState.open:
            continue
        semester = session.get(Semester, offer.semester_id)
        offerer = team_person(session, user.team_id, offer.offerer_id)
        shift = session.get(Shift, offer.shift_id)
        if swap_refusal(session, semester, offer.on, shift, taker, offerer) is None:
            found.append(offer)
    return _rows(session, found, now)


def offerable(session: Session, user: User, now: datetime) -> list[Duty]:
    """The user's weekly duties of the next two weeks that may be offered and are not yet."""
    today = local_today(now)
    horizon = today + timedelta(days=HORIZON_DAYS)
    semesters = session.scalars(
        select(Semester).where(
            Semester.team_id == user.team_id,
            Semester.start <= horizon,
            Semester.end >= today,
            Semester.finalized_at.is_(None),
        )
    ).all()
    live = set(
        session.execute(
            select(SwapOffer.shift_id, SwapOffer.on).where(
                SwapOffer.offerer_id == user.id,
                SwapOffer.on >= today,
                SwapOffer.state.in_(LIVE),
            )
        ).all()
    )
    duties = []
    for semester in semesters:
        for duty in semester_duties(session, semester, until=horizon, user_ids={user.id}):
            if duty.start <= now or duty.shift_id is None or (duty.shift_id, duty.day) in live:
                continue
            shift = session.get(Shift, duty.shift_id)
            if shift is not None and any(
                a.user_id == user.id for a in shift.assignments_on(duty.day)
            ):
                duties.append(duty)
    return sorted(duties, key=lambda d: d.start)


def queue(session: Session, team_id: int | None, now: datetime) -> dict[str, list[OfferRow]]:
    """The 团长's page: taken offers awaiting a decision, open ones, and the latest decided."""
    today = local_today(now)
    waiting = session.scalars(
        _team_offers(session, team_id)
        .where(SwapOffer.state.in_((SwapState.open, SwapState.taken)), SwapOffer.on >= today)
        .order_by(SwapOffer.on, SwapOffer.id)
    ).all()
    rows = _rows(session, list(waiting), now)
    decided = session.scalars(
        _team_offers(session, team_id)
        .where(SwapOffer.state.in_((SwapState.approved, SwapState.declined)))
        .order_by(SwapOffer.decided_at.desc(), SwapOffer.id.desc())
        .limit(SHOWN)
    ).all()
    return {
        "taken": [r for r in rows if r.state is SwapState.taken],
        "open": [r for r in rows if r.state is SwapState.open],
        "decided": _rows(session, list(decided), now),
    }


def duty_value(duty: Duty) -> str:
    """The form value naming a duty to offer: 'YYYY-MM-DD/shift id'."""
    return f"{duty.day.isoformat()}/{duty.shift_id}"


def card(session: Session, user: User, now: datetime) -> dict[str, object]:
    """The /me card "换班": offers I may take, duties I may offer, my own offers."""
    return {
        "takeable": takeable(session, user, now),
        "offerable": [
            (duty_value(d), f"{duty_when(d.day, d.start, d.end)} {d.place}".strip())
            for d in offerable(session, user, now)
        ],
        "mine": own_offers(session, user, now),
        "user_id": user.id,
    }


__all__ = ["OfferRow", "card", "duty_value", "offerable", "own_offers", "queue", "takeable"]

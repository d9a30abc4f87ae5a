"""Swap requests (换班申请): offer a duty, a teammate takes it, the 团长 approves or declines.

The offerer must really have the duty (the engine's own expansion of the day) and it must not
have started; the taker must pass the same rule as any swap (``data.services.swaps``: in post,
not the offerer, not on the shift already, no own duty overlapping). Approval re-checks it all
and records the swap through ``record_swap``, so it is the very row the 团长's own swap makes.
Expiry is derived: an offer still open or taken at the duty's start has run out, and a taken
offer nobody approved leaves the duty with the offerer (nothing was recorded).

Taking is a conditional UPDATE (state still open, no taker yet): of two teammates pressing
"我来替班" together exactly one wins, on SQLite (write lock) and PostgreSQL (row lock) alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.attendance import duties_on
from data.facts import semester_on
from data.inputs import clean_text
from data.models import Role, Semester, Shift, ShiftOverride, SwapOffer, User
from data.notify.outbox import enqueue
from data.policy.swaps import (
    LIVE,
    REASON_MAX,
    STATE_LABELS,
    WAITING,
    SwapState,
    effective_state,
    offer_refusal,
)
from data.policy.types import Duty
from data.services import Refused, audit
from data.services.duties import ON_DUTY_ROLES, duty_when
from data.services.semesters import LOCKED_MESSAGE
from data.services.swaps import in_post, record_swap, swap_refusal, swapped_duty, team_person

REASON_MIN = 2
DECIDERS = (Role.leader, Role.counselor)  # the 团长 approves; the 兼辅 may too
FIELDS = (
    "shift_id",
    "on",
    "offerer_id",
    "reason",
    "state",
    "taker_id",
    "decided_by_id",
    "decision_reason",
    "override_id",
)


def _snapshot(offer: SwapOffer) -> dict[str, Any]:
    return {name: getattr(offer, name) for name in FIELDS}


def _audit(session: Session, actor: User, action: str, offer: SwapOffer, before, at, ip) -> None:
    audit(session, actor, action, "swap_offer", offer.id, before, _snapshot(offer), at=at, ip=ip)


def _tell(
    session: Session, offer: SwapOffer, user_ids: list[int], title: str, at: datetime
) -> None:
    """An inbox message about the offer to each of ``user_ids`` (once per offer, state, person)."""
    duty = duty_of(session, offer)
    names = _names(session, offer)
    text = f"{duty_when(duty.day, duty.start, duty.end)} {duty.place}".strip()
    body = (
        f"{text}：{names.get(offer.offerer_id, '')} → {names.get(offer.taker_id, '') or '待替班'}"
    )
    if offer.decision_reason:
        body += f"（{offer.decision_reason}）"
    team_id = session.get(Semester, offer.semester_id).team_id
    for user_id in dict.fromkeys(user_ids):
        enqueue(
            session,
            team_id=team_id,
            user_id=user_id,
            channel="inbox",
            kind="swap",
            key=f"swap:{offer.id}:{offer.state.value}:{user_id}",
            title=title,
            body=body,
            at=at,
        )


def _names(session: Session, offer: SwapOffer) -> dict[int | None, str]:
    ids = [offer.offerer_id, offer.taker_id or 0]
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _leaders(session: Session, team_id: int) -> list[int]:
    query = select(User.id).where(
        User.team_id == team_id, User.role == Role.leader, User.active.is_(True)
    )
    return list(session.scalars(query))


def _unlocked(semester: Semester) -> None:
    if semester.finalized_at is not None:
        raise Refused(LOCKED_MESSAGE)


def duty_of(session: Session, offer: SwapOffer) -> Duty:
    """The offered duty with the times in force that date (its start is when the offer runs out)."""
    shift = session.get(Shift, offer.shift_id)
    assert shift is not None  # the foreign key cascades
    return swapped_duty(shift, offer.on, offer.offerer_id)


def state_of(session: Session, offer: SwapOffer, now: datetime) -> SwapState:
    """The offer's state at ``now`` (open or taken past the duty start reads as expired)."""
    return effective_state(offer.state, duty_of(session, offer).start, now)


def own_duty(
    session: Session, actor: User, day: date, shift_id: int | None, now: datetime
) -> tuple[Semester, Shift, Duty]:
    """The actor's weekly duty on ``day`` that may be offered now, or Refused saying why not."""
    semester = semester_on(session, actor.team_id, day)
    duties = duties_on(session, semester, day, user_id=actor.id) if semester else []
    duty = next((d for d in duties if shift_id is not None and d.shift_id == shift_id), None)
    if semester is not None and duty is not None and not in_post(session, semester, actor.id, day):
        duty = None  # outside the service window the engine gives no duty
    refusal = offer_refusal(duty, now)
    shift = session.get(Shift, shift_id) if refusal is None else None
    if refusal is None and (
        shift is None or all(a.user_id != actor.id for a in shift.assignments_on(day))
    ):
        refusal = "这次值班是别人换给你的，不能再转换；如不能到岗请联系团长。"
    if refusal:
        raise Refused(refusal)
    assert semester is not None and shift is not None and duty is not None
    _unlocked(semester)
    return semester, shift, duty


def offer_swap(
    session: Session,
    actor: User,
    day: date,
    shift_id: int | None,
    reason: Any,
    *,
    at: datetime,
    ip: str = "",
) -> SwapOffer:
    """Offer one of the actor's future weekly duties to the team (state open)."""
    if actor.role not in ON_DUTY_ROLES:
        raise Refused("只有值班的助管和团长可以申请换班。")
    semester, shift, duty = own_duty(session, actor, day, shift_id, at)
    text = clean_text(reason, REASON_MAX + 1)  # one more: too long is refused, not cut
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise Refused(f"换班理由须为 {REASON_MIN}–{REASON_MAX} 个字。")
    if _live(session, shift.id, day, actor.id) is not None:
        raise Refused("这次值班已有换班申请，不能重复提交。")
    offer = SwapOffer(
        semester_id=semester.id,
        shift_id=shift.id,
        on=duty.day,
        offerer_id=actor.id,
        reason=text,
        created_at=at,
        state=SwapState.open,
    )
    try:
        with session.begin_nested():  # the partial unique index: a double submit loses here
            session.add(offer)
            session.flush()
    except IntegrityError:
        raise Refused("这次值班已有换班申请，不能重复提交。") from None
    _audit(session, actor, "swap.offer", offer, None, at, ip)
    return offer


def _live(session: Session, shift_id: int, day: date, offerer_id: int) -> SwapOffer | None:
    return session.scalar(
        select(SwapOffer).where(
            SwapOffer.shift_id == shift_id,
            SwapOffer.on == day,
            SwapOffer.offerer_id == offerer_id,
            SwapOffer.state.in_(LIVE),
        )
    )


def team_offer(session: Session, actor: User, offer_id: Any) -> tuple[SwapOffer, Semester]:
    """The offer with its semester when it belongs to the actor's team (else: not found)."""
    offer = session.get(SwapOffer, offer_id) if isinstance(offer_id, int) else None
    semester = session.get(Semester, offer.semester_id) if offer is not None else None
    if offer is None or semester is None or semester.team_id != actor.team_id:
        raise Refused("找不到这条换班申请。")
    return offer, semester


def _waiting(session: Session, offer: SwapOffer, at: datetime, allowed=WAITING) -> None:
    state = state_of(session, offer, at)
    if state not in allowed:
        if state is SwapState.expired:
            raise Refused("这次值班已经开始，换班申请已过期，仍由原值班人值班。")
        raise Refused(f"这条换班申请{STATE_LABELS[state]}，不能再操作。")


def _move(session: Session, offer: SwapOffer, source: tuple[SwapState, ...], **values) -> bool:
    """Conditional UPDATE: only while the offer is still in one of ``source``; True if it was."""
    result = session.execute(
        update(SwapOffer)
        .where(SwapOffer.id == offer.id, SwapOffer.state.in_(source))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(offer)
    return result.rowcount == 1


def take_offer(
    session: Session, actor: User, offer_id: Any, *, at: datetime, ip: str = ""
) -> SwapOffer:
    """The actor takes a teammate's open offer (state taken); exactly one taker wins."""
    offer, semester = team_offer(session, actor, offer_id)
    if actor.role not in ON_DUTY_ROLES:
        raise Refused("只有值班的助管和团长可以替班。")
    _unlocked(semester)
    _waiting(session, offer, at, (SwapState.open,))
    before = _snapshot(offer)
    taker = team_person(session, semester.team_id, actor.id)
    offerer = team_person(session, semester.team_id, offer.offerer_id)
    refusal = swap_refusal(
        session, semester, offer.on, session.get(Shift, offer.shift_id), taker, offerer
    )
    if refusal:
        raise Refused(refusal)
    # Only while still open (an open offer has no taker): of two takers exactly one moves it.
    taken = _move(
        session, offer, (SwapState.open,), state=SwapState.taken, taker_id=actor.id, taken_at=at
    )
    if not taken:
        raise Refused("这次换班已被其他同学接下了。")
    _audit(session, actor, "swap.take", offer, before, at, ip)
    _tell(session, offer, _leaders(session, semester.team_id), "换班申请待批准", at)
    return offer


def withdraw_offer(
    session: Session, actor: User, offer_id: Any, *, at: datetime, ip: str = ""
) -> SwapOffer:
    """The offerer withdraws their offer while it is not approved (open or taken)."""
    offer, semester = team_offer(session, actor, offer_id)
    if offer.offerer_id != actor.id:
        raise Refused("找不到这条换班申请。")
    _unlocked(semester)
    _waiting(session, offer, at)
    before = _snapshot(offer)
    if not _move(session, offer, WAITING, state=SwapState.withdrawn):
        raise Refused("这条换班申请刚刚已被处理，请刷新页面。")
    _audit(session, actor, "swap.withdraw", offer, before, at, ip)
    return offer


def approve_offer(
    session: Session, actor: User, offer_id: Any, *, at: datetime, ip: str = ""
) -> ShiftOverride:
    """The 团长 (or 兼辅) approves a taken offer: checked again, then recorded as a dated swap."""
    offer, semester = team_offer(session, actor, offer_id)
    if actor.role not in DECIDERS:
        raise Refused("只有团长或兼辅老师可以批准换班。")
    _unlocked(semester)
    _waiting(session, offer, at, (SwapState.taken,))
    before = _snapshot(offer)
    taker_id = offer.taker_id
    if not _move(session, offer, (SwapState.taken,), state=SwapState.approved):
        raise Refused("这条换班申请刚刚已被处理，请刷新页面。")
    reason = f"换班申请：{offer.reason}"
    override = record_swap(
        session,
        actor,
        semester,
        offer.on,
        offer.shift_id,
        taker_id,
        offer.offerer_id,
        reason,
        at=at,
        ip=ip,
    )
    offer.override_id, offer.decided_by_id, offer.decided_at = override.id, actor.id, at
    session.flush()
    _audit(session, actor, "swap.approve", offer, before, at, ip)
    _tell(session, offer, [offer.offerer_id, offer.taker_id or 0], "换班已批准", at)
    return override


def decline_offer(
    session: Session, actor: User, offer_id: Any, reason: Any, *, at: datetime, ip: str = ""
) -> SwapOffer:
    """The 团长 (or 兼辅) declines an open or taken offer, optionally saying why."""
    offer, semester = team_offer(session, actor, offer_id)
    if actor.role not in DECIDERS:
        raise Refused("只有团长或兼辅老师可以拒绝换班。")
    _unlocked(semester)
    _waiting(session, offer, at)
    text = clean_text(reason, REASON_MAX + 1)
    if len(text) > REASON_MAX:
        raise Refused(f"拒绝理由不能超过 {REASON_MAX} 个字。")
    before = _snapshot(offer)
    values = {"state": SwapState.declined, "decided_by_id": actor.id, "decided_at": at}
    if not _move(session, offer, WAITING, decision_reason=text, **values):
        raise Refused("这条换班申请刚刚已被处理，请刷新页面。")
    _audit(session, actor, "swap.decline", offer, before, at, ip)
    people = [offer.offerer_id] + ([offer.taker_id] if offer.taker_id else [])
    _tell(session, offer, people, "换班申请未获批准", at)
    return offer

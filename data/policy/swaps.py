"""Swap requests (换班申请): who may take an offered duty, and when an offer has run out.

Pure rules over plain values (no database): the services read the duties through the engine
(``data.attendance.duties_on``) and ask here. The same taker rule guards the 团长's own swaps
and the approval of an offer, so a swap can never give someone two duties at once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, time

from data.policy.types import Duty
from data.timeutil import LOCAL_TZ, to_local

REASON_MAX = 200  # 换班理由 / 拒绝理由: one line on a phone


class SwapState(enum.StrEnum):
    open = "open"  # offered, nobody has taken it
    taken = "taken"  # a teammate took it; waits for the 团长
    approved = "approved"  # recorded as a dated swap (ShiftOverride)
    declined = "declined"
    withdrawn = "withdrawn"  # by the offerer
    expired = "expired"  # derived only: open/taken when the duty started (never stored)


# States in which the offer still waits for someone; past the duty start they read as expired.
WAITING = (SwapState.open, SwapState.taken)
# States that keep the (shift, date, offerer) slot: a new offer for the duty is refused.
LIVE = (SwapState.open, SwapState.taken, SwapState.approved)

STATE_LABELS = {
    SwapState.open: "待替班",
    SwapState.taken: "待团长批准",
    SwapState.approved: "已批准",
    SwapState.declined: "已拒绝",
    SwapState.withdrawn: "已撤回",
    SwapState.expired: "已过期",
}


def duty_start(day: date, start: time) -> datetime:
    """The moment a duty of ``day`` starting at local ``start`` begins (Asia/Shanghai)."""
    return datetime.combine(day, start, tzinfo=LOCAL_TZ)


def effective_state(state: SwapState, start: datetime, now: datetime) -> SwapState:
    """The state as it stands at ``now``: an offer still waiting at the duty start has expired.

    A taken offer the 团长 did not approve before the start leaves the duty with the offerer:
    nothing was recorded, so the schedule never changed.
    """
    if state in WAITING and now >= start:
        return SwapState.expired
    return state


def overlaps(a: Duty, b: Duty) -> bool:
    """Two duties share some time (touching ends do not overlap)."""
    return a.start < b.end and b.start < a.end


def _hm(duty: Duty) -> str:
    return f"{to_local(duty.start):%H:%M}–{to_local(duty.end):%H:%M}"


def offer_refusal(duty: Duty | None, now: datetime) -> str | None:
    """Why this duty cannot be offered now, or None: it must be a weekly duty not yet started."""
    if duty is None or duty.extra:
        return "这一天没有你的这个班次，不能申请换班。"
    if duty.shift_id is None:
        return "临时任务不能换班，请联系团长调整。"
    if now >= duty.start:
        return "这次值班已经开始，不能再申请换班；如不能到岗请请假。"
    return None


def taker_refusal(
    duty: Duty, taker_id: int, offerer_id: int, in_post: bool, taker_duties: Iterable[Duty]
) -> str | None:
    """Why ``taker_id`` cannot take ``duty`` from ``offerer_id``, or None when they can.

    ``taker_duties`` are the taker's own duties that day as the engine expands them (weekly
    shifts, extra duties and swaps already approved); ``in_post`` is whether that day falls in
    the taker's service window (第九条: nobody is on duty outside it).
    """
    if taker_id == offerer_id:
        return "换班双方不能是同一人"
    if not in_post:
        return f"替班人在 {duty.day:%Y-%m-%d} 不在岗"
    for own in taker_duties:
        if own.day == duty.day and own.shift_id is not None and own.shift_id == duty.shift_id:
            return "替班人本来就在该班次中"
        if overlaps(own, duty):
            return f"替班人当天 {_hm(own)} 有自己的值班，时间重叠"
    return None

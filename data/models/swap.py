"""Swap requests (换班申请): an assistant offers a duty, a teammate takes it, the 团长 approves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base
from data.policy.swaps import LIVE, SwapState
from data.timeutil import utcnow

_LIVE = "state IN (" + ", ".join(f"'{s.value}'" for s in LIVE) + ")"


class SwapOffer(Base):
    """One offered duty (shift ``shift_id`` on ``on``) of ``offerer``.

    Expiry is derived, never stored: an open or taken offer whose duty has started reads as
    expired (``data.policy.swaps.effective_state``). On approval the dated swap is recorded as a
    ``ShiftOverride`` (the same row the 团长's own swap makes) and named by ``override_id``.
    """

    __tablename__ = "swap_offer"
    __table_args__ = (
        # One live offer per duty: a second one (double submit, two tabs) is refused by the
        # database too. Withdrawn and declined offers free the slot for a new one.
        Index(
            "uq_swap_offer_live",
            "shift_id",
            "on",
            "offerer_id",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    on: Mapped[date]
    offerer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[SwapState] = mapped_column(default=SwapState.open)
    taker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_override.id", ondelete="SET NULL")
    )

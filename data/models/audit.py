"""The audit log: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base
from data.timeutil import utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(50))  # e.g. leave.approve, duty.correct
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(50), default="")
    before: Mapped[dict | None]
    after: Mapped[dict | None]
    source_ip: Mapped[str] = mapped_column(String(45), default="")

"""End-of-semester evaluation, assessment and stipend (第九条)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, EvaluationKind, Grade, StipendStatus
from data.timeutil import utcnow


class Evaluation(Base):
    """A counselor's or a peer's score for one assistant (peers never rate themselves)."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("semester_id", "subject_id", "rater_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[EvaluationKind]
    score: Mapped[float]  # counselor: 0–20, peer: 0–10
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    """The semester's assessment of one assistant: score parts, grade, reasons, override."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("semester_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    attendance_score: Mapped[float] = mapped_column(default=0)
    records_score: Mapped[float] = mapped_column(default=0)
    meetings_score: Mapped[float] = mapped_column(default=0)
    counselor_score: Mapped[float] = mapped_column(default=0)
    peer_score: Mapped[float] = mapped_column(default=0)
    total: Mapped[float] = mapped_column(default=0)
    grade: Mapped[Grade]
    reasons: Mapped[str] = mapped_column(Text, default="")  # why 不合格, in Chinese
    override_grade: Mapped[Grade | None]
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def final_grade(self) -> Grade:
        return self.override_grade or self.grade


class Stipend(Base):
    """补贴 for one assistant and month (month empty = semester total)."""

    __tablename__ = "stipend"
    __table_args__ = (UniqueConstraint("semester_id", "user_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7), default="")  # YYYY-MM
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    rate: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    grade_factor: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    bonus: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[StipendStatus] = mapped_column(default=StipendStatus.draft)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    paid_at: Mapped[datetime | None]

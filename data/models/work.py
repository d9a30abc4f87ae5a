"""Work records, summaries, meetings and trainings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, Presence, SummaryKind
from data.timeutil import utcnow


class WorkRecord(Base):
    """What was done on one duty (第六条二), written at sign-out."""

    __tablename__ = "work_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    duty_date: Mapped[date] = mapped_column(index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Summary(Base):
    """A daily 小结 or weekly 周总结 (第六条六); period_start is the day or the week's Monday."""

    __tablename__ = "summary"
    __table_args__ = (UniqueConstraint("user_id", "kind", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SummaryKind]
    period_start: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    """A team meeting 例会 (第七条一): at least two a semester, each with minutes."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[str] = mapped_column(Text, default="")  # 会议记录
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    attendance: Mapped[list[MeetingAttendance]] = relationship(cascade="all, delete-orphan")


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[Presence]


class Training(Base):
    """业务培训 by the school or college (第八条二)."""

    __tablename__ = "training"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int | None] = mapped_column(ForeignKey("semester.id", ondelete="SET NULL"))
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(100))
    organizer: Mapped[str] = mapped_column(String(20), default="学院")  # 学校/学院

    attendance: Mapped[list[TrainingAttendance]] = relationship(cascade="all, delete-orphan")


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("training_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[Presence]

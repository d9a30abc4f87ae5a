"""A finished semester's figures, stored once at finalize so 学期对比 need not re-run the engine.

Both tables are derived data: ``data.summaries`` writes them from ``build_report`` inside the
finalize transaction and deletes them on unlock, so they never disagree with the read model.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Grade


class AttendanceCounts:
    """The AttendanceSummary counts as columns (``data.summaries.COUNTS`` names them)."""

    expected: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    normal: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    early: Mapped[int] = mapped_column(default=0)
    absent: Mapped[int] = mapped_column(default=0)
    leave: Mapped[int] = mapped_column(default=0)
    missed_sign_out: Mapped[int] = mapped_column(default=0)
    extra: Mapped[int] = mapped_column(default=0)
    credited_minutes: Mapped[int] = mapped_column(default=0)
    late_minutes: Mapped[int] = mapped_column(default=0)


class SemesterSummary(AttendanceCounts, Base):
    """One person's AttendanceSummary counts over one teaching week (and calendar month).

    A week across a month boundary is two rows: 工时 is rounded per month (``hours_of``), so the
    week-N 工时 can only be summed exactly from per-month minutes.
    """

    __tablename__ = "semester_summary"
    __table_args__ = (UniqueConstraint("semester_id", "user_id", "week", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    week: Mapped[int]  # teaching week: week 1 is the Monday–Sunday holding semester.start
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM


class SemesterMemberSummary(Base):
    """A member of the finished semester with the final grade its report gave at finalize."""

    __tablename__ = "semester_member_summary"
    __table_args__ = (UniqueConstraint("semester_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    grade: Mapped[Grade]  # final grade (override included) of the report
    estimate: Mapped[bool]  # the report's grades were 预估 (not published) at finalize


class SemesterWeekTotal(AttendanceCounts, Base):
    """The team's figures from week 1 through ``week``: what 学期对比 reads, one row a semester.

    Derived from SemesterSummary when it is written, so 同期 week N and the whole term (the
    last week) cost one row per semester however many people and weeks there were.
    """

    __tablename__ = "semester_week_total"
    __table_args__ = (UniqueConstraint("semester_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    week: Mapped[int]
    hours: Mapped[float] = mapped_column(default=0)  # members' 工时, each month rounded

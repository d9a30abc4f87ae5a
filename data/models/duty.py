"""Semesters, the duty schedule and what happens at the door."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import (
    Base,
    CheckAction,
    CheckMethod,
    DutyStatus,
    LeaveKind,
    LeaveStatus,
    OverrideKind,
)
from data.timeutil import utcnow

if TYPE_CHECKING:
    from data.models.people import Team


class Semester(Base):
    __tablename__ = "semester"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))  # e.g. 2026-2027学年第一学期
    start: Mapped[date]
    end: Mapped[date]
    # Finalized assessment locks attendance; later corrections need an audited unlock.
    finalized_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship()
    breaks: Mapped[list[SemesterBreak]] = relationship(
        back_populates="semester", cascade="all, delete-orphan", order_by="SemesterBreak.start"
    )
    shifts: Mapped[list[Shift]] = relationship(
        back_populates="semester", cascade="all, delete-orphan"
    )
    makeup_days: Mapped[list[SemesterMakeupDay]] = relationship(
        back_populates="semester", cascade="all, delete-orphan", order_by="SemesterMakeupDay.on"
    )


class SemesterBreak(Base):
    """A college-declared break (e.g. 运动会停课) with no duties."""

    __tablename__ = "semester_break"

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[date]
    end: Mapped[date]
    name: Mapped[str] = mapped_column(String(50), default="")

    semester: Mapped[Semester] = relationship(back_populates="breaks")


class SemesterMakeupDay(Base):
    """A 调休上班 weekend day that follows one weekday's schedule (按周五值班, SPEC §3)."""

    __tablename__ = "semester_makeup_day"
    __table_args__ = (UniqueConstraint("semester_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date]
    weekday: Mapped[int]  # ISO weekday (1 = 周一) whose weekly shifts apply that day

    semester: Mapped[Semester] = relationship(back_populates="makeup_days")


class Place(Base):
    """A duty place/post (岗位), e.g. 学工办; door posters belong to a place."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    team: Mapped[Team] = relationship()
    # Bumped when the counselor revokes a poster: tokens carry the version they were made with.
    poster_version: Mapped[int] = mapped_column(default=1)
    # Bumped when the counselor revokes the kiosk link of this place.
    kiosk_version: Mapped[int] = mapped_column(default=1, server_default="1")


class Shift(Base):
    """A weekly shift: weekday (1 = Monday … 7 = Sunday), times and place.

    The schedule is versioned by date (SPEC §3 "The record holds"): a shift exists from
    ``valid_from`` to ``valid_to`` (inclusive; None = the semester's bound), its times as stored
    here apply until the first ``ShiftVersion``, and each version applies from its own date.
    The id stays the same across a time change, so leave and overrides follow the shift.
    """

    __tablename__ = "shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start: Mapped[time]
    end: Mapped[time]
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    semester: Mapped[Semester] = relationship(back_populates="shifts")
    place: Mapped[Place] = relationship()
    assignments: Mapped[list[ShiftAssignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ShiftVersion]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftVersion.valid_from"
    )

    def version_on(self, day: date) -> tuple[time, time, int]:
        """(start, end, place_id) in force on ``day``."""
        times = (self.start, self.end, self.place_id)
        for version in self.versions:
            if version.valid_from <= day:
                times = (version.start, version.end, version.place_id)
        return times

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def assignments_on(self, day: date) -> list[ShiftAssignment]:
        return [a for a in self.assignments if a.covers(day)]


class ShiftVersion(Base):
    """New times/place of a shift from a date on (a time change keeps the shift's identity)."""

    __tablename__ = "shift_version"
    __table_args__ = (UniqueConstraint("shift_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date]
    start: Mapped[time]
    end: Mapped[time]
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))

    shift: Mapped[Shift] = relationship(back_populates="versions")


class ShiftAssignment(Base):
    """One person on one shift from ``valid_from`` to ``valid_to`` (inclusive; None = open).

    A removal ends the row the day before it takes effect instead of deleting it, so the duties
    it gave before that date stay exactly as they were.
    """

    __tablename__ = "shift_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    shift: Mapped[Shift] = relationship(back_populates="assignments")

    def covers(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def active_from(self, day: date) -> bool:
        """Gives duties on ``day`` or later."""
        return self.valid_to is None or self.valid_to >= day


class ShiftOverride(Base):
    """A dated change to the weekly schedule: swap (换班), extra duty, or a cancelled shift/day."""

    __tablename__ = "shift_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[OverrideKind]
    # swap/cancel name the shift; a cancel without a shift cancels the whole day.
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    # swap: user takes over replaced_user's duty; extra: user has a duty start–end at place.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replaced_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    start: Mapped[time | None]
    end: Mapped[time | None]
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckEvent(Base):
    """One sign-in or sign-out, stamped with server time."""

    __tablename__ = "check_event"
    __table_args__ = (
        # The door's idempotence guarantee: one sign-in and one sign-out per scheduled duty,
        # enforced by the database so concurrent scans cannot double-write.
        UniqueConstraint("user_id", "duty_date", "shift_id", "action"),
        Index("ix_check_event_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    action: Mapped[CheckAction]
    at: Mapped[datetime] = mapped_column(index=True)
    method: Mapped[CheckMethod] = mapped_column(default=CheckMethod.qr)
    # The duty this event belongs to; both empty for extra (unscheduled) duty.
    duty_date: Mapped[date | None]
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="SET NULL"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"))
    source_ip: Mapped[str] = mapped_column(String(45), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaveRequest(Base):
    """Leave for one duty (第六条四): asked before the start, or phone leave recorded after."""

    __tablename__ = "leave_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    duty_date: Mapped[date]
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="SET NULL"))
    kind: Mapped[LeaveKind]
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[LeaveStatus] = mapped_column(default=LeaveStatus.pending)
    # Asked by the assistant after the shift had started: 先斩后奏, excuses nothing.
    after_start: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_phone_leave(self) -> bool:
        return self.kind is LeaveKind.phone


class DutyCorrection(Base):
    """补签: a counselor's correction of one duty's times or status, with a mandatory reason."""

    __tablename__ = "duty_correction"
    __table_args__ = (UniqueConstraint("user_id", "duty_date", "shift_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    duty_date: Mapped[date]
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    sign_in_at: Mapped[datetime | None]
    sign_out_at: Mapped[datetime | None]
    status: Mapped[DutyStatus | None]
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedToken(Base):
    """A rotating kiosk code already used by one account: a second use is a replay."""

    __tablename__ = "used_token"
    __table_args__ = (UniqueConstraint("user_id", "token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DeviceAlert(Base):
    """One phone signed in for two or more accounts on one day (SPEC §4 device binding)."""

    __tablename__ = "device_alert"
    __table_args__ = (UniqueConstraint("device_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    on: Mapped[date]
    user_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

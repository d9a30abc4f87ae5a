"""Plain values the policy engine works on: the schedule, duties, events and their outcomes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time


class DutyStatus(enum.StrEnum):
    """Status a counselor correction can set on one duty."""

    normal = "normal"
    late = "late"
    early = "early"
    late_early = "late_early"
    absent = "absent"
    leave = "leave"
    missed_sign_out = "missed_sign_out"


class LeaveKind(enum.StrEnum):
    personal = "personal"  # 事假
    sick = "sick"  # 病假
    official = "official"  # 公务/活动
    exam = "exam"  # 考试
    phone = "phone"  # 电话请假, recorded by the counselor after the fact


class LeaveStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"


class Grade(enum.StrEnum):
    excellent = "excellent"
    qualified = "qualified"
    unqualified = "unqualified"


class DismissalReason(enum.StrEnum):
    course_failure = "course_failure"
    violation = "violation"
    poor_performance = "poor_performance"
    duties_unfulfilled = "duties_unfulfilled"
    unqualified = "unqualified"


# Outcome states beyond DutyStatus: an unscheduled duty that was worked (加班),
# a duty that has not started, and one under way that cannot be decided yet.
EXTRA = "extra"
UPCOMING = "upcoming"
IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class ShiftSpec:
    """One weekly shift; weekday 1 = Monday … 7 = Sunday; end ≤ start means it ends next day.

    ``valid_from``/``valid_to`` (inclusive, None = open) bound the days it gives duties: a
    dated schedule is several specs of one shift id over disjoint date ranges.
    """

    shift_id: int
    weekday: int
    start: time
    end: time
    place: str
    user_ids: tuple[int, ...]
    valid_from: date | None = None
    valid_to: date | None = None

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class ShiftTimes:
    """A shift's start, end and place from ``valid_from`` on (None = from its beginning)."""

    valid_from: date | None
    start: time
    end: time
    place: str


@dataclass(frozen=True)
class Period:
    """One person on a shift from ``valid_from`` to ``valid_to`` (inclusive, None = open)."""

    user_id: int
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class OverrideSpec:
    """A dated change to the weekly schedule: kind is 'swap', 'extra' or 'cancel'."""

    on: date
    kind: str
    shift_id: int | None = None
    user_id: int | None = None
    replaced_user_id: int | None = None
    start: time | None = None
    end: time | None = None
    place: str = ""


@dataclass(frozen=True)
class Duty:
    """One duty of one person; extra=True only for unscheduled duty created by a sign-in (加班)."""

    user_id: int
    day: date
    shift_id: int | None
    start: datetime
    end: datetime
    place: str
    extra: bool = False

    @property
    def key(self) -> tuple[int, date, int | None]:
        return (self.user_id, self.day, self.shift_id)


@dataclass(frozen=True)
class Event:
    """One sign-in or sign-out; action is 'sign_in' or 'sign_out'."""

    at: datetime
    action: str


@dataclass(frozen=True)
class LeaveInfo:
    """A leave request for one duty (kind: personal/sick/official/exam/phone)."""

    kind: str
    status: str
    after_start: bool = False


@dataclass(frozen=True)
class CorrectionInfo:
    """补签: corrected times and/or a forced status; None leaves that part as recorded."""

    sign_in_at: datetime | None = None
    sign_out_at: datetime | None = None
    status: str | None = None


@dataclass(frozen=True)
class DutyOutcome:
    duty: Duty
    status: str
    late_minutes: int = 0
    early_minutes: int = 0
    credited_minutes: int = 0
    sign_in_at: datetime | None = None
    sign_out_at: datetime | None = None
    excused: bool = False
    after_start_leave: bool = False


@dataclass(frozen=True)
class AttendanceSummary:
    """Counts over decided outcomes; late counts late_early too, and early likewise."""

    expected: int = 0
    attended: int = 0
    normal: int = 0
    late: int = 0
    early: int = 0
    absent: int = 0
    leave: int = 0
    missed_sign_out: int = 0
    extra: int = 0
    credited_minutes: int = 0
    late_minutes: int = 0

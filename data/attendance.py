"""The attendance read model: load one semester's schedule, events and leave, run the policy.

Every number about attendance (dashboard, reports, /me, import) comes through here so that
the rules are applied in exactly one way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    Appointment,
    CheckEvent,
    DutyCorrection,
    LeaveRequest,
    OverrideKind,
    Place,
    Semester,
    SemesterBreak,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    TeamSettings,
    User,
)
from data.policy.classify import classify_duty, classify_extra, summarize
from data.policy.duties import expected_duties
from data.policy.settings import PolicySettings
from data.policy.types import (
    AttendanceSummary,
    CorrectionInfo,
    Duty,
    DutyOutcome,
    Event,
    LeaveInfo,
    OverrideSpec,
    ShiftSpec,
)
from data.timeutil import local_to_utc, local_today


def team_settings(session: Session, team_id: int) -> PolicySettings:
    row = session.get(TeamSettings, team_id)
    return PolicySettings.from_dict(row.values if row else None)


def load_schedule(
    session: Session,
    semester: Semester,
    *,
    user_ids: set[int] | None = None,
    on: date | None = None,
) -> tuple[list[ShiftSpec], list[OverrideSpec]]:
    """The weekly shifts and dated overrides as plain values for the policy engine.

    ``user_ids`` narrows to what can give those people a duty (their shifts, and the shifts
    their swaps name); ``on`` narrows to one day. The door and /me ask for one person, so
    they need not expand the whole team's schedule.
    """
    override_query = select(ShiftOverride).where(ShiftOverride.semester_id == semester.id)
    if on is not None:
        override_query = override_query.where(ShiftOverride.on == on)
    if user_ids is not None:
        override_query = override_query.where(
            ShiftOverride.user_id.in_(user_ids)
            | ShiftOverride.replaced_user_id.in_(user_ids)
            | (ShiftOverride.kind == OverrideKind.cancel)
        )
    override_rows = session.scalars(override_query).all()

    shift_query = select(Shift).where(Shift.semester_id == semester.id)
    if on is not None:
        shift_query = shift_query.where(Shift.weekday == on.isoweekday())
    if user_ids is not None:
        mine = select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id.in_(user_ids))
        swapped = {o.shift_id for o in override_rows if o.shift_id is not None}
        shift_query = shift_query.where(Shift.id.in_(mine) | Shift.id.in_(swapped))
    shift_rows = session.scalars(shift_query).all()

    assigned: dict[int, list[int]] = defaultdict(list)
    if shift_rows:
        for shift_id, user_id in session.execute(
            select(ShiftAssignment.shift_id, ShiftAssignment.user_id).where(
                ShiftAssignment.shift_id.in_([s.id for s in shift_rows])
            )
        ):
            assigned[shift_id].append(user_id)
    places = dict(
        session.execute(select(Place.id, Place.name).where(Place.team_id == semester.team_id)).all()
    )
    shifts = [
        ShiftSpec(
            shift_id=s.id,
            weekday=s.weekday,
            start=s.start,
            end=s.end,
            place=places.get(s.place_id, ""),
            user_ids=tuple(sorted(assigned[s.id])),
        )
        for s in shift_rows
    ]
    overrides = [
        OverrideSpec(
            on=o.on,
            kind=o.kind.value,
            shift_id=o.shift_id,
            user_id=o.user_id,
            replaced_user_id=o.replaced_user_id,
            start=o.start,
            end=o.end,
            place=places.get(o.place_id, "") if o.place_id else "",
        )
        for o in override_rows
    ]
    return shifts, overrides


@dataclass(frozen=True)
class SemesterAttendance:
    """Outcomes of every duty (scheduled and extra) of one semester up to a moment."""

    semester_id: int
    outcomes: list[DutyOutcome]
    settings: PolicySettings

    def by_user(self) -> dict[int, list[DutyOutcome]]:
        grouped: dict[int, list[DutyOutcome]] = defaultdict(list)
        for outcome in self.outcomes:
            grouped[outcome.duty.user_id].append(outcome)
        return grouped

    def summaries(self) -> dict[int, AttendanceSummary]:
        return {user_id: summarize(items) for user_id, items in self.by_user().items()}

    def total(self) -> AttendanceSummary:
        return summarize(self.outcomes)


def _breaks(session: Session, semester: Semester) -> list[tuple[date, date]]:
    query = select(SemesterBreak).where(SemesterBreak.semester_id == semester.id)
    return [(b.start, b.end) for b in session.scalars(query)]


def semester_duties(
    session: Session,
    semester: Semester,
    until: date | None = None,
    user_ids: set[int] | None = None,
) -> list[Duty]:
    shifts, overrides = load_schedule(session, semester, user_ids=user_ids)
    breaks = _breaks(session, semester)
    duties = expected_duties(semester.start, semester.end, shifts, overrides, breaks, until=until)
    windows = service_windows(session, semester, user_ids)
    return [
        d
        for d in duties
        if (user_ids is None or d.user_id in user_ids)
        and windows.get(d.user_id, (semester.start, semester.end))[0] <= d.day
        and d.day <= windows.get(d.user_id, (semester.start, semester.end))[1]
    ]


def service_windows(
    session: Session, semester: Semester, user_ids: set[int] | None = None
) -> dict[int, tuple[date, date]]:
    """Each person's days in post this semester: from the trial/appointment to leaving.

    Nobody is expected on duty before they started or after they resigned or were dismissed
    (第九条四、五), even while their name is still on the weekly schedule.
    """
    query = select(
        Appointment.user_id,
        Appointment.trial_start,
        Appointment.appointed_on,
        Appointment.ended_on,
    ).where(Appointment.semester_id == semester.id)
    if user_ids is not None:
        query = query.where(Appointment.user_id.in_(user_ids))
    windows = {}
    for user_id, trial_start, appointed_on, ended_on in session.execute(query):
        first = trial_start or appointed_on or semester.start
        windows[user_id] = (max(first, semester.start), min(ended_on or semester.end, semester.end))
    return windows


def duties_on(
    session: Session, semester: Semester, day: date, user_id: int | None = None
) -> list[Duty]:
    """The expected duties of one day (the door and today's list need no more than that)."""
    if not semester.start <= day <= semester.end:
        return []
    users = {user_id} if user_id is not None else None
    shifts, overrides = load_schedule(session, semester, user_ids=users, on=day)
    duties = expected_duties(day, day, shifts, overrides, _breaks(session, semester))
    return [d for d in duties if user_id is None or d.user_id == user_id]


def current_semester(session: Session, team_id: int | None, today: date) -> Semester | None:
    """The team's semester that contains ``today``, if any."""
    if team_id is None:
        return None
    return session.scalar(
        select(Semester).where(
            Semester.team_id == team_id, Semester.start <= today, Semester.end >= today
        )
    )


def semester_attendance(
    session: Session, semester: Semester, now: datetime, user_ids: set[int] | None = None
) -> SemesterAttendance:
    """Classify every duty of ``semester`` as of ``now`` (duties after today are left out)."""
    settings = team_settings(session, semester.team_id)
    today = local_today(now)
    duties = semester_duties(session, semester, until=min(today, semester.end), user_ids=user_ids)

    window_start = _local_midnight_utc(semester.start)
    window_end = _local_midnight_utc(semester.end + timedelta(days=1))
    event_query = select(
        CheckEvent.user_id,
        CheckEvent.duty_date,
        CheckEvent.shift_id,
        CheckEvent.at,
        CheckEvent.action,
    ).where(CheckEvent.at >= window_start, CheckEvent.at < window_end)
    leave_query = select(LeaveRequest).where(
        LeaveRequest.duty_date.between(semester.start, semester.end)
    )
    correction_query = select(DutyCorrection).where(
        DutyCorrection.duty_date.between(semester.start, semester.end)
    )
    if user_ids is not None:
        event_query = event_query.where(CheckEvent.user_id.in_(user_ids))
        leave_query = leave_query.where(LeaveRequest.user_id.in_(user_ids))
        correction_query = correction_query.where(DutyCorrection.user_id.in_(user_ids))
    else:
        # Extra duty by members without a scheduled shift counts too; keep to this team.
        team_users = select(User.id).where(User.team_id == semester.team_id)
        event_query = event_query.where(CheckEvent.user_id.in_(team_users))

    by_duty: dict[tuple, list[Event]] = defaultdict(list)
    extra: dict[int, list[Event]] = defaultdict(list)
    for user_id, duty_date, shift_id, at, action in session.execute(event_query):
        event = Event(at=at, action=action.value)
        if duty_date is None:
            extra[user_id].append(event)
        else:
            by_duty[(user_id, duty_date, shift_id)].append(event)

    leaves: dict[tuple, list[LeaveInfo]] = defaultdict(list)
    for leave in session.scalars(leave_query):
        info = LeaveInfo(
            kind=leave.kind.value, status=leave.status.value, after_start=leave.after_start
        )
        leaves[(leave.user_id, leave.duty_date, leave.shift_id)].append(info)
    corrections = {
        (c.user_id, c.duty_date, c.shift_id): CorrectionInfo(
            sign_in_at=c.sign_in_at,
            sign_out_at=c.sign_out_at,
            status=c.status.value if c.status else None,
        )
        for c in session.scalars(correction_query)
    }

    outcomes = [
        classify_duty(
            duty,
            by_duty.get(duty.key, []),
            leaves.get(duty.key, []),
            corrections.get(duty.key),
            settings,
            now,
        )
        for duty in duties
    ]
    outcomes.extend(o for o in classify_extra(extra, settings, now=now) if o.duty.day <= today)
    return SemesterAttendance(semester_id=semester.id, outcomes=outcomes, settings=settings)


def _local_midnight_utc(day: date) -> datetime:
    return local_to_utc(day, time(0, 0))

"""The attendance read model: load one semester's schedule, events and leave, run the policy.

Every number about attendance (dashboard, reports, /me, import) comes through here so that
the rules are applied in exactly one way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.attendance_inputs import (
    AttendanceInputs,
    EventRow,
    override_spec,
    person_inputs,
    service_window,
    shift_specs,
)
from data.facts import semester_on
from data.models import (
    Appointment,
    CheckAction,
    CheckEvent,
    CheckMethod,
    DutyCorrection,
    LeaveRequest,
    OverrideKind,
    Place,
    Semester,
    SemesterBreak,
    SemesterMakeupDay,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    ShiftVersion,
    TeamSettings,
    User,
)
from data.policy.classify import classify_duty, classify_extra, match_events, summarize
from data.policy.duties import expected_duties
from data.policy.settings import PolicySettings, SettingsFor, SettingsHistory
from data.policy.types import (
    AttendanceSummary,
    CorrectionInfo,
    Duty,
    DutyOutcome,
    Event,
    LeaveInfo,
    OverrideSpec,
    Period,
    ShiftSpec,
)
from data.timeutil import local_to_utc, local_today


def team_settings(session: Session, team_id: int) -> PolicySettings:
    row = session.get(TeamSettings, team_id)
    return PolicySettings.from_dict(row.values if row else None)


def team_settings_history(session: Session, team_id: int) -> SettingsHistory:
    """The team's settings with the per-duty values in force over time (SPEC §3)."""
    row = session.get(TeamSettings, team_id)
    return SettingsHistory.from_dict(row.values if row else None)


def load_schedule(
    session: Session,
    semester: Semester,
    *,
    user_ids: set[int] | None = None,
    on: date | None = None,
    weekday: int | None = None,
) -> tuple[list[ShiftSpec], list[OverrideSpec]]:
    """The weekly shifts and dated overrides as plain values for the policy engine.

    ``user_ids`` narrows to what can give those people a duty (their shifts, and the shifts
    their swaps name); ``on`` narrows to one day, whose shifts are those of ``weekday`` when
    it is a declared make-up day. The door and /me ask for one person, so they need not
    expand the whole team's schedule.
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
        shift_query = shift_query.where(
            Shift.weekday == (weekday or on.isoweekday()),
            or_(Shift.valid_from.is_(None), Shift.valid_from <= on),
            or_(Shift.valid_to.is_(None), Shift.valid_to >= on),
        )
    if user_ids is not None:
        mine = select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id.in_(user_ids))
        swapped = {o.shift_id for o in override_rows if o.shift_id is not None}
        shift_query = shift_query.where(Shift.id.in_(mine) | Shift.id.in_(swapped))
    shift_rows = session.scalars(shift_query).all()

    periods: dict[int, list[Period]] = defaultdict(list)
    versions: dict[int, list[ShiftVersion]] = defaultdict(list)
    if shift_rows:
        ids = [s.id for s in shift_rows]
        for shift_id, user_id, valid_from, valid_to in session.execute(
            select(
                ShiftAssignment.shift_id,
                ShiftAssignment.user_id,
                ShiftAssignment.valid_from,
                ShiftAssignment.valid_to,
            ).where(ShiftAssignment.shift_id.in_(ids))
        ):
            periods[shift_id].append(Period(user_id, valid_from, valid_to))
        for version in session.scalars(select(ShiftVersion).where(ShiftVersion.shift_id.in_(ids))):
            versions[version.shift_id].append(version)
    places = dict(
        session.execute(select(Place.id, Place.name).where(Place.team_id == semester.team_id)).all()
    )
    overrides = [override_spec(o, places) for o in override_rows]
    return shift_specs(shift_rows, periods, versions, places), overrides


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


def makeup_days(session: Session, semester: Semester) -> dict[date, int]:
    """Declared 调休上班 days of the semester → the ISO weekday whose schedule applies."""
    query = select(SemesterMakeupDay.on, SemesterMakeupDay.weekday).where(
        SemesterMakeupDay.semester_id == semester.id
    )
    return {on: weekday for on, weekday in session.execute(query)}


def semester_duties(
    session: Session,
    semester: Semester,
    until: date | None = None,
    user_ids: set[int] | None = None,
) -> list[Duty]:
    shifts, overrides = load_schedule(session, semester, user_ids=user_ids)
    breaks = _breaks(session, semester)
    makeup = makeup_days(session, semester)
    duties = expected_duties(
        semester.start, semester.end, shifts, overrides, breaks, until=until, makeup=makeup
    )
    return _in_post(semester, duties, service_windows(session, semester, user_ids), user_ids)


def _in_post(
    semester: Semester,
    duties: list[Duty],
    windows: dict[int, tuple[date, date]],
    user_ids: set[int] | None,
) -> list[Duty]:
    """The duties of ``user_ids`` (None = all) that fall inside each person's service window."""
    whole = (semester.start, semester.end)
    return [
        d
        for d in duties
        if (user_ids is None or d.user_id in user_ids)
        and windows.get(d.user_id, whole)[0] <= d.day <= windows.get(d.user_id, whole)[1]
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
    return {
        user_id: service_window(semester, trial_start or appointed_on, ended_on)
        for user_id, trial_start, appointed_on, ended_on in session.execute(query)
    }


def duties_on(
    session: Session, semester: Semester, day: date, user_id: int | None = None
) -> list[Duty]:
    """The expected duties of one day (the door and today's list need no more than that)."""
    if not semester.start <= day <= semester.end:
        return []
    users = {user_id} if user_id is not None else None
    makeup = makeup_days(session, semester)
    shifts, overrides = load_schedule(
        session, semester, user_ids=users, on=day, weekday=makeup.get(day)
    )
    breaks = _breaks(session, semester)
    duties = expected_duties(day, day, shifts, overrides, breaks, makeup=makeup)
    return [d for d in duties if user_id is None or d.user_id == user_id]


def current_semester(session: Session, team_id: int | None, today: date) -> Semester | None:
    """The team's semester that contains ``today``, if any (see ``data.facts.semester_on``)."""
    return semester_on(session, team_id, today)


def semester_attendance(
    session: Session,
    semester: Semester,
    now: datetime,
    user_ids: set[int] | None = None,
    *,
    settings: SettingsHistory | None = None,
    inputs: AttendanceInputs | None = None,
    days: tuple[date, date] | None = None,
) -> SemesterAttendance:
    """Classify every duty of ``semester`` as of ``now`` (duties after today are left out).

    Each duty is judged by the per-duty settings in force at its start; ``settings`` replaces
    the stored ones (a preview of a change before it is saved). ``inputs`` is what the caller
    already read for ``user_ids`` (the door: its read plus the event it just wrote). ``days``
    (first, last) keeps to the duties of those days and reads only the records around them.
    """
    history = settings if settings is not None else team_settings_history(session, semester.team_id)
    if inputs is None and user_ids is not None and len(user_ids) == 1:
        inputs = person_inputs(session, semester, next(iter(user_ids)))  # one statement
    elif inputs is None:
        inputs = _semester_inputs(session, semester, user_ids, days)
    today = local_today(now)
    first, last = days or (semester.start, semester.end)
    duties = inputs.expected(
        max(first, semester.start), min(last, semester.end), min(today, semester.end)
    )
    duties = _in_post(semester, duties, inputs.windows, user_ids)
    by_duty, extra = _events_by_duty(inputs.events, duties, history.current, history.for_duty)
    leaves: dict[tuple, list[LeaveInfo]] = defaultdict(list)
    for key, info in inputs.leaves:
        leaves[key].append(info)
    corrections, no_rows = inputs.corrections, ()
    outcomes = []
    for duty in duties:
        key = duty.key  # a property: built once per duty, not three times
        outcomes.append(
            classify_duty(
                duty,
                by_duty.get(key, no_rows),
                leaves.get(key, no_rows),
                corrections.get(key),
                history.for_duty(duty.start),
                now,
            )
        )
    extras = classify_extra(extra, history.current, now=now, settings_for=history.for_duty)
    outcomes.extend(o for o in extras if first <= o.duty.day <= min(today, last))
    return SemesterAttendance(semester_id=semester.id, outcomes=outcomes, settings=history.current)


def _semester_inputs(
    session: Session,
    semester: Semester,
    user_ids: set[int] | None,
    days: tuple[date, date] | None = None,
) -> AttendanceInputs:
    """The read model's inputs for several people (None = the whole team), or of ``days``."""
    shifts, overrides = load_schedule(session, semester, user_ids=user_ids)
    first, last = days or (semester.start, semester.end)
    first, last = max(first, semester.start), min(last, semester.end)
    window_start = _local_midnight_utc(first)
    # A duty's sign-out may come after midnight, up to its missed window (at most a day).
    window_end = _local_midnight_utc(min(last + timedelta(days=2), semester.end + timedelta(1)))
    # Table columns, not ORM attributes: thousands of rows skip the ORM's loading machinery.
    event = CheckEvent.__table__.c
    event_query = select(
        event.user_id, event.duty_date, event.shift_id, event.at, event.action, event.method
    ).where(event.at >= window_start, event.at < window_end)
    if days:  # a door event of an earlier duty (not read here) must not float onto these
        event_query = event_query.where(
            event.duty_date.is_(None)
            | (event.duty_date >= first)
            | (event.method == CheckMethod.import_)
        )
    leave_query = select(LeaveRequest).where(LeaveRequest.duty_date.between(first, last))
    correction_query = select(DutyCorrection).where(DutyCorrection.duty_date.between(first, last))
    if user_ids is not None:
        event_query = event_query.where(event.user_id.in_(user_ids))
        leave_query = leave_query.where(LeaveRequest.user_id.in_(user_ids))
        correction_query = correction_query.where(DutyCorrection.user_id.in_(user_ids))
    else:
        # Extra duty by members without a scheduled shift counts too; keep to this team.
        team_users = select(User.id).where(User.team_id == semester.team_id)
        event_query = event_query.where(event.user_id.in_(team_users))
    return AttendanceInputs(
        shifts=shifts,
        overrides=overrides,
        breaks=_breaks(session, semester),
        makeup=makeup_days(session, semester),
        windows=service_windows(session, semester, user_ids),
        events=[EventRow(*row) for row in session.connection().execute(event_query).all()],
        leaves=[
            (
                (leave.user_id, leave.duty_date, leave.shift_id),
                LeaveInfo(
                    kind=leave.kind.value, status=leave.status.value, after_start=leave.after_start
                ),
            )
            for leave in session.scalars(leave_query)
        ],
        corrections={
            (c.user_id, c.duty_date, c.shift_id): CorrectionInfo(
                sign_in_at=c.sign_in_at,
                sign_out_at=c.sign_out_at,
                status=c.status.value if c.status else None,
            )
            for c in session.scalars(correction_query)
        },
    )


_ACTION_VALUES = {action: action.value for action in CheckAction}  # cheaper than .value


def _events_by_duty(
    rows: Iterable[tuple],
    duties: list[Duty],
    settings: PolicySettings,
    settings_for: SettingsFor | None = None,
) -> tuple[dict[tuple, list[Event]], dict[int, list[Event]]]:
    """Events per duty key, and the rest per person (extra duty, 加班), decided at read time.

    A door event keeps the duty the door gave it while that duty is still expected. Imported
    events, and door events whose duty a later (audited) schedule change removed, are matched
    to the duties as they are now, so import order and dated schedule changes never strand a
    sign-in as 加班 while its duty shows 缺勤. A door sign-in made as 加班 stays 加班: the door
    offers that only when no duty of the person is open.
    """
    keys = {duty.key for duty in duties}
    by_duty: dict[tuple, list[Event]] = defaultdict(list)
    extra: dict[int, list[Event]] = defaultdict(list)
    floating: dict[int, list[Event]] = defaultdict(list)
    for user_id, duty_date, shift_id, at, action, method in rows:
        event = Event(at, _ACTION_VALUES[action])
        key = (user_id, duty_date, shift_id)
        if method is CheckMethod.import_ or (duty_date is not None and key not in keys):
            floating[user_id].append(event)
        elif duty_date is None:
            extra[user_id].append(event)
        else:
            by_duty[key].append(event)
    if floating:
        matched, leftovers = match_events(duties, floating, settings, settings_for)
        for key, events in matched.items():
            by_duty[key].extend(events)
        for user_id, events in leftovers.items():
            extra[user_id].extend(events)
    return by_duty, extra


def _local_midnight_utc(day: date) -> datetime:
    return local_to_utc(day, time(0, 0))

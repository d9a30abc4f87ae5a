"""What the attendance read model reads for a semester, and one person's share in one statement.

``data.attendance`` turns these inputs into outcomes (its one definition of every count). The
door and /me ask about one person many times a day, so ``person_inputs`` reads that person's
schedule, breaks, service window, events, leave and corrections in a single UNION ALL of
tagged rows instead of ten queries.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Select,
    String,
    Time,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

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
)
from data.models.base import UTCDateTime
from data.policy.duties import dated_shift_specs, expected_duties
from data.policy.types import (
    CorrectionInfo,
    Duty,
    LeaveInfo,
    OverrideSpec,
    Period,
    ShiftSpec,
    ShiftTimes,
)
from data.timeutil import local_to_utc

Key = tuple[int, date, "int | None"]


class EventRow(NamedTuple):
    """One stored sign-in or sign-out as the read model sees it."""

    user_id: int
    duty_date: date | None
    shift_id: int | None
    at: datetime
    action: CheckAction
    method: CheckMethod


@dataclass(frozen=True)
class AttendanceInputs:
    """A semester's schedule, breaks, make-up days, service windows and records, as plain values."""

    shifts: list[ShiftSpec]
    overrides: list[OverrideSpec]
    breaks: list[tuple[date, date]]
    windows: dict[int, tuple[date, date]]
    events: list[EventRow] = field(default_factory=list)
    leaves: list[tuple[Key, LeaveInfo]] = field(default_factory=list)
    corrections: dict[Key, CorrectionInfo] = field(default_factory=dict)
    makeup: dict[date, int] = field(default_factory=dict)  # declared 调休上班 day → weekday
    # (first, last, until) → expected duties: the door's inputs are kept and asked again.
    expanded: dict[tuple, list[Duty]] = field(default_factory=dict, compare=False, repr=False)

    def expected(self, first: date, last: date, until: date | None) -> list[Duty]:
        """``expected_duties`` over these inputs (kept; the list must not be changed)."""
        key = (first, last, until)
        duties = self.expanded.get(key)
        if duties is None:
            duties = expected_duties(
                first,
                last,
                self.shifts,
                self.overrides,
                self.breaks,
                until=until,
                makeup=self.makeup,
            )
            self.expanded[key] = duties
        return duties

    def duties_on(self, semester: Semester, day: date, user_id: int) -> list[Duty]:
        """One person's expected duties of one day, as ``data.attendance.duties_on`` gives them."""
        if not semester.start <= day <= semester.end:
            return []
        # The semester's expansion up to ``day``: the late count asks for the same one after a
        # sign-in, and these inputs are kept between the door's page and its press.
        duties = self.expected(semester.start, semester.end, day)
        return [d for d in duties if d.day == day and d.user_id == user_id]

    def with_event(self, event: EventRow) -> AttendanceInputs:
        """The same inputs plus an event just written (so nothing needs reading again)."""
        # Events do not move duties: the expansion carries over.
        return dataclasses.replace(self, events=[*self.events, event], expanded=self.expanded)


def shift_specs(
    shifts: Iterable[Any],
    periods: dict[int, list[Period]],
    versions: dict[int, list[Any]],
    places: dict[int, str],
) -> list[ShiftSpec]:
    """Shift rows, their assignment periods and time versions → dated specs for the engine."""
    specs: list[ShiftSpec] = []
    for s in shifts:
        times = [ShiftTimes(None, s.start, s.end, places.get(s.place_id, ""))]
        times += [
            ShiftTimes(v.valid_from, v.start, v.end, places.get(v.place_id, ""))
            for v in versions.get(s.id, [])
        ]
        specs += dated_shift_specs(
            s.id, s.weekday, times, periods.get(s.id, []), s.valid_from, s.valid_to
        )
    return specs


def override_spec(o: Any, places: dict[int, str]) -> OverrideSpec:
    return OverrideSpec(
        on=o.on,
        kind=o.kind.value if isinstance(o.kind, OverrideKind) else o.kind,
        shift_id=o.shift_id,
        user_id=o.user_id,
        replaced_user_id=o.replaced_user_id,
        start=o.start,
        end=o.end,
        place=places.get(o.place_id, "") if o.place_id else "",
    )


def service_window(
    semester: Semester, first: date | None, ended_on: date | None
) -> tuple[date, date]:
    """Days in post: from the trial/appointment (``first``) to leaving, within the semester."""
    return (
        max(first or semester.start, semester.start),
        min(ended_on or semester.end, semester.end),
    )


# The columns every tagged row has; a table fills the ones it needs, the rest are typed NULLs.
_COLUMNS: dict[str, Any] = {
    "id": Integer(),
    "number": Integer(),
    "day": Date(),
    "day2": Date(),
    "shift_id": Integer(),
    "user_id": Integer(),
    "user2": Integer(),
    "place_id": Integer(),
    "at": UTCDateTime(),
    "at2": UTCDateTime(),
    "text": String(24),
    "text2": String(24),
    "flag": Boolean(),
    "start": Time(),
    "end": Time(),
}


def _tagged(tag: str, **values: Any) -> Select:
    columns = [literal(tag, String(12)).label("tag")]
    for name, type_ in _COLUMNS.items():
        value = values.get(name)
        # Enums are stored as their values in VARCHAR: read them back as plain text.
        columns.append(
            (cast(null(), type_) if value is None else type_coerce(value, type_)).label(name)
        )
    return select(*columns)


@functools.cache
def _person_query(own: bool = False) -> Select:
    """Everything the read model needs about one person this semester, as tagged rows."""
    # Built once, bound by ``_person_params``: building it cost more CPU than running it.
    user_id, semester_id = bindparam("user_id"), bindparam("semester_id")
    start, end = bindparam("start", type_=Date()), bindparam("end", type_=Date())
    mine_or_cancel = (
        (ShiftOverride.user_id == user_id)
        | (ShiftOverride.replaced_user_id == user_id)
        | (ShiftOverride.kind == OverrideKind.cancel)
    )
    in_semester = ShiftOverride.semester_id == semester_id
    # The person's shifts and the shifts their swaps (or a cancel) name, as load_schedule.
    named = select(ShiftOverride.shift_id).where(in_semester, mine_or_cancel)
    assigned = select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id == user_id)
    shift_ids = select(Shift.id).where(
        Shift.semester_id == semester_id, Shift.id.in_(assigned) | Shift.id.in_(named)
    )
    other = aliased(ShiftAssignment)
    parts = [
        _tagged(
            "shift",
            id=Shift.id,
            number=Shift.weekday,
            start=Shift.start,
            end=Shift.end,
            place_id=Shift.place_id,
            day=Shift.valid_from,
            day2=Shift.valid_to,
        ).where(Shift.id.in_(shift_ids)),
        _tagged(
            "assignment",
            id=other.id,
            shift_id=other.shift_id,
            user_id=other.user_id,
            day=other.valid_from,
            day2=other.valid_to,
        ).where(other.shift_id.in_(shift_ids), *_own_places(other, user_id, in_semester, own)),
        _tagged(
            "version",
            id=ShiftVersion.id,
            shift_id=ShiftVersion.shift_id,
            day=ShiftVersion.valid_from,
            start=ShiftVersion.start,
            end=ShiftVersion.end,
            place_id=ShiftVersion.place_id,
        ).where(ShiftVersion.shift_id.in_(shift_ids)),
        _tagged(
            "override",
            id=ShiftOverride.id,
            day=ShiftOverride.on,
            text=ShiftOverride.kind,
            shift_id=ShiftOverride.shift_id,
            user_id=ShiftOverride.user_id,
            user2=ShiftOverride.replaced_user_id,
            start=ShiftOverride.start,
            end=ShiftOverride.end,
            place_id=ShiftOverride.place_id,
        ).where(in_semester, mine_or_cancel),
        _tagged("place", id=Place.id, text=Place.name).where(Place.team_id == bindparam("team_id")),
        _tagged(
            "break", id=SemesterBreak.id, day=SemesterBreak.start, day2=SemesterBreak.end
        ).where(SemesterBreak.semester_id == semester_id),
        _tagged(
            "makeup",
            id=SemesterMakeupDay.id,
            day=SemesterMakeupDay.on,
            number=SemesterMakeupDay.weekday,
        ).where(SemesterMakeupDay.semester_id == semester_id),
        _tagged(
            "appointment",
            id=Appointment.id,
            user_id=Appointment.user_id,
            day=func.coalesce(Appointment.trial_start, Appointment.appointed_on),
            day2=Appointment.ended_on,
        ).where(Appointment.semester_id == semester_id, Appointment.user_id == user_id),
        _tagged(
            "event",
            id=CheckEvent.id,
            user_id=CheckEvent.user_id,
            day=CheckEvent.duty_date,
            shift_id=CheckEvent.shift_id,
            at=CheckEvent.at,
            text=CheckEvent.action,
            text2=CheckEvent.method,
        ).where(
            CheckEvent.user_id == user_id,
            CheckEvent.at >= bindparam("at_from"),
            CheckEvent.at < bindparam("at_to"),
        ),
        _tagged(
            "leave",
            id=LeaveRequest.id,
            user_id=LeaveRequest.user_id,
            day=LeaveRequest.duty_date,
            shift_id=LeaveRequest.shift_id,
            text=LeaveRequest.kind,
            text2=LeaveRequest.status,
            flag=LeaveRequest.after_start,
        ).where(LeaveRequest.user_id == user_id, LeaveRequest.duty_date.between(start, end)),
        _tagged(
            "correction",
            id=DutyCorrection.id,
            user_id=DutyCorrection.user_id,
            day=DutyCorrection.duty_date,
            shift_id=DutyCorrection.shift_id,
            at=DutyCorrection.sign_in_at,
            at2=DutyCorrection.sign_out_at,
            text2=DutyCorrection.status,
        ).where(DutyCorrection.user_id == user_id, DutyCorrection.duty_date.between(start, end)),
    ]
    everything = union_all(*parts).subquery()
    return select(everything).order_by(everything.c.tag, everything.c.id)


def _own_places(assignment: Any, user_id: Any, in_semester: Any, own: bool) -> list[Any]:
    """With ``own``: the person's places on the shifts, and whom their swaps on a shift replace."""
    if not own:
        return []
    replaced = select(ShiftOverride.replaced_user_id).where(  # on this shift, or any
        in_semester,
        ShiftOverride.user_id == user_id,
        ShiftOverride.kind == OverrideKind.swap,
        ShiftOverride.shift_id.is_(None) | (ShiftOverride.shift_id == assignment.shift_id),
    )
    return [(assignment.user_id == user_id) | assignment.user_id.in_(replaced)]


def _person_params(semester: Semester, user_id: int) -> dict[str, Any]:
    start, end = semester.start, semester.end
    at_from, at_to = local_to_utc(start, time(0, 0)), local_to_utc(end + timedelta(1), time(0, 0))
    ids = {"user_id": user_id, "semester_id": semester.id, "team_id": semester.team_id}
    return {**ids, "start": start, "end": end, "at_from": at_from, "at_to": at_to}


def person_inputs(
    session: Session, semester: Semester, user_id: int, *, own: bool = False
) -> AttendanceInputs:
    """One person's attendance inputs for ``semester`` in one statement.

    ``own``: shifts name only the person and whom their swaps replace (same duties, fewer rows).
    """
    rows: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(_person_query(own), _person_params(semester, user_id)):
        rows[row.tag].append(row)
    places = {p.id: p.text for p in rows["place"]}
    periods: dict[int, list[Period]] = defaultdict(list)
    for a in rows["assignment"]:
        periods[a.shift_id].append(Period(a.user_id, a.day, a.day2))
    versions: dict[int, list[Any]] = defaultdict(list)
    for v in rows["version"]:
        versions[v.shift_id].append(
            _Version(v.day, v.start, v.end, v.place_id)  # the shape shift_specs reads
        )
    shifts = [
        _Shift(s.id, s.number, s.start, s.end, s.place_id, s.day, s.day2) for s in rows["shift"]
    ]
    overrides = [
        override_spec(
            _Override(o.day, o.text, o.shift_id, o.user_id, o.user2, o.start, o.end, o.place_id),
            places,
        )
        for o in rows["override"]
    ]
    return AttendanceInputs(
        shifts=shift_specs(shifts, periods, versions, places),
        overrides=overrides,
        breaks=[(b.day, b.day2) for b in rows["break"]],
        windows={a.user_id: service_window(semester, a.day, a.day2) for a in rows["appointment"]},
        events=[
            EventRow(e.user_id, e.day, e.shift_id, e.at, CheckAction(e.text), CheckMethod(e.text2))
            for e in sorted(rows["event"], key=lambda e: e.at)
        ],
        leaves=[
            (
                (r.user_id, r.day, r.shift_id),
                LeaveInfo(kind=r.text, status=r.text2, after_start=r.flag),
            )
            for r in rows["leave"]
        ],
        corrections={
            (c.user_id, c.day, c.shift_id): CorrectionInfo(
                sign_in_at=c.at, sign_out_at=c.at2, status=c.text2
            )
            for c in rows["correction"]
        },
        makeup={m.day: m.number for m in rows["makeup"]},
    )


class _Shift(NamedTuple):
    id: int
    weekday: int
    start: time
    end: time
    place_id: int
    valid_from: date | None
    valid_to: date | None


class _Version(NamedTuple):
    valid_from: date
    start: time
    end: time
    place_id: int


class _Override(NamedTuple):
    on: date
    kind: str
    shift_id: int | None
    user_id: int | None
    replaced_user_id: int | None
    start: time | None
    end: time | None
    place_id: int | None

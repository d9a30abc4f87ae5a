"""Attendance classification (第六条二、四): each duty's events, leaves and corrections → an outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from data.policy.settings import PolicySettings, SettingsFor
from data.policy.types import (
    EXTRA,
    IN_PROGRESS,
    UPCOMING,
    AttendanceSummary,
    CorrectionInfo,
    Duty,
    DutyOutcome,
    DutyStatus,
    Event,
    LeaveInfo,
    LeaveKind,
    LeaveStatus,
)
from data.timeutil import to_local

SIGN_IN, SIGN_OUT = "sign_in", "sign_out"
DutyKey = tuple[int, date, int | None]


def _minutes(delta: timedelta) -> int:
    """Whole minutes, floored, never negative."""
    return max(0, int(delta.total_seconds() // 60))


def _event_order(event: Event) -> tuple[datetime, str]:
    return (event.at, event.action)


def match_events(
    duties: Iterable[Duty],
    events_by_user: Mapping[int, Iterable[Event]],
    settings: PolicySettings,
    settings_for: SettingsFor | None = None,
) -> tuple[dict[DutyKey, list[Event]], dict[int, list[Event]]]:
    """Attach raw events (e.g. from paper sheets) to duties; leftovers are unscheduled (加班).

    A sign-in goes to a duty whose window [start − sign-in window, end] contains it, the one
    whose start is nearest; a sign-out to a duty whose [start, end + missed window] contains
    it, preferring a duty that got a sign-in, then the nearest end, then the later duty.
    Each duty's windows are those in force at its start when ``settings_for`` is given.
    """
    by_user: dict[int, list[Duty]] = {}
    opens: dict[DutyKey, datetime] = {}
    closes: dict[DutyKey, datetime] = {}
    for duty in duties:
        if not duty.extra:
            by_user.setdefault(duty.user_id, []).append(duty)
            rules = settings_for(duty.start) if settings_for else settings
            opens[duty.key] = duty.start - timedelta(minutes=rules.sign_in_window_minutes)
            closes[duty.key] = duty.end + timedelta(minutes=rules.missed_sign_out_minutes)
    matched: dict[DutyKey, list[Event]] = {}
    leftovers: dict[int, list[Event]] = {}
    for user_id, raw in events_by_user.items():
        events = sorted(raw, key=_event_order)
        mine = by_user.get(user_id, [])
        for event in (e for e in events if e.action == SIGN_IN):
            fits = [d for d in mine if opens[d.key] <= event.at <= d.end]
            if fits:
                best = min(fits, key=lambda d: (abs(event.at - d.start), d.start))
                matched.setdefault(best.key, []).append(event)
            else:
                leftovers.setdefault(user_id, []).append(event)
        signed_in = set(matched)
        for event in (e for e in events if e.action != SIGN_IN):
            fits = [d for d in mine if d.start <= event.at <= closes[d.key]]
            if fits:
                best = min(
                    fits,
                    key=lambda d: (
                        d.key not in signed_in,
                        abs(event.at - d.end),
                        -d.start.timestamp(),
                    ),
                )
                matched.setdefault(best.key, []).append(event)
            else:
                leftovers.setdefault(user_id, []).append(event)
    for bucket in (*matched.values(), *leftovers.values()):
        bucket.sort(key=_event_order)
    return matched, leftovers


def _excuses(leave: LeaveInfo) -> bool:
    # 先斩后奏 excuses nothing unless the counselor turned it into a phone leave (第六条四).
    return leave.status == LeaveStatus.approved and (
        leave.kind == LeaveKind.phone or not leave.after_start
    )


def _is_xianzhan_houzou(leave: LeaveInfo) -> bool:
    return (
        leave.after_start
        and leave.kind != LeaveKind.phone
        and leave.status != LeaveStatus.cancelled
    )


def _times(
    duty: Duty, events: Iterable[Event], correction: CorrectionInfo | None
) -> tuple[datetime | None, datetime | None]:
    """First sign-in by the end and last sign-out after it; corrections replace either."""
    # One pass, no intermediate lists: the whole team's semester runs through here.
    sign_in: datetime | None = None
    outs: list[datetime] = []
    for event in events:
        if event.action == SIGN_IN:
            if event.at <= duty.end and (sign_in is None or event.at < sign_in):
                sign_in = event.at
        elif event.action == SIGN_OUT:
            outs.append(event.at)
    if correction and correction.sign_in_at is not None:
        sign_in = correction.sign_in_at
    if sign_in is not None:
        outs = [t for t in outs if t > sign_in]  # a sign-out before the sign-in closes nothing
    sign_out = max(outs) if outs else None
    if correction and correction.sign_out_at is not None:
        sign_out = correction.sign_out_at
    return sign_in, sign_out


def _worked(duty: Duty, sign_in: datetime, sign_out: datetime) -> int:
    # Scheduled duty: time before the start or after the end is not credited (SPEC §3).
    return _minutes(min(sign_out, duty.end) - max(sign_in, duty.start))


def classify_duty(
    duty: Duty,
    events: Iterable[Event],
    leaves: Iterable[LeaveInfo],
    correction: CorrectionInfo | None,
    settings: PolicySettings,
    now: datetime,
) -> DutyOutcome:
    """The outcome of one scheduled duty as of `now` (SPEC §3 duty and attendance, leave)."""
    excused = after_start = False
    for leave in leaves:
        excused = excused or _excuses(leave)
        after_start = after_start or _is_xianzhan_houzou(leave)
    sign_in, sign_out = _times(duty, events, correction)

    def outcome(status: str, late: int = 0, early: int = 0, credited: int = 0) -> DutyOutcome:
        return DutyOutcome(
            duty, status, late, early, credited, sign_in, sign_out, excused, after_start
        )

    grace = timedelta(minutes=settings.grace_minutes)
    is_late = sign_in is not None and sign_in > duty.start + grace
    is_early = sign_out is not None and sign_out < duty.end - grace
    late = _minutes(sign_in - duty.start) if is_late else 0
    early = _minutes(duty.end - sign_out) if is_early else 0
    credited = 0
    if sign_in is not None and sign_out is not None:
        credited = _worked(duty, sign_in, sign_out)

    if correction and correction.status:
        return _forced(outcome(UPCOMING), correction.status, late, early, credited, settings)
    if now < duty.start:
        return outcome(UPCOMING if sign_in is None else IN_PROGRESS)
    if excused:
        # The leave wins over the clock: no late, early or absence, but real work still counts.
        return outcome(DutyStatus.leave.value, credited=credited)
    if sign_in is None:
        return outcome(IN_PROGRESS if now < duty.end else DutyStatus.absent.value)
    if sign_out is None:
        if now < duty.end + timedelta(minutes=settings.missed_sign_out_minutes):
            return outcome(IN_PROGRESS, late=late)
        kept = 0 if settings.missed_sign_out_credits_zero else _worked(duty, sign_in, duty.end)
        return outcome(DutyStatus.missed_sign_out.value, late=late, credited=kept)
    return outcome(_STATUS[(is_late, is_early)], late=late, early=early, credited=credited)


_STATUS = {
    (False, False): DutyStatus.normal.value,
    (True, False): DutyStatus.late.value,
    (False, True): DutyStatus.early.value,
    (True, True): DutyStatus.late_early.value,
}


def _replace(
    base: DutyOutcome, status: str, *, late: int = 0, early: int = 0, credited: int = 0
) -> DutyOutcome:
    return DutyOutcome(
        base.duty,
        str(status),
        late,
        early,
        credited,
        base.sign_in_at,
        base.sign_out_at,
        base.excused,
        base.after_start_leave,
    )


def _forced(
    base: DutyOutcome, status: str, late: int, early: int, credited: int, settings: PolicySettings
) -> DutyOutcome:
    """A counselor's status wins; minutes that contradict it are dropped.

    漏签退 keeps a late sign-in: one duty can be late and missed sign-out at once (SPEC §3).
    """
    keeps_late = (DutyStatus.late, DutyStatus.late_early, DutyStatus.missed_sign_out)
    late = late if status in keeps_late else 0
    early = early if status in (DutyStatus.early, DutyStatus.late_early) else 0
    if status == DutyStatus.absent or (
        status == DutyStatus.missed_sign_out and settings.missed_sign_out_credits_zero
    ):
        credited = 0
    return _replace(base, status, late=late, early=early, credited=credited)


def classify_extra(
    events: Iterable[Event] | Mapping[int, Iterable[Event]],
    settings: PolicySettings,
    *,
    user_id: int = 0,
    now: datetime | None = None,
    settings_for: SettingsFor | None = None,
) -> list[DutyOutcome]:
    """Pair unscheduled sign-ins and sign-outs into extra duties (加班, 第六条四).

    Accepts one person's events (with user_id) or match_events' leftovers by user. A sign-out
    closes the open sign-in of the same local day; repeated scans keep the first sign-in and
    the last sign-out; a sign-in left open past the missed window is 漏签退 with no credit.
    A sign-out with nothing to close is dropped: there is no start to credit from.
    With ``settings_for``, the missed window is the one in force at each sign-in.
    """
    if isinstance(events, Mapping):
        return [
            outcome
            for uid in sorted(events)
            for outcome in classify_extra(
                events[uid], settings, user_id=uid, now=now, settings_for=settings_for
            )
        ]

    def missed_at(start: datetime) -> timedelta:
        rules = settings_for(start) if settings_for else settings
        return timedelta(minutes=rules.missed_sign_out_minutes)

    pairs: list[list[datetime | None]] = []  # [sign_in, sign_out]
    for event in sorted(events, key=_event_order):
        day = to_local(event.at).date()
        last = pairs[-1] if pairs else None
        same_day = last is not None and to_local(last[0]).date() == day
        if event.action == SIGN_IN:
            if same_day and last[1] is None and event.at - last[0] <= missed_at(last[0]):
                continue  # a repeated scan: the first sign-in counts
            pairs.append([event.at, None])
        elif same_day:
            last[1] = event.at  # closes the open sign-in, or a later sign-out supersedes
    outcomes = []
    for sign_in, sign_out in pairs:
        duty = Duty(user_id, to_local(sign_in).date(), None, sign_in, sign_out or sign_in, "", True)
        if sign_out is not None:
            outcomes.append(
                DutyOutcome(duty, EXTRA, 0, 0, _minutes(sign_out - sign_in), sign_in, sign_out)
            )
        elif now is not None and now < sign_in + missed_at(sign_in):
            outcomes.append(DutyOutcome(duty, IN_PROGRESS, sign_in_at=sign_in))
        else:
            outcomes.append(DutyOutcome(duty, DutyStatus.missed_sign_out.value, sign_in_at=sign_in))
    return outcomes


_UNDECIDED = (UPCOMING, IN_PROGRESS)
_ATTENDED = (
    DutyStatus.normal,
    DutyStatus.late,
    DutyStatus.early,
    DutyStatus.late_early,
    DutyStatus.missed_sign_out,
)


_LATE = (DutyStatus.late, DutyStatus.late_early)


def counts_late(outcome: DutyOutcome) -> bool:
    """Whether a duty counts once in 迟到 (SPEC §3: from the late sign-in on, marks add up).

    A late sign-in counts while the duty is still under way and when it ends as 漏签退 too,
    so the door, /me and every list agree the moment the sign-in is recorded.
    """
    if outcome.duty.extra:
        return False
    if outcome.status in _LATE:
        return True
    return outcome.late_minutes > 0 and outcome.status in (
        IN_PROGRESS,
        DutyStatus.missed_sign_out,
    )


def summarize(outcomes: Iterable[DutyOutcome]) -> AttendanceSummary:
    """Counts for one person; undecided duties are not 'expected', but a late sign-in counts."""
    counts = dict.fromkeys(AttendanceSummary.__dataclass_fields__, 0)
    for outcome in outcomes:
        status = outcome.status
        if counts_late(outcome):
            counts["late"] += 1
            counts["late_minutes"] += outcome.late_minutes
        if status in _UNDECIDED:
            continue
        counts["credited_minutes"] += outcome.credited_minutes
        if status == DutyStatus.missed_sign_out:
            counts["missed_sign_out"] += 1  # 漏签退 counts whether the duty was scheduled or not
        if outcome.duty.extra:
            counts["extra"] += 1
            continue
        counts["expected"] += 1
        counts["attended"] += status in _ATTENDED
        counts["normal"] += status == DutyStatus.normal
        counts["early"] += status in (DutyStatus.early, DutyStatus.late_early)
        counts["absent"] += status == DutyStatus.absent
        counts["leave"] += status == DutyStatus.leave
    return AttendanceSummary(**counts)

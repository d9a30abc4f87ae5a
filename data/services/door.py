"""The door's write side (SPEC §4): read what a scan may do now, then do it exactly once.

No Flask here: the view passes the session, the user, the clock and the request facts in.
A sign-in reads once (the state row, then the person's semester through the read model's
inputs) and writes one row under the write lock; the late count it shows is the read model's
summary of what was read plus that row, so nothing is read twice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import revision
from data.attendance import semester_attendance
from data.attendance_inputs import AttendanceInputs, EventRow
from data.db import write_transaction
from data.models import (
    STAGE_LABELS,
    CheckAction,
    CheckEvent,
    CheckMethod,
    DeviceAlert,
    Place,
    Semester,
    Stage,
    UsedToken,
    User,
    WorkRecord,
)
from data.policy.settings import PolicySettings, SettingsHistory
from data.policy.types import AttendanceSummary
from data.services import Refused
from data.services.door_reads import (
    carry_forward,
    person_inputs,
    settings_history,
    state_row,
)
from data.services.door_rules import (
    ACTION_LABELS,
    EXTRA_IN,
    REPLAYED,
    SIGN_IN,
    SIGN_OUT,
    DoorResult,
    DoorState,
    already_in_today,
    already_out,
    check_record,
    door_state,
    early_minutes,
    late_rule_lines,
    network_allowed,
    refuse_stale,
    settle_without_writing,
    signed_in_result,
    signed_out_result,
    today_events,
)
from data.timeutil import local_to_utc, local_today

IN_POST = (Stage.trial, Stage.appointed)
WRONG_TEAM = "这个二维码不属于你所在的团队"
NO_SEMESTER = "当前没有进行中的学期，无需签到。"


@dataclass(frozen=True)
class Scan:
    """The request facts of one door action."""

    place_id: int
    method: CheckMethod
    ip: str
    device_id: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class Door:
    """What one read found: the place, the person's semester and the button's state."""

    user_id: int
    team_id: int
    place: Place | None
    semester: Semester
    history: SettingsHistory
    inputs: AttendanceInputs
    state: DoorState
    token_used: bool = False
    revision: str | None = None  # the data revision ``inputs`` were read under

    @property
    def settings(self) -> PolicySettings:
        return self.history.current


@dataclass(frozen=True)
class Confirm:
    """A sign-out that would be 早退: asked first, with the record kept for the second press."""

    early: int
    record: str


# --- Reading --------------------------------------------------------------------------------


def read(
    session: Session,
    actor: User,
    place_id: int | None,
    ip: str | None,
    now: datetime,
    fingerprint: str | None = None,
) -> Door:
    """The door for ``actor`` scanned at ``place_id``; Refused (in the order the SPEC asks)."""
    user_id, team_id = actor.id, actor.team_id
    row = state_row(session, user_id, team_id, place_id, local_today(now), fingerprint)
    place, values, semester, stage, used, revision = row
    if place_id is not None and (place is None or place.team_id != team_id):
        raise Refused(WRONG_TEAM)
    history = settings_history(team_id, values)
    if ip is not None and not network_allowed(ip, history.current):
        raise Refused("请连接校园网（学院 Wi-Fi）后再扫码签到。")
    if semester is None:
        raise Refused(NO_SEMESTER)
    _check_in_post(stage)
    inputs = person_inputs(session, semester, user_id, revision)
    state = door_state(inputs, semester, history, user_id, now)
    return Door(user_id, team_id, place, semester, history, inputs, state, bool(used), revision)


def _check_in_post(stage: Stage | None) -> None:
    if stage not in IN_POST:
        state = f"（当前状态：{STAGE_LABELS[stage]}）" if stage else ""
        raise Refused(f"你本学期不在聘任期内{state}，不能签到。如有疑问请联系兼辅老师。")


def answer_repeat(
    session: Session, actor: User, requested: str, now: datetime
) -> DoorResult | None:
    """A press from a stale tab after the action already happened (its scan proof is used up).

    Writing nothing needs no presence proof: say what was recorded, e.g. "已签到（08:02）".
    None when the press would change something, so a new scan is needed.
    """
    if requested not in ACTION_LABELS:
        return None
    _place, values, semester, _stage, _used, revision = state_row(
        session, actor.id, actor.team_id, None, local_today(now), None
    )
    if semester is None:
        return None
    inputs = person_inputs(session, semester, actor.id, revision)
    history = settings_history(actor.team_id, values)
    state = door_state(inputs, semester, history, actor.id, now)
    try:
        settled = settle_without_writing(state, today_events(inputs.events, now), requested)
    except Refused:
        return None
    return settled if settled is not None and settled.repeated else None


# --- Pressing the button ----------------------------------------------------------------------


def press(
    session: Session,
    door: Door,
    requested: str,
    scan: Scan,
    now: datetime,
    record: str = "",
    confirmed: bool = False,
) -> DoorResult | Confirm:
    """Do the requested action once; a repeat writes nothing and says what already happened.

    Raises Refused with a Chinese message when nothing may be written.
    """
    if requested == SIGN_OUT and not confirmed:
        # 早退 is asked first (SPEC §3); the proof and the record stay for the second press.
        if door.token_used:
            raise Refused(REPLAYED)
        text = check_record(record, door.settings)
        early = early_minutes(door.state, door.settings, now)
        if early:
            return Confirm(early, text)
    settled = settle_without_writing(door.state, today_events(door.inputs.events, now), requested)
    if settled is not None:
        return settled
    if door.token_used:
        raise Refused(REPLAYED)
    try:
        # The door's rows are read by its own team alone: only the team's revision changes.
        with write_transaction(session, team=door.team_id):
            revision.expect(session, door.revision)
            if not _scheduled(requested, door.state):
                # Only a scheduled duty has a unique key: anything else is decided again under
                # the lock (a PostgreSQL row lock; SQLite holds the write lock already).
                session.execute(select(User.id).where(User.id == door.user_id).with_for_update())
                door = dataclasses.replace(door, **_fresh(session, door, now))
                settled = settle_without_writing(
                    door.state, today_events(door.inputs.events, now), requested
                )
                if settled is not None:
                    return settled
                if requested == EXTRA_IN and door.state.action == SIGN_IN:
                    requested = SIGN_IN  # a duty is due: sign in for it rather than as extra
            result, row = _record(session, door, requested, scan, now, record)
    except IntegrityError as error:
        if UsedToken.__tablename__ in (error.statement or ""):
            raise Refused(REPLAYED) from None
        # Another request won the race for this duty: report what it recorded.
        today = _events_today(session, door.user_id, now)
        if requested in (SIGN_IN, EXTRA_IN):
            return already_in_today(today) or refuse_stale()
        return already_out(today)
    inputs = door.inputs.with_event(row)
    if (carried := revision.succession(session)) is not None:
        # Our write was the only change: the next request of anyone here reads no more.
        carry_forward(session, door.semester, door.user_id, inputs, *carried)
    if result.action == SIGN_IN:
        lines = late_count_lines(session, door, inputs, now)
        result = dataclasses.replace(result, lines=[*result.lines, *lines])
    return result


def _scheduled(requested: str, state: DoorState) -> bool:
    return (
        state.duty is not None
        and state.duty.shift_id is not None
        and (requested, state.action) in ((SIGN_IN, SIGN_IN), (SIGN_OUT, SIGN_OUT))
    )


def _fresh(session: Session, door: Door, now: datetime) -> dict:
    """The semester, settings and state as they are now (read inside the write transaction)."""
    _place, values, semester, stage, _used, read_under = state_row(
        session, door.user_id, door.team_id, None, local_today(now), None
    )
    if semester is None:
        raise Refused(NO_SEMESTER)
    _check_in_post(stage)
    history = SettingsHistory.from_dict(values)
    inputs = person_inputs(session, semester, door.user_id)
    state = door_state(inputs, semester, history, door.user_id, now)
    fresh = {"semester": semester, "history": history, "inputs": inputs, "state": state}
    # Read under the write lock: exactly the revision this transaction replaces.
    revision.expect(session, read_under)
    return fresh | {"revision": read_under}


def _events_today(session: Session, user_id: int, now: datetime) -> list[EventRow]:
    start = local_to_utc(local_today(now), datetime.min.time())
    query = (
        select(
            CheckEvent.user_id,
            CheckEvent.duty_date,
            CheckEvent.shift_id,
            CheckEvent.at,
            CheckEvent.action,
            CheckEvent.method,
        )
        .where(
            CheckEvent.user_id == user_id,
            CheckEvent.at >= start,
            CheckEvent.at < start + timedelta(days=1),
        )
        .order_by(CheckEvent.at)
    )
    return [EventRow(*row) for row in session.execute(query)]


_INSERT_TOKEN = insert(UsedToken)
_INSERT_EVENT = insert(CheckEvent)
_INSERT_RECORD = insert(WorkRecord)
# Who else signed in or out with this device today (bound: device_id, start, end, user_id).
_OTHERS_ON_DEVICE = select(CheckEvent.user_id).where(
    CheckEvent.device_id == bindparam("device_id"),
    CheckEvent.at >= bindparam("start"),
    CheckEvent.at < bindparam("end"),
    CheckEvent.user_id != bindparam("user_id"),
)


def _record(
    session: Session, door: Door, requested: str, scan: Scan, now: datetime, record: str
) -> tuple[DoorResult, EventRow]:
    """Write the action (the caller's transaction commits); the unique keys refuse a repeat."""
    # Core statements built once: the ORM's per-statement work outweighed these small writes.
    connection = session.connection()
    if scan.fingerprint:
        # A kiosk code is used once per account: the unique key refuses a second use.
        values = {"user_id": door.user_id, "token_hash": scan.fingerprint, "used_at": now}
        connection.execute(_INSERT_TOKEN, values)
    state, settings = door.state, door.settings
    signing_in = requested in (SIGN_IN, EXTRA_IN)
    text = "" if signing_in else check_record(record, settings)
    scheduled = requested == SIGN_IN if signing_in else state.action == SIGN_OUT
    duty = state.duty if scheduled else None
    action = CheckAction.sign_in if signing_in else CheckAction.sign_out
    row = EventRow(
        door.user_id,
        duty.day if duty else None,
        duty.shift_id if duty else None,
        now,
        action,
        scan.method,
    )
    connection.execute(
        _INSERT_EVENT,
        {
            **row._asdict(),
            "place_id": scan.place_id,
            "source_ip": scan.ip,
            "device_id": scan.device_id,
        },
    )
    if signing_in:
        _note_device(session, door, scan.device_id, now)
        return signed_in_result(duty, state, settings, now), row
    day = duty.day if duty else local_today(now)
    connection.execute(
        _INSERT_RECORD,
        {"user_id": door.user_id, "duty_date": day, "shift_id": row.shift_id, "content": text},
    )
    return signed_out_result(duty, state, settings, now), row


def late_count_lines(
    session: Session, door: Door, inputs: AttendanceInputs, now: datetime
) -> list[str]:
    """ "本学期已迟到 N 次（3 次即不合格）": the read model's summary of this person, as everywhere.

    ``inputs`` is what the door read plus the sign-in it wrote, so the read model reads nothing.
    """
    attendance = semester_attendance(
        session, door.semester, now, {door.user_id}, settings=door.history, inputs=inputs
    )
    summary = attendance.summaries().get(door.user_id) or AttendanceSummary()
    return late_rule_lines(summary.late, attendance.settings)


def _note_device(session: Session, door: Door, device_id: str, now: datetime) -> None:
    """One phone, two accounts, one day: store a warning for the counselor (SPEC §4)."""
    if not door.settings.device_binding or not device_id:
        return
    today = local_today(now)
    start = local_to_utc(today, datetime.min.time())
    params = {
        "device_id": device_id,
        "start": start,
        "end": start + timedelta(days=1),
        "user_id": door.user_id,
    }
    others = set(session.connection().execute(_OTHERS_ON_DEVICE, params).scalars())
    if not others:
        return
    alert = session.scalar(
        select(DeviceAlert).where(DeviceAlert.device_id == device_id, DeviceAlert.on == today)
    )
    users = sorted(others | {door.user_id})
    if alert is None:
        session.add(
            DeviceAlert(team_id=door.team_id, device_id=device_id, on=today, user_ids=users)
        )
    else:
        alert.user_ids = sorted(set(alert.user_ids) | set(users))

"""The door's business logic: what a scan may do now, and doing it exactly once.

No Flask here: views pass the session, the user, the clock and the request facts in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkin.tokens import REPLAYED
from data.attendance import (
    current_semester,
    duties_on,
    semester_attendance,
    team_settings,
    team_settings_history,
)
from data.models import (
    STAGE_LABELS,
    Appointment,
    CheckAction,
    CheckEvent,
    CheckMethod,
    DeviceAlert,
    Semester,
    Stage,
    UsedToken,
    User,
    WorkRecord,
)
from data.policy.classify import classify_duty
from data.policy.settings import PolicySettings
from data.policy.types import AttendanceSummary, Duty, Event
from data.timeutil import local_to_utc, local_today, to_local

SIGN_IN, SIGN_OUT, EXTRA_IN, EXTRA_OUT, CLOSED = (
    "sign_in",
    "sign_out",
    "extra_in",
    "extra_out",
    "closed",
)
ACTION_LABELS = {SIGN_IN: "签到", SIGN_OUT: "签退", EXTRA_IN: "加班签到", EXTRA_OUT: "加班签退"}
WEEKDAYS = "一二三四五六日"
ON_DUTY = (Stage.trial, Stage.appointed)


class Refused(Exception):
    """A refused door action; the message is Chinese and shown as is."""


class RecordMissing(Refused):
    """Sign-out without a usable work record: the form is shown again."""


@dataclass(frozen=True)
class DoorState:
    """What the one big button does now."""

    action: str
    duty: Duty | None = None
    signed_in_at: datetime | None = None
    opens_at: datetime | None = None
    note: str = ""
    rules: PolicySettings | None = None  # the per-duty settings in force at the duty's start

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, "")


@dataclass(frozen=True)
class DoorResult:
    action: str
    headline: str  # 准时 / 迟到 N 分钟 / 已签退 …
    lines: list[str] = field(default_factory=list)
    tone: str = "success"  # bootstrap colour
    repeated: bool = False


def describe_duty(duty: Duty) -> str:
    start, end = to_local(duty.start), to_local(duty.end)
    place = f" {duty.place}" if duty.place else ""
    return f"周{WEEKDAYS[start.weekday()]} {start:%H:%M}–{end:%H:%M}{place}"


def network_allowed(ip: str, settings: PolicySettings) -> bool:
    if not settings.allowed_networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(c, strict=False) for c in settings.allowed_networks)


def check_appointed(session: Session, user: User, semester: Semester) -> None:
    stage = session.scalar(
        select(Appointment.stage).where(
            Appointment.user_id == user.id, Appointment.semester_id == semester.id
        )
    )
    if stage not in ON_DUTY:
        state = f"（当前状态：{STAGE_LABELS[stage]}）" if stage else ""
        raise Refused(f"你本学期不在聘任期内{state}，不能签到。如有疑问请联系兼辅老师。")


def _events_today(session: Session, user: User, now: datetime) -> list[CheckEvent]:
    today = local_today(now)
    start = local_to_utc(today, datetime.min.time())
    return list(
        session.scalars(
            select(CheckEvent)
            .where(
                CheckEvent.user_id == user.id,
                CheckEvent.at >= start,
                CheckEvent.at < start + timedelta(days=1),
            )
            .order_by(CheckEvent.at)
        )
    )


def door_state(
    session: Session, user: User, semester: Semester, settings: PolicySettings, now: datetime
) -> DoorState:
    today = local_today(now)
    events = _events_today(session, user, now)
    scheduled = [e for e in events if e.duty_date == today]
    signed_in = {e.shift_id: e.at for e in scheduled if e.action is CheckAction.sign_in}
    signed_out = {e.shift_id for e in scheduled if e.action is CheckAction.sign_out}
    missed = timedelta(minutes=settings.missed_sign_out_minutes)
    duties = duties_on(session, semester, today, user.id)
    # Each duty keeps the per-duty settings in force at its start (SPEC §3 "The record holds").
    history = team_settings_history(session, semester.team_id)
    rules = {duty.key: history.for_duty(duty.start) for duty in duties}

    def window(duty: Duty) -> timedelta:
        return timedelta(minutes=rules[duty.key].sign_in_window_minutes)

    # An open duty first: signed in, not yet out, still inside the sign-out window.
    for duty in duties:
        opened = signed_in.get(duty.shift_id)
        closes = duty.end + timedelta(minutes=rules[duty.key].missed_sign_out_minutes)
        if opened and duty.shift_id not in signed_out and now <= closes:
            return DoorState(SIGN_OUT, duty, signed_in_at=opened, rules=rules[duty.key])
    for duty in duties:
        if duty.shift_id not in signed_in and duty.start - window(duty) <= now <= duty.end:
            return DoorState(SIGN_IN, duty, rules=rules[duty.key])
    extra_open = _open_extra(events, now, missed)
    if extra_open is not None:
        return DoorState(EXTRA_OUT, signed_in_at=extra_open.at)
    upcoming = [d for d in duties if d.shift_id not in signed_in and d.start > now]
    if upcoming:
        nxt = upcoming[0]
        return DoorState(
            CLOSED,
            nxt,
            opens_at=nxt.start - window(nxt),
            note="现在也可以加班签到（计入加班工时）。",
        )
    return DoorState(EXTRA_IN, note="现在没有你的值班，签到将记为加班。")


def _open_extra(events: list[CheckEvent], now: datetime, missed: timedelta) -> CheckEvent | None:
    """Today's unscheduled sign-in that has no sign-out after it yet."""
    open_in = None
    for event in events:
        if event.duty_date is not None:
            continue
        if event.action is CheckAction.sign_in:
            open_in = event
        elif open_in is not None:
            open_in = None
    if open_in is not None and now - open_in.at <= missed + timedelta(hours=10):
        return open_in
    return None


def lock_user(session: Session, user_id: int) -> User:
    """Serialize one person's door actions (PostgreSQL row lock; SQLite takes the write lock)."""
    return session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()


def consume_token(session: Session, user: User, fingerprint: str | None, now: datetime) -> None:
    """Mark a kiosk code as used by this account; the unique key refuses a second use."""
    if not fingerprint:
        return
    try:
        with session.begin_nested():
            session.add(UsedToken(user_id=user.id, token_hash=fingerprint, used_at=now))
    except IntegrityError:
        raise Refused(REPLAYED) from None


def check_token_unused(session: Session, user: User, fingerprint: str | None) -> None:
    """Refuse a replayed kiosk code before asking anything (``consume_token`` still decides)."""
    if fingerprint and session.scalar(
        select(UsedToken.id).where(
            UsedToken.user_id == user.id, UsedToken.token_hash == fingerprint
        )
    ):
        raise Refused(REPLAYED)


@dataclass(frozen=True)
class Scan:
    """The request facts of one door action."""

    place_id: int
    method: CheckMethod
    ip: str
    device_id: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What the read before the write transaction found (see ``perform``)."""

    state: DoorState
    settings: PolicySettings


def _scheduled(requested: str, state: DoorState) -> bool:
    return (
        state.duty is not None
        and state.duty.shift_id is not None
        and (requested, state.action) in ((SIGN_IN, SIGN_IN), (SIGN_OUT, SIGN_OUT))
    )


def settle_without_writing(
    session: Session, user: User, requested: str, state: DoorState, now: datetime
) -> DoorResult | None:
    """The answer to a press that changes nothing (a repeat), or a refusal; None = must write."""
    if requested in (SIGN_IN, EXTRA_IN) and state.action in (SIGN_OUT, EXTRA_OUT):
        signed = to_local(state.signed_in_at)
        return DoorResult(requested, f"已签到（{signed:%H:%M}）", ["无需重复签到。"], "info", True)
    if requested in (SIGN_OUT, EXTRA_OUT) and state.action not in (SIGN_OUT, EXTRA_OUT):
        return _already_out(session, user, now)
    if requested == SIGN_IN and state.action == EXTRA_IN:
        return _already_in_today(session, user, now) or _refuse_stale()
    if state.action == CLOSED and requested != EXTRA_IN:
        opens = to_local(state.opens_at)
        raise Refused(f"签到还没开始：{describe_duty(state.duty)}，{opens:%H:%M} 起可以签到。")
    return None


def perform(
    session: Session,
    user_id: int,
    requested: str,
    scan: Scan,
    now: datetime,
    record: str = "",
    fast: Prepared | None = None,
) -> DoorResult:
    """Do the requested action once; a repeat is a no-op that says what already happened.

    The caller commits. Raises Refused with a Chinese message when nothing may be written.
    """
    if fast is not None and _scheduled(requested, fast.state):
        # A scheduled duty's sign-in/out is protected by the unique key on (person, duty,
        # action): the state read before the write transaction is enough, and the write
        # lock is held only for the inserts.
        user = session.get(User, user_id)
        consume_token(session, user, scan.fingerprint, now)
        if requested == SIGN_IN:
            return _sign_in(session, user, None, fast.settings, fast.state, scan, now, requested)
        return _sign_out(session, user, None, fast.settings, fast.state, scan, now, record)
    user = lock_user(session, user_id)
    today = local_today(now)
    semester = current_semester(session, user.team_id, today)
    if semester is None:
        raise Refused("当前没有进行中的学期，无需签到。")
    settings = team_settings(session, semester.team_id)
    check_appointed(session, user, semester)
    state = door_state(session, user, semester, settings, now)
    settled = settle_without_writing(session, user, requested, state, now)
    if settled is not None:
        return settled
    if requested == EXTRA_IN and state.action == SIGN_IN:
        requested = SIGN_IN  # a duty is due: sign in for it rather than as extra

    consume_token(session, user, scan.fingerprint, now)
    if requested in (SIGN_IN, EXTRA_IN):
        return _sign_in(session, user, semester, settings, state, scan, now, requested)
    return _sign_out(session, user, semester, settings, state, scan, now, record)


def _refuse_stale():
    raise Refused("页面已过期，请重新扫码。")


def _already_in_today(session: Session, user: User, now: datetime) -> DoorResult | None:
    events = [e for e in _events_today(session, user, now) if e.action is CheckAction.sign_in]
    if not events:
        return None
    last = to_local(events[-1].at)
    return DoorResult(SIGN_IN, f"已签到（{last:%H:%M}）", ["今天的值班已签到。"], "info", True)


def _already_out(session: Session, user: User, now: datetime) -> DoorResult:
    outs = [e for e in _events_today(session, user, now) if e.action is CheckAction.sign_out]
    if outs:
        last = to_local(outs[-1].at)
        return DoorResult(SIGN_OUT, f"已签退（{last:%H:%M}）", ["无需重复签退。"], "info", True)
    raise Refused("你还没有签到，不能签退。")


def _sign_in(session, user, semester, settings, state, scan, now, requested) -> DoorResult:
    duty = state.duty if requested == SIGN_IN else None
    event = CheckEvent(
        user_id=user.id,
        action=CheckAction.sign_in,
        at=now,
        method=scan.method,
        duty_date=duty.day if duty else None,
        shift_id=duty.shift_id if duty else None,
        place_id=scan.place_id,
        source_ip=scan.ip,
        device_id=scan.device_id,
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        # Another request won the race for this duty: report what it recorded.
        return _already_in_today(session, user, now) or _refuse_stale()
    _note_device(session, user, scan.device_id, now, settings)
    if duty is None:
        return DoorResult(EXTRA_IN, "加班签到成功", [f"签到时间 {to_local(now):%H:%M}"], "success")
    outcome = classify_duty(duty, [Event(now, "sign_in")], [], None, state.rules or settings, now)
    # The semester's late count is added by late_count_lines after the commit, outside
    # the write lock (it reads the whole semester).
    lines = [describe_duty(duty)]
    if outcome.late_minutes:
        return DoorResult(SIGN_IN, f"迟到 {outcome.late_minutes} 分钟", lines, "warning")
    return DoorResult(SIGN_IN, "准时", lines, "success")


def check_record(record: str, settings: PolicySettings) -> str:
    """The work record a sign-out needs (第六条二), stripped; RecordMissing if unusable."""
    text = (record or "").strip()
    if len(text) < settings.work_record_min_chars:
        raise RecordMissing(
            f"请填写工作记录（至少 {settings.work_record_min_chars} 个字）后再签退。"
        )
    if len(text) > 2000:
        raise RecordMissing("工作记录太长了，请精简到 2000 字以内。")
    return text


def early_minutes(state: DoorState, settings: PolicySettings, now: datetime) -> int:
    """早退 minutes a scheduled sign-out now would record (0 = not early), by the engine's rule."""
    if state.action != SIGN_OUT or state.duty is None or state.signed_in_at is None:
        return 0
    events = [Event(state.signed_in_at, "sign_in"), Event(now, "sign_out")]
    # Judged as if decided: a sign-out before the start is early too, not "upcoming".
    moment = max(now, state.duty.start)
    return classify_duty(
        state.duty, events, [], None, state.rules or settings, moment
    ).early_minutes


def answer_repeat(session: Session, user: User, requested: str, now: datetime) -> DoorResult | None:
    """A press from a stale tab after the action already happened (its scan proof is used up).

    Writing nothing needs no presence proof: say what was recorded, e.g. "已签到（08:02）".
    None when the press would change something, so a new scan is needed.
    """
    semester = current_semester(session, user.team_id, local_today(now))
    if semester is None or requested not in ACTION_LABELS:
        return None
    state = door_state(session, user, semester, team_settings(session, semester.team_id), now)
    try:
        settled = settle_without_writing(session, user, requested, state, now)
    except Refused:
        return None
    return settled if settled is not None and settled.repeated else None


def _sign_out(session, user, semester, settings, state, scan, now, record) -> DoorResult:
    text = check_record(record, settings)
    duty = state.duty if state.action == SIGN_OUT else None
    event = CheckEvent(
        user_id=user.id,
        action=CheckAction.sign_out,
        at=now,
        method=scan.method,
        duty_date=duty.day if duty else None,
        shift_id=duty.shift_id if duty else None,
        place_id=scan.place_id,
        source_ip=scan.ip,
        device_id=scan.device_id,
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return _already_out(session, user, now)
    session.add(
        WorkRecord(
            user_id=user.id,
            duty_date=duty.day if duty else local_today(now),
            shift_id=duty.shift_id if duty else None,
            content=text,
        )
    )
    if duty is None:
        minutes = max(0, int((now - state.signed_in_at).total_seconds() // 60))
        return DoorResult(EXTRA_OUT, "加班签退成功", [f"本次加班 {_hm(minutes)}"], "success")
    events = [Event(state.signed_in_at, "sign_in"), Event(now, "sign_out")]
    outcome = classify_duty(duty, events, [], None, state.rules or settings, now)
    lines = [describe_duty(duty), f"本次计入 {_hm(outcome.credited_minutes)}"]
    if outcome.early_minutes:
        return DoorResult(SIGN_OUT, f"早退 {outcome.early_minutes} 分钟", lines, "warning")
    return DoorResult(SIGN_OUT, "已签退", lines, "success")


def _hm(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} 小时 {rest} 分钟" if hours else f"{rest} 分钟"


def late_count_lines(session: Session, user_id: int, now: datetime) -> list[str]:
    """ "本学期已迟到 N 次（3 次即不合格）": the read model's summary of this person, as everywhere."""
    user = session.get(User, user_id)
    semester = current_semester(session, user.team_id, local_today(now))
    if semester is None:
        return []
    attendance = semester_attendance(session, semester, now, user_ids={user_id})
    summary = attendance.summaries().get(user_id) or AttendanceSummary()
    return late_rule_lines(summary.late, attendance.settings)


def late_rule_lines(lates: int, settings: PolicySettings) -> list[str]:
    """The late count said with its rule (never "4/3"), plus a plea once the limit is reached."""
    limit = settings.late_critical
    lines = [f"本学期已迟到 {lates} 次（{limit} 次即不合格）"]
    if lates >= limit:
        lines.append(f"迟到 {limit} 次及以上将评为不合格，请联系兼辅老师。")
    return lines


def _note_device(
    session: Session, user: User, device_id: str, now: datetime, settings: PolicySettings
) -> None:
    """One phone, two accounts, one day: store a warning for the counselor (SPEC §4)."""
    if not settings.device_binding or not device_id:
        return
    today = local_today(now)
    start = local_to_utc(today, datetime.min.time())
    others = set(
        session.scalars(
            select(CheckEvent.user_id).where(
                CheckEvent.device_id == device_id,
                CheckEvent.at >= start,
                CheckEvent.at < start + timedelta(days=1),
                CheckEvent.user_id != user.id,
            )
        )
    )
    if not others:
        return
    alert = session.scalar(
        select(DeviceAlert).where(DeviceAlert.device_id == device_id, DeviceAlert.on == today)
    )
    users = sorted(others | {user.id})
    if alert is None:
        session.add(
            DeviceAlert(team_id=user.team_id, device_id=device_id, on=today, user_ids=users)
        )
    else:
        alert.user_ids = sorted(set(alert.user_ids) | set(users))

"""What the door's one button does now, and what each press answers (SPEC §4).

Pure functions of what ``data.services.door`` read: today's duties and events of one person
and the settings in force. The late/early minutes come from the policy engine, never from here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from data.attendance_inputs import AttendanceInputs, EventRow
from data.inputs import clean_block
from data.models import CheckAction, Semester
from data.policy.classify import classify_duty
from data.policy.settings import PolicySettings, SettingsHistory
from data.policy.types import Duty, Event
from data.services import Refused
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
RECORD_MAX = 2000  # a work record's length limit (characters)
REPLAYED = "这个二维码你已经用过了，请扫描屏幕上的最新二维码"


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


def today_events(events: list[EventRow], now: datetime) -> list[EventRow]:
    start = local_to_utc(local_today(now), datetime.min.time())
    return [e for e in events if start <= e.at < start + timedelta(days=1)]


def door_state(
    inputs: AttendanceInputs,
    semester: Semester,
    history: SettingsHistory,
    user_id: int,
    now: datetime,
) -> DoorState:
    today = local_today(now)
    events = today_events(inputs.events, now)
    scheduled = [e for e in events if e.duty_date == today]
    signed_in = {e.shift_id: e.at for e in scheduled if e.action is CheckAction.sign_in}
    signed_out = {e.shift_id for e in scheduled if e.action is CheckAction.sign_out}
    missed = timedelta(minutes=history.current.missed_sign_out_minutes)
    duties = inputs.duties_on(semester, today, user_id)
    # Each duty keeps the per-duty settings in force at its start (SPEC §3 "The record holds").
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


def _open_extra(events: list[EventRow], now: datetime, missed: timedelta) -> EventRow | None:
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


# --- Answering without writing --------------------------------------------------------------


def settle_without_writing(
    state: DoorState, today: list[EventRow], requested: str
) -> DoorResult | None:
    """The answer to a press that changes nothing (a repeat), or a refusal; None = must write."""
    if requested in (SIGN_IN, EXTRA_IN) and state.action in (SIGN_OUT, EXTRA_OUT):
        signed = to_local(state.signed_in_at)
        return DoorResult(requested, f"已签到（{signed:%H:%M}）", ["无需重复签到。"], "info", True)
    if requested in (SIGN_OUT, EXTRA_OUT) and state.action not in (SIGN_OUT, EXTRA_OUT):
        return already_out(today)
    if requested == SIGN_IN and state.action == EXTRA_IN:
        return already_in_today(today) or refuse_stale()
    if state.action == CLOSED and requested != EXTRA_IN:
        opens = to_local(state.opens_at)
        raise Refused(f"签到还没开始：{describe_duty(state.duty)}，{opens:%H:%M} 起可以签到。")
    return None


def refuse_stale():
    raise Refused("页面已过期，请重新扫码。")


def already_in_today(today: list[EventRow]) -> DoorResult | None:
    ins = [e for e in today if e.action is CheckAction.sign_in]
    if not ins:
        return None
    last = to_local(ins[-1].at)
    return DoorResult(SIGN_IN, f"已签到（{last:%H:%M}）", ["今天的值班已签到。"], "info", True)


def already_out(today: list[EventRow]) -> DoorResult:
    outs = [e for e in today if e.action is CheckAction.sign_out]
    if outs:
        last = to_local(outs[-1].at)
        return DoorResult(SIGN_OUT, f"已签退（{last:%H:%M}）", ["无需重复签退。"], "info", True)
    raise Refused("你还没有签到，不能签退。")


def check_record(record: Any, settings: PolicySettings) -> str:
    """The work record a sign-out needs (第六条二), stripped; RecordMissing if unusable."""
    text = clean_block(record, RECORD_MAX + 1)  # one more: too long is refused, not cut
    if len(text) < settings.work_record_min_chars:
        raise RecordMissing(
            f"请填写工作记录（至少 {settings.work_record_min_chars} 个字）后再签退。"
        )
    if len(text) > RECORD_MAX:
        raise RecordMissing(f"工作记录太长了，请精简到 {RECORD_MAX} 字以内。")
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


def signed_in_result(
    duty: Duty | None, state: DoorState, settings: PolicySettings, now: datetime
) -> DoorResult:
    if duty is None:
        return DoorResult(EXTRA_IN, "加班签到成功", [f"签到时间 {to_local(now):%H:%M}"], "success")
    outcome = classify_duty(duty, [Event(now, "sign_in")], [], None, state.rules or settings, now)
    lines = [describe_duty(duty)]
    if outcome.late_minutes:
        return DoorResult(SIGN_IN, f"迟到 {outcome.late_minutes} 分钟", lines, "warning")
    return DoorResult(SIGN_IN, "准时", lines, "success")


def signed_out_result(
    duty: Duty | None, state: DoorState, settings: PolicySettings, now: datetime
) -> DoorResult:
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


def late_rule_lines(lates: int, settings: PolicySettings) -> list[str]:
    """The late count said with its rule (never "4/3"), plus a plea once the limit is reached."""
    limit = settings.late_critical
    lines = [f"本学期已迟到 {lates} 次（{limit} 次即不合格）"]
    if lates >= limit:
        lines.append(f"迟到 {limit} 次及以上将评为不合格，请联系兼辅老师。")
    return lines

"""Every policy default of SPEC §3 in one settings object, stored per team as JSON."""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

CHECKIN_MODES = ("poster", "kiosk", "both")
ELECTION_TIE_RULES = ("counselor", "runoff")  # 兼辅在并列者中确定 / 并列者再投一轮
# Settings that judge one duty: a change applies to duties that start after it (SPEC §3 "The
# record holds"), so the past keeps the values in force when it happened.
PER_DUTY_FIELDS = (
    "sign_in_window_minutes",
    "grace_minutes",
    "missed_sign_out_minutes",
    "missed_sign_out_credits_zero",
)
# Settings that judge a semester's totals: they apply at once, after a preview of who changes.
TOTALS_FIELDS = (
    "late_info",
    "late_warning",
    "late_critical",
    "absence_warning",
    "absence_critical",
    "attendance_max",
    "late_penalty",
    "absence_penalty",
    "missed_sign_out_penalty",
    "early_penalty",
    "records_max",
    "meetings_max",
    "meeting_absence_penalty",
    "counselor_max",
    "peer_max",
    "excellent_min",
    "qualified_min",
    "excellent_quota",
    "hourly_rate",
    "monthly_cap_hours",
    "grade_factors",
    "overdue_task_is_warning",  # 交办任务 (data.policy.tasks)
    "overdue_task_deduction",
)
EPOCHS_KEY = "per_duty_epochs"
# The range of every numeric setting, in one place: the form refuses anything outside it, the
# object never holds it, and a stored value outside it (old data, e.g. Infinity) reads as the
# default. Wide enough for any college's rules; the SPEC §3 defaults sit well inside.
BOUNDS: dict[str, tuple[float, float]] = {
    "sign_in_window_minutes": (0, 1440),
    "grace_minutes": (0, 720),
    "missed_sign_out_minutes": (0, 1440),
    "work_record_min_chars": (0, 500),
    "late_info": (1, 100),
    "late_warning": (1, 100),
    "late_critical": (1, 100),
    "absence_warning": (1, 100),
    "absence_critical": (1, 100),
    "meetings_required": (0, 100),
    "trainings_required": (0, 100),
    "trial_days": (0, 366),
    "resignation_notice_days": (0, 366),
    "attendance_max": (0, 100),
    "late_penalty": (0, 100),
    "absence_penalty": (0, 100),
    "missed_sign_out_penalty": (0, 100),
    "early_penalty": (0, 100),
    "records_max": (0, 100),
    "meetings_max": (0, 100),
    "meeting_absence_penalty": (0, 100),
    "counselor_max": (0, 100),
    "peer_max": (0, 100),
    "excellent_min": (0, 100),
    "qualified_min": (0, 100),
    "excellent_quota": (0, 1),  # and above 0; None (no quota) is allowed too
    "hourly_rate": (0, 10_000),
    "monthly_cap_hours": (0, 744),  # the hours of a 31-day month
    "grade_factors": (0, 10),  # each of the three factors
    "kiosk_step_seconds": (5, 3600),
    "notify_missed_signout_after": (1, 1440),
    "notify_shift_start_before": (1, 720),
    "task_due_soon_hours": (1, 720),  # 交办任务: "即将到期" within this many hours
    "overdue_task_deduction": (0, 100),  # points per overdue task off the work-record part
    "election_min_turnout": (0, 100),
}
CLOCK_FIELDS = ("notify_digest_at", "notify_duty_list_at")  # "HH:MM", college time
CLOCK_TEXT = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
GRADES = ("excellent", "qualified", "unqualified")


class SettingsError(ValueError):
    """A settings value that cannot be used; the message is Chinese and names the field."""


@dataclass(frozen=True)
class PolicySettings:
    # Attendance (第六条二、四)
    sign_in_window_minutes: int = 30  # sign-in opens this long before the shift start
    grace_minutes: int = 5  # later than start + grace is late; earlier than end − grace is early
    missed_sign_out_minutes: int = 120  # no sign-out by end + this → 漏签退
    missed_sign_out_credits_zero: bool = True  # "如不按照规定签到，后果自负"
    work_record_min_chars: int = 5
    # Warnings (第七条三)
    late_info: int = 1
    late_warning: int = 2
    late_critical: int = 3  # 迟到三次以上, "以上" includes 3
    absence_warning: int = 1
    absence_critical: int = 2
    # Meetings and training (第七条一、第八条二)
    meetings_required: int = 2
    trainings_required: int = 1
    # Lifecycle (第四条、第九条五)
    trial_days: int = 30
    resignation_notice_days: int = 30
    # Assessment (第九条), out of 100
    attendance_max: float = 40
    late_penalty: float = 5
    absence_penalty: float = 10
    missed_sign_out_penalty: float = 5
    early_penalty: float = 3
    records_max: float = 20
    meetings_max: float = 10
    meeting_absence_penalty: float = 10
    counselor_max: float = 20
    peer_max: float = 10
    excellent_min: float = 90
    qualified_min: float = 60
    excellent_quota: float | None = None  # share of the team that may be 优秀, e.g. 0.2; None = off
    # Stipend (第八条三、第九条三)
    hourly_rate: float = 20
    monthly_cap_hours: float = 40
    grade_factors: dict[str, float] = field(
        default_factory=lambda: {"excellent": 1.2, "qualified": 1.0, "unqualified": 0.5}
    )
    # Check-in (SPEC §4)
    checkin_modes: str = "both"
    allowed_networks: tuple[str, ...] = ()  # campus Wi-Fi CIDRs; empty = any network
    device_binding: bool = True
    kiosk_step_seconds: int = 15
    leader_can_correct: bool = False
    # Reminders (SPEC §4b): each trigger switchable, times in college time
    notify_missed_signout: bool = True
    notify_missed_signout_after: int = 15  # minutes after the shift end
    notify_shift_start: bool = False
    notify_shift_start_before: int = 10  # minutes before the shift start
    notify_second_late: bool = True
    notify_digest: bool = True
    notify_digest_at: str = "08:00"
    notify_weekly_summary: bool = True
    notify_leave_decision: bool = True
    notify_duty_list: bool = False
    notify_duty_list_at: str = "20:00"
    # 交办任务 (第六条五, data.policy.tasks)
    task_due_soon_hours: int = 24  # an open task is "即将到期" this close to its deadline
    overdue_task_is_warning: bool = False  # 预警: an overdue task is 警告 (else 提醒)
    overdue_task_deduction: float = 0  # points per overdue task off the work-record part
    notify_new_task: bool = True
    notify_task_due: bool = True  # the day before the deadline
    # 团长选举 (第八条四): a result stands only with this share of the eligible voting (percent)
    election_min_turnout: int = 50
    election_tie_rule: str = "counselor"  # ELECTION_TIE_RULES

    def __post_init__(self) -> None:
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["allowed_networks"] = list(self.allowed_networks)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> PolicySettings:
        """Settings from stored JSON: unknown keys are ignored, missing keys take defaults, and
        so do numbers outside their bounds (a stored Infinity must not break every page)."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in (values or {}).items():
            if key not in known:
                continue
            if key == "allowed_networks":
                value = tuple(value or ())
            elif key == "grade_factors":
                stored = dict(value) if isinstance(value, dict) else {}
                usable = {g: v for g, v in stored.items() if g in GRADES and usable_value(key, v)}
                value = {**cls().grade_factors, **usable}
            elif not usable_value(key, value):
                continue
            kwargs[key] = value
        return cls(**kwargs)

    def replace(self, **changes: Any) -> PolicySettings:
        return dataclasses.replace(self, **changes)


INT_FIELDS = frozenset(f.name for f in dataclasses.fields(PolicySettings) if f.type == "int")
BOOL_FIELDS = frozenset(f.name for f in dataclasses.fields(PolicySettings) if f.type == "bool")


def shown(number: float) -> str:
    """A bound as people write it: 10000, 0.5."""
    return str(int(number)) if float(number).is_integer() else str(number)


def bounds_text(name: str) -> str:
    """The range of a numeric setting for messages: "0–100"."""
    low, high = BOUNDS[name]
    return f"{shown(low)}–{shown(high)}"


def usable_value(name: str, value: Any) -> bool:
    """Whether ``value`` may be kept for setting ``name``: a finite number within its bounds
    (an integer for integer settings), a bool for bool settings; others are checked by the
    object itself."""
    if name in BOOL_FIELDS:
        return isinstance(value, bool)
    if name in CLOCK_FIELDS:
        return isinstance(value, str) and CLOCK_TEXT.fullmatch(value) is not None
    if name not in BOUNDS or (name == "excellent_quota" and value is None):
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name in INT_FIELDS and not isinstance(value, int):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    low, high = BOUNDS[name]
    return low <= value <= high  # compared as is: float() of a huge int overflows


def _validate(s: PolicySettings) -> None:
    for name in BOUNDS:
        if name == "grade_factors":
            continue
        if not usable_value(name, getattr(s, name)):
            kind = "整数" if name in INT_FIELDS else "数"
            raise SettingsError(f"{name} 须为 {bounds_text(name)} 之间的{kind}")
    if not (1 <= s.late_info <= s.late_warning <= s.late_critical):
        raise SettingsError("迟到阈值须满足 1 ≤ 提醒 ≤ 警告 ≤ 不合格风险")
    if not (1 <= s.absence_warning <= s.absence_critical):
        raise SettingsError("缺勤阈值须满足 1 ≤ 警告 ≤ 不合格风险")
    if not (0 <= s.qualified_min <= s.excellent_min <= 100):
        raise SettingsError("等级分数线须满足 0 ≤ 合格 ≤ 优秀 ≤ 100")
    if s.excellent_quota is not None and not (0 < s.excellent_quota <= 1):
        raise SettingsError("优秀比例须在 0 到 1 之间")
    if set(s.grade_factors) != set(GRADES) or not all(
        usable_value("grade_factors", v) for v in s.grade_factors.values()
    ):
        raise SettingsError(
            f"等级系数须为优秀、合格、不合格三个 {bounds_text('grade_factors')} 之间的数"
        )
    for name in CLOCK_FIELDS:
        if not usable_value(name, getattr(s, name)):
            raise SettingsError(f"{name} 须为 HH:MM 格式的时间，如 08:00")
    if s.election_tie_rule not in ELECTION_TIE_RULES:
        raise SettingsError("并列处理须为 counselor 或 runoff")
    if s.checkin_modes not in CHECKIN_MODES:
        raise SettingsError("签到方式须为 poster、kiosk 或 both")
    for cidr in s.allowed_networks:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise SettingsError(f"网段格式不正确：{cidr}") from exc


DEFAULTS = PolicySettings()


def per_duty_values(settings: PolicySettings) -> dict[str, Any]:
    """The per-duty fields of ``settings``, every one pinned (defaults included)."""
    return {name: getattr(settings, name) for name in PER_DUTY_FIELDS}


# The settings in force for a duty starting at a moment (SettingsHistory.for_duty).
SettingsFor = Callable[[datetime], PolicySettings]


class Epoch(NamedTuple):
    """Per-duty values in force for duties starting at or after ``effective_from`` (None = always)."""

    effective_from: datetime | None
    values: dict[str, Any]


def _aware(moment: datetime) -> datetime:
    # Stored instants are UTC; a naive one (SQLite) is UTC too.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_BEGINNING = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SettingsHistory:
    """The current settings plus the per-duty values in force over time (SPEC §3).

    ``epochs`` is sorted by ``effective_from`` (the first may be None: since always). No epochs
    means the current values have always applied. The last epoch in force is always read from
    ``current``, so the newest per-duty values cannot disagree with the settings form.
    """

    current: PolicySettings = DEFAULTS
    epochs: tuple[Epoch, ...] = ()
    _starts: tuple[datetime, ...] = field(default=(), init=False, repr=False, compare=False)
    _resolved: tuple[PolicySettings, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        epochs = tuple(
            Epoch(
                None if e.effective_from is None else _aware(e.effective_from),
                {**per_duty_values(DEFAULTS), **dict(e.values)},
            )
            for e in self.epochs
        )
        epochs = tuple(sorted(epochs, key=lambda e: e.effective_from or _BEGINNING))
        object.__setattr__(self, "epochs", epochs)
        object.__setattr__(self, "_starts", tuple(e.effective_from or _BEGINNING for e in epochs))
        # Resolved once: for_duty runs for every duty of a semester.
        resolved = [self.current.replace(**e.values) for e in epochs[:-1]]
        object.__setattr__(self, "_resolved", (*resolved, self.current) if epochs else ())

    def for_duty(self, start: datetime) -> PolicySettings:
        """The current settings with the per-duty values in force at ``start``."""
        if not self.epochs:
            return self.current
        index = bisect_right(self._starts, _aware(start)) - 1
        # Before the first recorded epoch: the earliest values known are the best guess.
        return self._resolved[max(index, 0)]

    def saved(self, new: PolicySettings, at: datetime) -> SettingsHistory:
        """The history after saving ``new`` at ``at``: changed per-duty values apply from ``at``."""
        old, fresh = per_duty_values(self.current), per_duty_values(new)
        if old == fresh:
            return SettingsHistory(new, self.epochs)
        at = _aware(at)
        epochs = self.epochs or (Epoch(None, old),)
        # The epoch in force until now holds exactly the values that were in force (current).
        last = epochs[-1].effective_from
        if last is None or last < at:
            epochs = (*epochs[:-1], Epoch(last, old))
        kept = tuple(e for e in epochs if e.effective_from is None or e.effective_from < at)
        if not kept:
            kept = (Epoch(None, old),)
        return SettingsHistory(new, (*kept, Epoch(at, fresh)))

    def applied_from(self, at: datetime) -> SettingsHistory:
        """The current per-duty values applied to every duty starting at or after ``at``."""
        at = _aware(at)
        kept = tuple(e for e in self.epochs if e.effective_from is None or e.effective_from < at)
        values = per_duty_values(self.current)
        if not kept or kept[-1].values == values:
            return SettingsHistory(self.current, kept if len(kept) > 1 else ())
        return SettingsHistory(self.current, (*kept, Epoch(at, values)))

    def to_dict(self) -> dict[str, Any]:
        """The current settings plus the epochs under ``EPOCHS_KEY`` (omitted when none)."""
        values = self.current.to_dict()
        if self.epochs:
            values[EPOCHS_KEY] = [
                {
                    "from": None if e.effective_from is None else e.effective_from.isoformat(),
                    "values": dict(e.values),
                }
                for e in self.epochs
            ]
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> SettingsHistory:
        """The history from stored JSON; a store without epochs has one set of values."""
        values = values or {}
        epochs = []
        for raw in values.get(EPOCHS_KEY) or ():
            start = raw.get("from")
            stored = dict(raw.get("values") or {}).items()
            # A value no longer usable (old data) falls back to the default, as in from_dict.
            known = {k: v for k, v in stored if k in PER_DUTY_FIELDS and usable_value(k, v)}
            epochs.append(Epoch(None if start is None else datetime.fromisoformat(start), known))
        return cls(PolicySettings.from_dict(values), tuple(epochs))

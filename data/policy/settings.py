"""Every policy default of SPEC §3 in one settings object, stored per team as JSON."""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Any

CHECKIN_MODES = ("poster", "kiosk", "both")


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

    def __post_init__(self) -> None:
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["allowed_networks"] = list(self.allowed_networks)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> PolicySettings:
        """Settings from stored JSON: unknown keys are ignored, missing keys take defaults."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in (values or {}).items():
            if key not in known:
                continue
            if key == "allowed_networks":
                value = tuple(value or ())
            elif key == "grade_factors":
                value = {**cls().grade_factors, **dict(value)}
            kwargs[key] = value
        return cls(**kwargs)

    def replace(self, **changes: Any) -> PolicySettings:
        return dataclasses.replace(self, **changes)


def _validate(s: PolicySettings) -> None:
    non_negative = (
        "sign_in_window_minutes",
        "grace_minutes",
        "missed_sign_out_minutes",
        "work_record_min_chars",
        "meetings_required",
        "trainings_required",
        "trial_days",
        "resignation_notice_days",
        "hourly_rate",
        "monthly_cap_hours",
    )
    for name in non_negative:
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise SettingsError(f"{name} 必须是不小于 0 的数字")
    if not (1 <= s.late_info <= s.late_warning <= s.late_critical):
        raise SettingsError("迟到阈值须满足 1 ≤ 提醒 ≤ 警告 ≤ 不合格风险")
    if not (1 <= s.absence_warning <= s.absence_critical):
        raise SettingsError("缺勤阈值须满足 1 ≤ 警告 ≤ 不合格风险")
    if not (0 <= s.qualified_min <= s.excellent_min <= 100):
        raise SettingsError("等级分数线须满足 0 ≤ 合格 ≤ 优秀 ≤ 100")
    if s.excellent_quota is not None and not (0 < s.excellent_quota <= 1):
        raise SettingsError("优秀比例须在 0 到 1 之间")
    if set(s.grade_factors) != {"excellent", "qualified", "unqualified"} or any(
        not isinstance(v, int | float) or v < 0 for v in s.grade_factors.values()
    ):
        raise SettingsError("等级系数须为优秀、合格、不合格三个不小于 0 的数")
    if s.checkin_modes not in CHECKIN_MODES:
        raise SettingsError("签到方式须为 poster、kiosk 或 both")
    if s.kiosk_step_seconds < 5:
        raise SettingsError("动态二维码刷新间隔不能小于 5 秒")
    for cidr in s.allowed_networks:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise SettingsError(f"网段格式不正确：{cidr}") from exc


DEFAULTS = PolicySettings()

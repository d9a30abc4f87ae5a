"""The settings form: every ``PolicySettings`` field, grouped and labelled in Chinese.

Validation is ``PolicySettings(...)`` itself, so the form can never store what the policy engine
would refuse; this module only turns form text into values and values back into form text.
Numbers are read by ``data.inputs`` within the field's ``BOUNDS`` (one table, in the policy), so
"1e400", 400 nines, "nan" or "²" are refused with the field's name and range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from data.inputs import (
    as_text,
    clean_block,
    parse_choice,
    parse_clock,
    parse_float,
    parse_int,
)
from data.policy.settings import BOUNDS, DEFAULTS, PolicySettings, SettingsError, bounds_text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # int, float, bool, mode, networks, quota, factor, clock
    unit: str = ""
    help: str = ""


GROUPS: list[tuple[str, list[Field]]] = [
    (
        "考勤",
        [
            Field(
                "sign_in_window_minutes", "签到提前开放", "int", "分钟", "班次开始前多久可以签到"
            ),
            Field("grace_minutes", "迟到/早退宽限", "int", "分钟", "超过开始时间此分钟数算迟到"),
            Field(
                "missed_sign_out_minutes",
                "漏签退判定",
                "int",
                "分钟",
                "班次结束后多久未签退算漏签退",
            ),
            Field(
                "missed_sign_out_credits_zero", "漏签退不计工时", "bool", "", "第六条二：后果自负"
            ),
            Field("work_record_min_chars", "工作记录最少字数", "int", "字"),
            Field("leader_can_correct", "允许团长补签", "bool"),
        ],
    ),
    (
        "预警",
        [
            Field("late_info", "迟到：提醒", "int", "次"),
            Field("late_warning", "迟到：警告", "int", "次"),
            Field("late_critical", "迟到：不合格风险", "int", "次", "迟到三次以上（含三次）"),
            Field("absence_warning", "缺勤：警告", "int", "次"),
            Field("absence_critical", "缺勤：不合格风险", "int", "次"),
            Field("task_due_soon_hours", "交办任务：即将到期", "int", "小时", "截止前多久提示"),
            Field("overdue_task_is_warning", "逾期任务记为警告", "bool", "", "不勾选时记为提醒"),
        ],
    ),
    (
        "例会培训",
        [
            Field("meetings_required", "每学期例会至少", "int", "次"),
            Field("trainings_required", "聘期内培训至少", "int", "次"),
        ],
    ),
    (
        "试用与辞职",
        [
            Field("trial_days", "试用期", "int", "天", "试用一个月"),
            Field("resignation_notice_days", "辞职提前申请", "int", "天", "提前一个月书面申请"),
        ],
    ),
    (
        "考核",
        [
            Field("attendance_max", "出勤满分", "float", "分"),
            Field("late_penalty", "每次迟到扣", "float", "分"),
            Field("absence_penalty", "每次缺勤扣", "float", "分"),
            Field("missed_sign_out_penalty", "每次漏签退扣", "float", "分"),
            Field("early_penalty", "每次早退扣", "float", "分"),
            Field("records_max", "工作记录满分", "float", "分"),
            Field("meetings_max", "例会培训满分", "float", "分"),
            Field("meeting_absence_penalty", "例会旷到扣", "float", "分"),
            Field("overdue_task_deduction", "每项逾期任务扣", "float", "分", "从工作记录分中扣"),
            Field("counselor_max", "兼辅评价满分", "float", "分"),
            Field("peer_max", "互评满分", "float", "分"),
            Field("excellent_min", "优秀分数线", "float", "分"),
            Field("qualified_min", "合格分数线", "float", "分"),
            Field("excellent_quota", "优秀比例上限", "quota", "", "如 0.2 表示至多 20%；留空不限"),
        ],
    ),
    (
        "补贴",
        [
            Field("hourly_rate", "每小时补贴", "float", "元"),
            Field("monthly_cap_hours", "每月工时上限", "float", "小时", "勤工助学常用 40 小时"),
            Field("factor_excellent", "优秀系数", "factor"),
            Field("factor_qualified", "合格系数", "factor"),
            Field("factor_unqualified", "不合格系数", "factor"),
        ],
    ),
    (
        "签到",
        [
            Field("checkin_modes", "签到方式", "mode"),
            Field(
                "allowed_networks",
                "允许的网段",
                "networks",
                "",
                "每行一个，如 10.0.0.0/8；留空不限",
            ),
            Field("device_binding", "同一设备一天签两个账号时预警", "bool"),
            Field("kiosk_step_seconds", "平板动态码刷新间隔", "int", "秒"),
        ],
    ),
    (
        "提醒",
        [
            Field("notify_missed_signout", "漏签退提醒", "bool", "", "下班后仍可签退时提醒本人"),
            Field(
                "notify_missed_signout_after",
                "漏签退提醒时间",
                "int",
                "分钟",
                "班次结束后多久提醒；漏签退判定前再提醒一次",
            ),
            Field("notify_shift_start", "上班提醒", "bool"),
            Field("notify_shift_start_before", "上班提醒提前", "int", "分钟"),
            Field("notify_second_late", "迟到预警提醒", "bool", "", "再迟到 1 次将评为不合格时"),
            Field("notify_digest", "兼辅每日汇总", "bool"),
            Field("notify_digest_at", "每日汇总时间", "clock", "", "如 08:00"),
            Field("notify_weekly_summary", "周总结提醒", "bool", "", "每周最后一个工作日"),
            Field("notify_leave_decision", "请假审批结果通知", "bool"),
            Field("notify_duty_list", "明日值班表发到团队群", "bool"),
            Field("notify_duty_list_at", "值班表发送时间", "clock", "", "如 20:00"),
            Field("notify_new_task", "新任务通知", "bool", "", "交办任务时通知助管"),
            Field("notify_task_due", "任务到期提醒", "bool", "", "截止前一天提醒未完成的助管"),
        ],
    ),
    (
        "团长选举",
        [
            Field("election_min_turnout", "最低投票率", "int", "%", "投票人数不足此比例时结果无效"),
            Field("election_tie_rule", "票数并列时", "tie"),
        ],
    ),
]
MODE_LABELS = {"poster": "纸质海报", "kiosk": "平板动态码", "both": "两者都可"}
TIE_LABELS = {"counselor": "由兼辅在并列者中确定", "runoff": "并列者再投一轮"}
LABELS = {f.name: f.label for _, fields in GROUPS for f in fields} | {"grade_factors": "等级系数"}
NETWORKS_MAX = 4000  # a few dozen CIDR lines


def display(settings: PolicySettings) -> dict[str, str | bool]:
    """Form values (text for inputs, bool for checkboxes) of a settings object."""
    values: dict[str, Any] = {}
    for _group, fields in GROUPS:
        for f in fields:
            if f.kind == "factor":
                value = settings.grade_factors[f.name.removeprefix("factor_")]
            else:
                value = getattr(settings, f.name)
            if f.kind == "networks":
                values[f.name] = "\n".join(value)
            elif f.kind == "bool":
                values[f.name] = bool(value)
            elif value is None:
                values[f.name] = ""
            elif isinstance(value, float) and value.is_integer():
                values[f.name] = str(int(value))
            else:
                values[f.name] = str(value)
    return values


def parse(form: Any) -> tuple[PolicySettings | None, str | None]:
    """Settings from the posted form, or a Chinese error naming the field."""
    kwargs: dict[str, Any] = {}
    factors: dict[str, float] = {}
    for _group, fields in GROUPS:
        for f in fields:
            raw = as_text(form.get(f.name)).strip()
            if f.kind == "bool":
                kwargs[f.name] = form.get(f.name) == "1"
            elif f.kind == "mode":
                if (mode := parse_choice(raw, MODE_LABELS)) is None:
                    return None, "请选择签到方式"
                kwargs[f.name] = mode
            elif f.kind == "tie":
                if (rule := parse_choice(raw, TIE_LABELS)) is None:
                    return None, "请选择票数并列时的处理方式"
                kwargs[f.name] = rule
            elif f.kind == "networks":
                lines = clean_block(raw, NETWORKS_MAX).splitlines()
                kwargs[f.name] = tuple(line.strip() for line in lines if line.strip())
            elif f.kind == "quota" and not raw:
                kwargs[f.name] = None
            elif f.kind == "clock":
                if (clock := parse_clock(raw)) is None:
                    return None, f"“{f.label}”须填写 HH:MM 格式的时间，如 08:00"
                kwargs[f.name] = clock.strftime("%H:%M")
            else:
                number = _number(f, raw)
                if number is None:
                    return None, _out_of_range(f)
                if f.kind == "factor":
                    factors[f.name.removeprefix("factor_")] = number
                else:
                    kwargs[f.name] = number
    kwargs["grade_factors"] = factors
    try:
        return PolicySettings(**kwargs), None
    except SettingsError as exc:
        return None, chinese(str(exc))


def _bounds_key(f: Field) -> str:
    return "grade_factors" if f.kind == "factor" else f.name


def _number(f: Field, raw: str) -> float | None:
    """The field's number within its bounds, else None."""
    low, high = BOUNDS[_bounds_key(f)]
    if f.kind == "int":
        return parse_int(raw, int(low), int(high))
    return parse_float(raw, low, high)


def _out_of_range(f: Field) -> str:
    """The refusal naming the field and its range, e.g. “每小时补贴”须填写 0–10000 之间的数字（元）."""
    kind = "整数" if f.kind == "int" else "数字"
    unit = f"（{f.unit}）" if f.unit else ""
    return f"“{f.label}”须填写 {bounds_text(_bounds_key(f))} 之间的{kind}{unit}"


def chinese(message: str) -> str:
    """SettingsError names some fields by their code name; show the form's label instead."""
    for name, label in LABELS.items():
        message = re.sub(rf"\b{name}\b", f"“{label}”", message)
    return message


def typed(form: Any) -> dict[str, str | bool]:
    """What was typed, so the counselor fixes one field instead of retyping all."""
    # Shown again as typed, but cut: a 100,000-character field need not come back whole.
    values: dict[str, str | bool] = {
        k: clean_block(form.get(k), NETWORKS_MAX) for k in display(DEFAULTS)
    }
    values.update(
        {f.name: form.get(f.name) == "1" for _, fs in GROUPS for f in fs if f.kind == "bool"}
    )
    return values

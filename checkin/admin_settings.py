"""The team's policy settings (counselor): every ``PolicySettings`` field, grouped, in Chinese.

Validation is ``PolicySettings(...)`` itself, so the form can never store what the policy engine
would refuse. Only values that differ from the defaults are stored: a later change of a default
reaches teams that never touched it. No silent rewriting of the past (SPEC §3 "The record
holds"): per-duty settings apply to duties that start after the save (the earlier values are
kept as dated epochs); totals settings apply at once, but only after a preview of who changes
warning level, grade or stipend; applying the per-duty settings to the whole semester is a
separate action with the same preview, a reason and an audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from checkin.admin_leave import Refused, clean_reason
from checkin.admin_recruit import audit, team_id
from data.attendance import current_semester, team_settings_history
from data.models import Role, Semester, TeamSettings
from data.policy.settings import (
    DEFAULTS,
    EPOCHS_KEY,
    PER_DUTY_FIELDS,
    TOTALS_FIELDS,
    PolicySettings,
    SettingsError,
    SettingsHistory,
)
from data.policy.types import DutyOutcome
from data.report import SemesterReport, build_report, grade_label
from data.timeutil import local_to_utc, local_today, to_local
from web import get_session, now


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # int, float, bool, mode, networks, quota, factor
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
]
MODE_LABELS = {"poster": "纸质海报", "kiosk": "平板动态码", "both": "两者都可"}
LABELS = {f.name: f.label for _, fields in GROUPS for f in fields} | {"grade_factors": "等级系数"}
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
REASON_MIN = 4  # as for corrections: a word or two is not a reason


def _display(settings: PolicySettings) -> dict[str, str | bool]:
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


def _parse(form) -> tuple[PolicySettings | None, str | None]:
    """Settings from the posted form, or a Chinese error naming the field."""
    kwargs: dict[str, Any] = {}
    factors: dict[str, float] = {}
    for _group, fields in GROUPS:
        for f in fields:
            raw = (form.get(f.name) or "").strip()
            if f.kind == "bool":
                kwargs[f.name] = form.get(f.name) == "1"
            elif f.kind == "mode":
                if raw not in MODE_LABELS:
                    return None, "请选择签到方式"
                kwargs[f.name] = raw
            elif f.kind == "networks":
                kwargs[f.name] = tuple(line.strip() for line in raw.splitlines() if line.strip())
            elif f.kind == "quota" and not raw:
                kwargs[f.name] = None
            else:
                if not NUMBER_RE.match(raw):
                    return None, f"“{f.label}”须填写数字"
                if f.kind == "int" and not raw.lstrip("-").isdigit():
                    return None, f"“{f.label}”须填写整数"
                number = int(raw) if f.kind == "int" else float(raw)
                if f.kind == "factor":
                    factors[f.name.removeprefix("factor_")] = number
                else:
                    kwargs[f.name] = number
    kwargs["grade_factors"] = factors
    try:
        return PolicySettings(**kwargs), None
    except SettingsError as exc:
        return None, _chinese(str(exc))


def _chinese(message: str) -> str:
    """SettingsError names some fields by their code name; show the form's label instead."""
    for name, label in LABELS.items():
        message = re.sub(rf"\b{name}\b", f"“{label}”", message)
    return message


def _stored(history: SettingsHistory) -> dict[str, Any]:
    defaults = DEFAULTS.to_dict()
    values = history.to_dict()
    return {k: v for k, v in values.items() if k == EPOCHS_KEY or v != defaults[k]}


def _write(
    db: Session, new: SettingsHistory, action: str, before: dict | None, after: dict | None
) -> None:
    """Store ``new`` with one audit entry, and commit."""
    row = db.get(TeamSettings, team_id())
    if row is None:
        row = TeamSettings(team_id=team_id(), values={})
        db.add(row)
    row.values = _stored(new)  # a new dict, so the JSON column sees the change
    audit(db, action, "team_settings", team_id(), before, after)
    db.commit()


def _semester(db: Session) -> Semester | None:
    return current_semester(db, team_id(), local_today(now()))


def _semester_start(semester: Semester) -> datetime:
    return local_to_utc(semester.start, time(0, 0))


# --- Preview: who changes --------------------------------------------------------------


@dataclass(frozen=True)
class PersonChange:
    """One person whose warning level, grade or stipend a change moves (before, after)."""

    name: str
    username: str
    level: tuple[str, str] | None
    grade: tuple[str, str] | None
    stipend: tuple[str, str] | None

    @property
    def level_or_grade(self) -> bool:
        return self.level is not None or self.grade is not None


@dataclass(frozen=True)
class Preview:
    """What the confirm step shows, and the form that confirms it (a POST; no JavaScript)."""

    title: str
    action: str
    hidden: list[tuple[str, str]]
    semester: str
    people: list[PersonChange]
    duties_changed: int | None = None
    confirm_label: str = "确认保存"


def _pair(before: str, after: str) -> tuple[str, str] | None:
    return None if before == after else (before, after)


def _duty_statuses(report: SemesterReport) -> dict[tuple, str]:
    def key(o: DutyOutcome) -> tuple:
        return (o.duty.user_id, o.duty.day, o.duty.shift_id, o.duty.extra, o.duty.start)

    return {key(o): o.status for o in report.attendance.outcomes}


def preview_changes(
    db: Session, semester: Semester, old: SettingsHistory, new: SettingsHistory, at: datetime
) -> tuple[list[PersonChange], int]:
    """People whose level, grade or stipend differ under ``new``, and duties whose status does."""
    before = build_report(db, semester, at, settings=old)
    after = build_report(db, semester, at, settings=new)
    was = {m.user_id: m for m in before.members}
    people = []
    for member in after.members:
        prior = was.get(member.user_id)
        if prior is None:
            continue
        change = PersonChange(
            member.name,
            member.username,
            _pair(prior.warning.label or "无", member.warning.label or "无"),
            _pair(grade_label(prior.final_grade), grade_label(member.final_grade)),
            _pair(f"{prior.stipend.amount:.2f}", f"{member.stipend.amount:.2f}"),
        )
        if change.level or change.grade or change.stipend:
            people.append(change)
    old_status, new_status = _duty_statuses(before), _duty_statuses(after)
    duties = sum(
        1 for k in old_status.keys() | new_status.keys() if old_status.get(k) != new_status.get(k)
    )
    return people, duties


# --- Saving ----------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _messages(changed: list[str], at: datetime, people: list[PersonChange] | None) -> list[str]:
    """What the save did, per kind of setting (SPEC §3 "The record holds")."""
    per_duty = [k for k in changed if k in PER_DUTY_FIELDS]
    totals = [k for k in changed if k in TOTALS_FIELDS]
    others = [k for k in changed if k not in PER_DUTY_FIELDS and k not in TOTALS_FIELDS]
    messages = []
    if per_duty:
        names = "、".join(LABELS[k] for k in per_duty)
        messages.append(
            f"已保存：{names}等按值班规则的设置自 {_when(at)} 起开始的值班生效，之前的值班不变"
        )
    if totals:
        if people is None:
            messages.append("已保存，立即生效（当前不在学期中）")
        elif not people:
            messages.append("已保存，立即生效（本学期没有人的等级、预警或补贴因此变化）")
        else:
            moved = sum(1 for p in people if p.level_or_grade)
            paid = sum(1 for p in people if not p.level_or_grade)
            extra = f"，另有 {paid} 人补贴变化" if paid else ""
            messages.append(f"已保存，立即生效（{moved} 人等级或预警变化{extra}）")
    if others:
        names = "、".join(LABELS.get(k, k) for k in others)
        messages.append(f"已保存，立即生效（修改了 {len(others)} 项：{names}）")
    return messages


def _submit(
    new: PolicySettings, action: str, endpoint: str, hidden: list[tuple[str, str]]
) -> Preview | list[str] | None:
    """Save ``new`` (the changed keys; None = nothing changed), or the preview to confirm first.

    Only a totals change that moves someone is previewed: per-duty changes apply from now on,
    so they move nobody's past.
    """
    db = get_session()
    at = now()
    old = team_settings_history(db, team_id())
    before, after = old.current.to_dict(), new.to_dict()
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return None
    updated = old.saved(new, at)
    semester = _semester(db)
    people = None
    if semester is not None and any(k in TOTALS_FIELDS for k in changed):
        people, _duties = preview_changes(db, semester, old, updated, at)
        if people and request.form.get("confirm") != "1":
            return Preview(
                "保存前请确认：以下人员的预警、等级或补贴将立即变化",
                url_for(endpoint),
                [*hidden, ("confirm", "1")],
                semester.name,
                people,
            )
    _write(
        db,
        updated,
        action,
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
    )
    for message in _messages(changed, at, people):
        flash(message, "success")
    return changed


def _typed(form) -> dict[str, str | bool]:
    """What was typed, so the counselor fixes one field instead of retyping all."""
    typed: dict[str, str | bool] = {k: form.get(k, "") for k in _display(DEFAULTS)}
    typed.update(
        {f.name: form.get(f.name) == "1" for _, fs in GROUPS for f in fs if f.kind == "bool"}
    )
    return typed


def _apply_state(db: Session) -> tuple[Semester | None, bool]:
    """The current semester, and whether its earlier duties use other per-duty values."""
    semester = _semester(db)
    if semester is None:
        return None, False
    history = team_settings_history(db, team_id())
    return semester, history.applied_from(_semester_start(semester)) != history


def _render(values: dict, status: int = 200, preview: Preview | None = None, reason: str = ""):
    semester, pending = _apply_state(get_session())
    return render_template(
        "admin_settings.html",
        groups=GROUPS,
        values=values,
        defaults=_display(DEFAULTS),
        modes=MODE_LABELS,
        per_duty=PER_DUTY_FIELDS,
        totals=TOTALS_FIELDS,
        preview=preview,
        semester=semester,
        apply_pending=pending,
        reason=reason,
    ), status


@bp.get("/admin/settings")
@roles_required(Role.counselor)
def settings():
    return _render(_display(team_settings_history(get_session(), team_id()).current))


@bp.post("/admin/settings")
@roles_required(Role.counselor)
def save_settings():
    new, error = _parse(request.form)
    if new is None:
        flash(f"未保存：{error}", "danger")
        return _render(_typed(request.form), 400)
    hidden = [
        (k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirm")
    ]
    result = _submit(new, "settings.update", "checkin.save_settings", hidden)
    if isinstance(result, Preview):
        return _render(_typed(request.form), preview=result)
    if result is None:
        flash("没有修改任何设置", "info")
    return redirect(url_for("checkin.settings"))


@bp.post("/admin/settings/reset")
@roles_required(Role.counselor)
def reset_settings():
    result = _submit(DEFAULTS, "settings.reset", "checkin.reset_settings", [])
    if isinstance(result, Preview):
        current = team_settings_history(get_session(), team_id()).current
        return _render(_display(current), preview=result)
    flash("已恢复默认值" if result else "当前已是默认值", "success" if result else "info")
    return redirect(url_for("checkin.settings"))


@bp.post("/admin/settings/apply-semester")
@roles_required(Role.counselor)
def apply_to_semester():
    """Apply the current per-duty settings to every duty of the current semester."""
    db = get_session()
    current = team_settings_history(db, team_id())
    semester = _semester(db)
    if semester is None:
        flash("当前没有进行中的学期，无需应用。", "info")
        return redirect(url_for("checkin.settings"))
    if semester.finalized_at is not None:
        flash(f"{semester.name}已锁定，不能重新计算。", "danger")
        return redirect(url_for("checkin.settings"))
    raw_reason = request.form.get("reason", "")
    try:
        reason = clean_reason(raw_reason, "应用原因", REASON_MIN)
    except Refused as refused:
        flash(f"未应用：{refused}", "danger")
        return _render(_display(current.current), 400, reason=raw_reason)
    updated = current.applied_from(_semester_start(semester))
    if updated == current:
        flash("本学期的值班已按当前考勤规则计算，无需应用。", "info")
        return redirect(url_for("checkin.settings"))
    at = now()
    people, duties = preview_changes(db, semester, current, updated, at)
    if request.form.get("confirm") != "1":
        preview = Preview(
            f"应用前请确认：按当前考勤规则重新计算{semester.name}的全部值班",
            url_for("checkin.apply_to_semester"),
            [("reason", reason), ("confirm", "1")],
            semester.name,
            people,
            duties,
            "确认应用到整个学期",
        )
        return _render(_display(current.current), preview=preview, reason=reason)
    before = current.to_dict().get(EPOCHS_KEY)
    after = {
        EPOCHS_KEY: updated.to_dict().get(EPOCHS_KEY),
        "semester": semester.name,
        "reason": reason,
        "duties_changed": duties,
    }
    _write(db, updated, "settings.apply_semester", {EPOCHS_KEY: before}, after)
    moved = sum(1 for p in people if p.level_or_grade)
    flash(
        f"已把当前考勤规则应用到{semester.name}的全部值班（{duties} 个值班状态变化，"
        f"{moved} 人等级或预警变化）",
        "success",
    )
    return redirect(url_for("checkin.settings"))

"""规则设置 (counselor): the team's policy settings, saved through ``data.services.settings``.

The form (groups, labels, parsing) is in ``settings_form``; the rule that nothing in the past
moves silently — per-duty settings from now on, totals only after a preview, applying to the
whole semester as a separate reasoned action — is the service's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.admin.settings_form import (
    GROUPS,
    LABELS,
    MODE_LABELS,
    TIE_LABELS,
    display,
    parse,
    typed,
)
from checkin.common import perform, team_id
from data.attendance import team_settings_history
from data.db import write_transaction
from data.models import Team
from data.policy.settings import DEFAULTS, PER_DUTY_FIELDS, TOTALS_FIELDS, PolicySettings
from data.services import Refused
from data.services import settings as service
from data.services.settings import NeedsConfirm, PersonChange
from data.timeutil import to_local
from web import client_ip, get_session, now


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
    """Save ``new`` (the changed keys; None = nothing changed), or the preview to confirm first."""
    db, at = get_session(), now()
    team_id()  # 403 for a staff account without a team, as on the page itself
    confirmed = request.form.get("confirm") == "1"
    try:
        with write_transaction(db):
            result = service.save(
                db, current_user, new, action, confirmed=confirmed, at=at, ip=client_ip()
            )
    except Refused as refused:
        flash(f"未保存：{refused}", "danger")
        return []  # refused: nothing saved, nothing more to say
    if result is None:
        return None
    if isinstance(result, NeedsConfirm):
        title = "保存前请确认：以下人员的预警、等级或补贴将立即变化"
        hidden = [*hidden, ("confirm", "1")]
        return Preview(title, url_for(endpoint), hidden, result.semester, result.people)
    for message in _messages(result.changed, at, result.people):
        flash(message, "success")
    return result.changed


def _current() -> dict[str, str | bool]:
    """The team's settings in force now, as form values."""
    return display(team_settings_history(get_session(), team_id()).current)


def _render(values: dict, status: int = 200, preview: Preview | None = None, reason: str = ""):
    semester, pending = service.apply_pending(get_session(), team_id(), now())
    return render_template(
        "admin/settings.html",
        groups=GROUPS,
        values=values,
        defaults=display(DEFAULTS),
        modes=MODE_LABELS,
        ties=TIE_LABELS,
        per_duty=PER_DUTY_FIELDS,
        totals=TOTALS_FIELDS,
        preview=preview,
        semester=semester,
        apply_pending=pending,
        reason=reason,
        team=get_session().get(Team, team_id()),
    ), status


@bp.get("/admin/settings")
@roles_required(*COUNSELOR)
def settings():
    return _render(_current())


@bp.post("/admin/settings")
@roles_required(*COUNSELOR)
def save_settings():
    new, error = parse(request.form)
    if new is None:
        flash(f"未保存：{error}", "danger")
        return _render(typed(request.form), 400)
    hidden = [
        (k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirm")
    ]
    result = _submit(new, "settings.update", "checkin.save_settings", hidden)
    if isinstance(result, Preview):
        return _render(typed(request.form), preview=result)
    if result is None:
        flash("没有修改任何设置", "info")
    return redirect(url_for("checkin.settings"))


@bp.post("/admin/settings/team-name")
@roles_required(*COUNSELOR)
def rename_team():
    team_id()
    result = perform(service.rename_team, request.form.get("name", ""))
    if result is not None:
        name, changed = result
        flash(
            f"团队名称已改为“{name}”" if changed else "团队名称没有修改",
            "success" if changed else "info",
        )
    return redirect(url_for("checkin.settings"))


@bp.post("/admin/settings/reset")
@roles_required(*COUNSELOR)
def reset_settings():
    result = _submit(DEFAULTS, "settings.reset", "checkin.reset_settings", [])
    if isinstance(result, Preview):
        return _render(_current(), preview=result)
    if result is None:
        flash("当前已是默认值", "info")
    elif result:
        flash("已恢复默认值", "success")
    return redirect(url_for("checkin.settings"))


@bp.post("/admin/settings/apply-semester")
@roles_required(*COUNSELOR)
def apply_to_semester():
    """Apply the current per-duty settings to every duty of the current semester."""
    db, raw_reason = get_session(), request.form.get("reason", "")
    confirmed = request.form.get("confirm") == "1"
    team_id()
    try:
        with write_transaction(db):
            plan = service.apply_to_semester(
                db, current_user, raw_reason, confirmed=confirmed, at=now(), ip=client_ip()
            )
    except service.NothingToDo as nothing:
        flash(str(nothing), "info")
        return redirect(url_for("checkin.settings"))
    except service.BadReason as refused:
        flash(f"未应用：{refused}", "danger")
        return _render(_current(), 400, reason=raw_reason)
    except Refused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("checkin.settings"))
    if not plan.done:
        return _render(_current(), preview=_apply_preview(plan), reason=plan.reason)
    moved = sum(1 for p in plan.people if p.level_or_grade)
    flash(
        f"已把当前考勤规则应用到{plan.semester.name}的全部值班（{plan.duties} 个值班状态变化，"
        f"{moved} 人等级或预警变化）",
        "success",
    )
    return redirect(url_for("checkin.settings"))


def _apply_preview(plan: service.Applied) -> Preview:
    return Preview(
        f"应用前请确认：按当前考勤规则重新计算{plan.semester.name}的全部值班",
        url_for("checkin.apply_to_semester"),
        [("reason", plan.reason), ("confirm", "1")],
        plan.semester.name,
        plan.people,
        plan.duties,
        "确认应用到整个学期",
    )

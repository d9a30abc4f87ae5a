"""Recruitment (第三条、第四条): applied → reviewed → trial → appointed, or refused on the way.

Every stage change is an ``AppointmentEvent`` (dated, attributed, with a reason) plus exactly
one audit entry. An appointment before the trial month is over needs the counselor's explicit
override and a reason, and stays marked (``EARLY_MARK``) so lists can flag it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import facts
from data.attendance import team_settings
from data.audit import snapshot
from data.importers import (
    ROSTER_COLUMNS,
    ROSTER_OPTIONAL,
    ImportFileError,
    ImportReport,
    import_roster,
)
from data.inputs import shorten
from data.models import (
    STAGE_LABELS,
    Appointment,
    AppointmentEvent,
    Role,
    Semester,
    Stage,
    Team,
    User,
)
from data.policy.lifecycle import trial_end
from data.services import Refused, audit
from data.tabular import TableError, read_table

EARLY_MARK = "【提前转正】"
APPOINTMENT_FIELDS = ("stage", "trial_start", "appointed_on", "ended_on")
DEGREES = ("研究生", "本科生")
POLITICAL = ("中共党员", "中共预备党员", "共青团员", "群众")
RECRUIT_STAGES = (Stage.applied, Stage.reviewed, Stage.trial)

# action → (allowed from-stages, to-stage, label, reason required)
TRANSITIONS: dict[str, tuple[tuple[Stage, ...], Stage, str, bool]] = {
    "review": ((Stage.applied,), Stage.reviewed, "审核通过", False),
    "trial": ((Stage.reviewed,), Stage.trial, "开始试用", False),
    "appoint": ((Stage.trial,), Stage.appointed, "试用合格，聘任", False),
    "reject": ((Stage.applied, Stage.reviewed), Stage.rejected, "不予通过", True),
    "fail_trial": ((Stage.trial,), Stage.trial_failed, "试用不合格", True),
}
DEFAULT_REASONS = {
    "review": "学院选拔审核通过",
    "trial": "开始试用一个月",
    "appoint": "试用合格，学生处聘任",
}


def target_semester(session: Session, team_id: int, day: date) -> Semester | None:
    """The running semester, else the next one (报名 opens 每学期初, often just before the start)."""
    running = facts.semester_on(session, team_id, day)
    if running is not None:
        return running
    return session.scalar(
        select(Semester)
        .where(Semester.team_id == team_id, Semester.start > day)
        .order_by(Semester.start)
        .limit(1)
    )


def is_early(appointment: Appointment) -> bool:
    """Appointed before the trial month was over (the counselor's override)."""
    return any(e.reason.startswith(EARLY_MARK) for e in appointment.history)


def change_stage(
    session: Session,
    actor: User,
    appointment: Appointment,
    to_stage: Stage,
    on: date,
    reason: str,
    *,
    action: str,
    at: datetime,
    ip: str = "",
    extra_before: dict | None = None,
    extra_after: dict | None = None,
) -> None:
    """Move an appointment to ``to_stage`` with its history event and one audit entry.

    The caller has already set the stage's date fields (trial_start, ended_on, …) on
    ``appointment``; ``extra_before`` is the snapshot taken before those edits.
    """
    before = extra_before or snapshot(appointment, APPOINTMENT_FIELDS)
    from_stage = Stage(before["stage"]) if before.get("stage") else None
    appointment.stage = to_stage
    session.add(
        AppointmentEvent(
            appointment=appointment,
            from_stage=from_stage,
            to_stage=to_stage,
            on=on,
            at=at,
            by_id=actor.id,
            reason=reason,
        )
    )
    after = {**snapshot(appointment, APPOINTMENT_FIELDS), **(extra_after or {})}
    audit(session, actor, action, "appointment", appointment.id, before, after, at=at, ip=ip)


def _refusal(
    session: Session,
    appointment: Appointment,
    action: str,
    on: date | None,
    reason: str,
    early: bool,
) -> str | None:
    """Why the requested stage change is refused (Chinese), or None."""
    from_stages, _to, label, needs_reason = TRANSITIONS[action]
    if appointment.stage not in from_stages:
        allowed = "、".join(STAGE_LABELS[s] for s in from_stages)
        return (
            f"不能“{label}”：当前阶段为“{STAGE_LABELS[appointment.stage]}”，"
            f"只有“{allowed}”阶段可以这样操作"
        )
    if on is None:
        return "请填写正确的日期（年-月-日）"
    if on < appointment.applied_on:
        return "日期不能早于报名日期"
    if needs_reason and not reason:
        return "请填写原因"
    if action == "appoint":
        if appointment.trial_start is None:
            return "没有试用开始日期，不能聘任"
        end = trial_end(appointment.trial_start, team_settings(session, appointment.user.team_id))
        if on < appointment.trial_start:
            return "聘任日期不能早于试用开始日期"
        if on < end and not early:
            return (
                f"试用期到 {end:%Y-%m-%d} 才满（试用一个月）。"
                "如需提前转正，请勾选“提前转正”并填写原因"
            )
        if on < end and not reason:
            return "提前转正须填写原因"
    return None


def move(
    session: Session,
    actor: User,
    appointment: Appointment,
    action: str,
    on: date | None,
    reason: str,
    *,
    early: bool = False,
    at: datetime,
    ip: str = "",
) -> str:
    """Apply one of ``TRANSITIONS`` on ``on``; returns its label, or raises ``Refused``."""
    refusal = _refusal(session, appointment, action, on, reason, early)
    if refusal:
        raise Refused(refusal)
    assert on is not None  # checked above
    before = snapshot(appointment, APPOINTMENT_FIELDS)
    _from, to_stage, label, _ = TRANSITIONS[action]
    extra: dict[str, Any] = {}
    if action == "trial":
        appointment.trial_start = on
    elif action == "appoint":
        appointment.appointed_on = on
        settings = team_settings(session, appointment.user.team_id)
        if on < trial_end(appointment.trial_start, settings):
            reason = EARLY_MARK + reason
            extra["early"] = True
    elif action in ("reject", "fail_trial"):
        appointment.ended_on = on
    change_stage(
        session,
        actor,
        appointment,
        to_stage,
        on,
        reason or DEFAULT_REASONS.get(action, label),
        action=f"appointment.{action}",
        at=at,
        ip=ip,
        extra_before=before,
        extra_after=extra,
    )
    return label


@dataclass
class Imported:
    """The outcome of an applicant import: the roster report and who became an applicant."""

    report: ImportReport
    added: list[str] = field(default_factory=list)
    skipped: int = 0


def import_applicants(
    session: Session,
    actor: User,
    semester: Semester,
    path: Path,
    *,
    today: date,
    at: datetime,
    ip: str = "",
) -> Imported:
    """A roster file of applicants: accounts via import_roster, then an 已报名 appointment each."""
    team = session.get(Team, semester.team_id)
    try:
        report = import_roster(session, path, team=team)
        rows = read_table(path, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    except (ImportFileError, TableError) as exc:
        raise Refused(f"文件无法读取：{shorten(str(exc), 200)}") from None
    if report.rejected:
        # Flashed into the session cookie: each error (it quotes the cell) is kept short.
        errors = "；".join(shorten(str(e), 80) for e in report.errors[:10])
        raise Refused(f"名单有错误，未导入任何数据：{errors}")
    usernames = [r["学号"] for r in rows if r["学号"]]
    users = session.scalars(
        select(User).where(User.username.in_(usernames), User.team_id == team.id)
    )
    existing = set(
        session.scalars(select(Appointment.user_id).where(Appointment.semester_id == semester.id))
    )
    added = []
    for user in users:
        if user.role not in (Role.assistant, Role.leader) or user.id in existing:
            continue
        appointment = Appointment(user_id=user.id, semester_id=semester.id, applied_on=today)
        appointment.stage = Stage.applied
        session.add(appointment)
        session.add(
            AppointmentEvent(
                appointment=appointment,
                from_stage=None,
                to_stage=Stage.applied,
                on=today,
                at=at,
                by_id=actor.id,
                reason="兼辅导入报名名单",
            )
        )
        added.append(user.username)
    try:
        session.flush()
    except IntegrityError:
        raise Refused("导入时发生冲突，请重试") from None
    after = {
        "semester": semester.name,
        "applicants": sorted(added),
        "accounts_created": report.created,
        "accounts_updated": report.updated,
    }
    audit(session, actor, "appointment.import", "semester", semester.id, None, after, at=at, ip=ip)
    return Imported(report, sorted(added), len(usernames) - len(added))

"""Saving the team's policy settings without silently rewriting the past (SPEC §3).

Only values that differ from the defaults are stored: a later change of a default reaches teams
that never touched it. Per-duty settings apply to duties that start after the save (the earlier
values are kept as dated epochs); totals settings apply at once, but only after a preview of who
changes warning level, grade or stipend; applying the per-duty settings to the whole semester is
a separate action with the same preview, a reason and an audit entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from data.attendance import current_semester, team_settings_history
from data.models import Semester, Team, TeamSettings, User
from data.policy.settings import (
    DEFAULTS,
    EPOCHS_KEY,
    TOTALS_FIELDS,
    PolicySettings,
    SettingsHistory,
)
from data.policy.types import DutyOutcome
from data.report import SemesterReport, build_report, grade_label
from data.services import Refused, audit, clean_reason
from data.timeutil import local_to_utc, local_today

REASON_MIN = 4  # as for corrections: a word or two is not a reason


class NothingToDo(Exception):
    """Nothing to change; str() is the Chinese note to show (not an error)."""


class BadReason(Refused):
    """The reason given is missing or too long; the form is shown again with it."""


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


# --- Writing ---------------------------------------------------------------------------


def _stored(history: SettingsHistory) -> dict[str, Any]:
    defaults = DEFAULTS.to_dict()
    values = history.to_dict()
    return {k: v for k, v in values.items() if k == EPOCHS_KEY or v != defaults[k]}


def _check_finite(values: dict[str, Any]) -> None:
    # PolicySettings already bounds every number; checked again where settings are written.
    if not finite(values):
        raise Refused("设置中含有无效的数字（无穷大或非数），未保存")


def finite(value: Any) -> bool:
    """No Infinity or NaN anywhere in ``value`` (PostgreSQL's JSON refuses them; SQLite would
    store them and break every page that reads the settings)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite(v) for v in value)
    return True


def _write(
    db: Session,
    actor: User,
    new: SettingsHistory,
    action: str,
    changes: tuple[dict | None, dict | None],
    at: datetime,
    ip: str,
) -> None:
    """Store ``new`` for the actor's team with one audit entry (before, after)."""
    values = _stored(new)
    _check_finite(values)
    row = db.get(TeamSettings, actor.team_id)
    if row is None:
        row = TeamSettings(team_id=actor.team_id, values={})
        db.add(row)
    row.values = values  # a new dict, so the JSON column sees the change
    before, after = changes
    audit(db, actor, action, "team_settings", actor.team_id, before, after, at=at, ip=ip)


def semester_now(db: Session, team_id: int | None, at: datetime) -> Semester | None:
    """The team's semester running at ``at``."""
    return current_semester(db, team_id, local_today(at))


def semester_start(semester: Semester) -> datetime:
    return local_to_utc(semester.start, time(0, 0))


@dataclass(frozen=True)
class Saved:
    """The changed keys; who moved (None: no totals change, or not in a semester)."""

    changed: list[str]
    people: list[PersonChange] | None


@dataclass(frozen=True)
class NeedsConfirm:
    """A totals change that moves these people: shown for confirmation, nothing saved."""

    semester: str
    people: list[PersonChange]


def save(
    db: Session,
    actor: User,
    new: PolicySettings,
    action: str,
    *,
    confirmed: bool,
    at: datetime,
    ip: str = "",
) -> Saved | NeedsConfirm | None:
    """Save ``new`` from ``at`` on (None = nothing changed), or ask to confirm who it moves.

    Only a totals change that moves someone needs the confirmation: per-duty changes apply from
    now on, so they move nobody's past.
    """
    old = team_settings_history(db, actor.team_id)
    before, after = old.current.to_dict(), new.to_dict()
    _check_finite(after)  # before the preview, which would compute with it
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return None
    updated = old.saved(new, at)
    semester = semester_now(db, actor.team_id, at)
    people = None
    if semester is not None and any(k in TOTALS_FIELDS for k in changed):
        people, _duties = preview_changes(db, semester, old, updated, at)
        if people and not confirmed:
            return NeedsConfirm(semester.name, people)
    changes = ({k: before[k] for k in changed}, {k: after[k] for k in changed})
    _write(db, actor, updated, action, changes, at, ip)
    return Saved(changed, people)


@dataclass(frozen=True)
class Applied:
    """Applying the per-duty settings to a semester: what it moves, and whether it was done."""

    semester: Semester
    reason: str
    people: list[PersonChange]
    duties: int
    done: bool


def apply_to_semester(
    db: Session,
    actor: User,
    reason: str | None,
    *,
    confirmed: bool,
    at: datetime,
    ip: str = "",
) -> Applied:
    """Apply the current per-duty settings to every duty of the running semester once confirmed.

    Refused for a finalized semester; ``NothingToDo`` when no semester runs or it already uses
    the current settings throughout; ``BadReason`` without a reason.
    """
    current = team_settings_history(db, actor.team_id)
    semester = semester_now(db, actor.team_id, at)
    if semester is None:
        raise NothingToDo("当前没有进行中的学期，无需应用。")
    if semester.finalized_at is not None:
        raise Refused(f"{semester.name}已锁定，不能重新计算。")
    try:
        text = clean_reason(reason, "应用原因", REASON_MIN)
    except Refused as refused:
        raise BadReason(str(refused)) from None
    updated = current.applied_from(semester_start(semester))
    if updated == current:
        raise NothingToDo("本学期的值班已按当前考勤规则计算，无需应用。")
    people, duties = preview_changes(db, semester, current, updated, at)
    if confirmed:
        after = {
            EPOCHS_KEY: updated.to_dict().get(EPOCHS_KEY),
            "semester": semester.name,
            "reason": text,
            "duties_changed": duties,
        }
        changes = ({EPOCHS_KEY: current.to_dict().get(EPOCHS_KEY)}, after)
        _write(db, actor, updated, "settings.apply_semester", changes, at, ip)
    return Applied(semester, text, people, duties, confirmed)


def apply_pending(db: Session, team_id: int, at: datetime) -> tuple[Semester | None, bool]:
    """The running semester, and whether its earlier duties use other per-duty values."""
    semester = semester_now(db, team_id, at)
    if semester is None:
        return None, False
    history = team_settings_history(db, team_id)
    return semester, history.applied_from(semester_start(semester)) != history


def rename_team(
    db: Session, actor: User, name: str, *, at: datetime, ip: str = ""
) -> tuple[str, bool]:
    """Rename the actor's team (团队名称, shown on the login page and the directory);
    (the name, whether it changed)."""
    from data.services.setup import check_team_name  # setup imports nothing from here

    team = db.get(Team, actor.team_id) if actor.team_id else None
    if team is None:
        raise Refused("当前账号不属于任何团队")
    name = check_team_name(db, name, team.id)
    if name == team.name:
        return name, False
    before = {"name": team.name}
    team.name = name
    audit(db, actor, "team.rename", "team", team.id, before, {"name": name}, at=at, ip=ip)
    return name, True

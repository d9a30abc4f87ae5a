"""Recruitment review (第三条、第四条): applicants, college review, trial and appointment.

The counselor sees the semester's applicants with their conditions (政治面貌、学历层次、年级、
经历、家庭经济困难), ranked so 党员 / 研究生 / 困难 applicants come first (同等条件下优先), and moves
each one through the stages. Every stage change is an ``AppointmentEvent`` (dated, attributed,
with a reason) plus exactly one audit entry. The helpers at the top are shared with the other
management pages of this package (people, accounts, settings, /apply).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from checkin import bp
from checkin.access import roles_required
from data.attendance import team_settings
from data.audit import snapshot
from data.importers import ROSTER_COLUMNS, ROSTER_OPTIONAL, ImportFileError, import_roster
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
from data.policy.lifecycle import trial_due, trial_end
from data.tabular import TableError, read_table
from data.timeutil import local_today
from web import audit, get_session, now

# Marks an appointment made before the trial month was over (第四条 "试用一个月"), so lists flag it.
EARLY_MARK = "【提前转正】"
APPOINTMENT_FIELDS = ("stage", "trial_start", "appointed_on", "ended_on")
UPLOAD_SUFFIXES = (".xlsx", ".csv")
REASON_MAX = 500


# --- Shared helpers ----------------------------------------------------------------------


def today() -> date:
    return local_today(now())


def team_id() -> int:
    """The counselor's team; a staff account without a team has nothing to manage here."""
    if current_user.team_id is None:
        abort(403)
    return current_user.team_id


def own_user(user_id: int) -> User:
    """A user of the counselor's team; 404 for anyone else (no existence leak)."""
    user = get_session().get(User, user_id)
    if user is None or user.team_id is None or user.team_id != team_id():
        abort(404)
    return user


def own_appointment(appointment_id: int) -> Appointment:
    appointment = get_session().get(Appointment, appointment_id)
    if appointment is None or appointment.user.team_id != team_id():
        abort(404)
    return appointment


def team_semesters(db: Session) -> list[Semester]:
    return list(
        db.scalars(
            select(Semester).where(Semester.team_id == team_id()).order_by(Semester.start.desc())
        )
    )


def target_semester(db: Session, tid: int, day: date) -> Semester | None:
    """The running semester, else the next one (报名 opens 每学期初, often just before the start)."""
    running = db.scalar(
        select(Semester).where(Semester.team_id == tid, Semester.start <= day, Semester.end >= day)
    )
    if running is not None:
        return running
    return db.scalar(
        select(Semester)
        .where(Semester.team_id == tid, Semester.start > day)
        .order_by(Semester.start)
        .limit(1)
    )


def chosen_semester(db: Session) -> Semester | None:
    """``?semester=<id>`` of the counselor's team (404 for others'), else the target semester."""
    raw = request.values.get("semester", "")
    if raw:
        if not raw.isdigit():
            abort(404)
        semester = db.get(Semester, int(raw))
        if semester is None or semester.team_id != team_id():
            abort(404)
        return semester
    return target_semester(db, team_id(), today())


def parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def clean_text(raw: str | None, limit: int = REASON_MAX) -> str:
    return (raw or "").strip()[:limit]


def back(endpoint: str, **values: Any):
    return redirect(url_for(endpoint, **values))


def change_stage(
    db: Session,
    appointment: Appointment,
    to_stage: Stage,
    on: date,
    reason: str,
    *,
    action: str,
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
    db.add(
        AppointmentEvent(
            appointment=appointment,
            from_stage=from_stage,
            to_stage=to_stage,
            on=on,
            at=now(),
            by_id=current_user.id,
            reason=reason,
        )
    )
    after = {**snapshot(appointment, APPOINTMENT_FIELDS), **(extra_after or {})}
    audit(db, action, "appointment", appointment.id, before, after)


# --- Review list -------------------------------------------------------------------------


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
RECRUIT_STAGES = (Stage.applied, Stage.reviewed, Stage.trial)
STAGE_ORDER = {s: i for i, s in enumerate(Stage)}
DEGREES = ("研究生", "本科生")
POLITICAL = ("中共党员", "中共预备党员", "共青团员", "群众")


@dataclass(frozen=True)
class Applicant:
    appointment: Appointment
    user: User
    trial_end: date | None
    due: bool
    early: bool

    @property
    def rank(self) -> tuple:
        # 第三条: 原则上为中共党员, 研究生或高年级本科生, 同等条件下贫困同学优先.
        u = self.user
        return (
            STAGE_ORDER[self.appointment.stage],
            u.political_status not in ("中共党员", "中共预备党员"),
            u.degree_level != "研究生",
            not u.hardship,
            self.appointment.applied_on,
            u.username,
        )


def _is_early(appointment: Appointment) -> bool:
    return any(e.reason.startswith(EARLY_MARK) for e in appointment.history)


def _applicants(db: Session, semester: Semester) -> list[Applicant]:
    settings = team_settings(db, semester.team_id)
    day = today()
    rows = db.scalars(
        select(Appointment)
        .where(Appointment.semester_id == semester.id)
        .options(selectinload(Appointment.user), selectinload(Appointment.history))
    )
    result = []
    for a in rows:
        end = trial_end(a.trial_start, settings) if a.trial_start else None
        due = a.stage is Stage.trial and a.trial_start is not None
        due = due and trial_due(a.trial_start, day, settings)
        result.append(Applicant(a, a.user, end, due, _is_early(a)))
    return sorted(result, key=lambda x: x.rank)


def _matches(applicant: Applicant, filters: dict[str, str]) -> bool:
    u, a = applicant.user, applicant.appointment
    checks = {
        "stage": lambda v: (
            v == "all" or a.stage.value == v or (v == "open" and a.stage in RECRUIT_STAGES)
        ),
        "political": lambda v: u.political_status == v,
        "degree": lambda v: u.degree_level == v,
        "grade": lambda v: u.grade == v,
        "experience": lambda v: bool(a.experience.strip()) == (v == "yes"),
        "hardship": lambda v: u.hardship == (v == "yes"),
    }
    return all(checks[k](v) for k, v in filters.items() if v and k in checks)


@bp.get("/admin/recruit")
@roles_required(Role.counselor)
def recruit():
    db = get_session()
    semester = chosen_semester(db)
    applicants = _applicants(db, semester) if semester else []
    filters = {
        k: request.args.get(k, "")
        for k in ("stage", "political", "degree", "grade", "experience", "hardship")
    }
    if not request.args.get("stage"):
        filters["stage"] = "open"
    shown = [a for a in applicants if _matches(a, filters)]
    grades = sorted({a.user.grade for a in applicants if a.user.grade})
    return render_template(
        "admin_recruit.html",
        semester=semester,
        semesters=team_semesters(db),
        applicants=shown,
        total=len(applicants),
        due=[a for a in applicants if a.due],
        filters=filters,
        grades=grades,
        degrees=DEGREES,
        political=POLITICAL,
        stage_labels=STAGE_LABELS,
        transitions=TRANSITIONS,
        default_reasons=DEFAULT_REASONS,
        today=today(),
        settings=team_settings(db, team_id()),
    )


@bp.get("/admin/recruit/<int:appointment_id>")
@roles_required(Role.counselor)
def recruit_detail(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    settings = team_settings(db, team_id())
    end = trial_end(appointment.trial_start, settings) if appointment.trial_start else None
    actors = {u.id: u.name for u in db.scalars(select(User).where(User.team_id == team_id()))}
    return render_template(
        "admin_recruit_detail.html",
        a=appointment,
        user=appointment.user,
        trial_end=end,
        early=_is_early(appointment),
        actors=actors,
        stage_labels=STAGE_LABELS,
        transitions=TRANSITIONS,
        default_reasons=DEFAULT_REASONS,
        today=today(),
    )


def _transition_error(
    db: Session, appointment: Appointment, action: str, on: date | None, reason: str, early: bool
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
        end = trial_end(appointment.trial_start, team_settings(db, team_id()))
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


@bp.post("/admin/recruit/<int:appointment_id>/<action>")
@roles_required(Role.counselor)
def recruit_action(appointment_id: int, action: str):
    db = get_session()
    appointment = own_appointment(appointment_id)
    if action not in TRANSITIONS:
        abort(404)
    on = parse_day(request.form.get("on"))
    reason = clean_text(request.form.get("reason"))
    early = request.form.get("early") == "1"
    error = _transition_error(db, appointment, action, on, reason, early)
    if error:
        flash(error, "danger")
        return redirect(_return_to(appointment))
    assert on is not None  # checked above
    before = snapshot(appointment, APPOINTMENT_FIELDS)
    _from, to_stage, label, _ = TRANSITIONS[action]
    extra: dict[str, Any] = {}
    if action == "trial":
        appointment.trial_start = on
    elif action == "appoint":
        appointment.appointed_on = on
        end = trial_end(appointment.trial_start, team_settings(db, team_id()))
        if on < end:
            reason = EARLY_MARK + reason
            extra["early"] = True
    elif action in ("reject", "fail_trial"):
        appointment.ended_on = on
    change_stage(
        db,
        appointment,
        to_stage,
        on,
        reason or DEFAULT_REASONS.get(action, label),
        action=f"appointment.{action}",
        extra_before=before,
        extra_after=extra,
    )
    db.commit()
    flash(f"{appointment.user.name}：{label}（{on:%Y-%m-%d}）", "success")
    return redirect(_return_to(appointment))


def _return_to(appointment: Appointment) -> str:
    """Back to the page the form was on: the applicant's detail page or the review list."""
    if request.form.get("back") == "detail":
        return url_for("checkin.recruit_detail", appointment_id=appointment.id)
    return url_for("checkin.recruit", semester=appointment.semester_id)


# --- Import applicants -------------------------------------------------------------------


def _save_upload() -> Path | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return None
    # delete=False: import_roster reopens the file by name; the caller unlinks it.
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        upload.save(handle)
    return Path(handle.name)


@bp.post("/admin/recruit/import")
@roles_required(Role.counselor)
def recruit_import():
    """A roster file of applicants: accounts via import_roster, then an 已报名 appointment each."""
    db = get_session()
    semester = chosen_semester(db)
    if semester is None:
        flash("没有当前或即将开始的学期，请先创建学期", "danger")
        return back("checkin.recruit")
    path = _save_upload()
    if path is None:
        flash("请选择 .xlsx 或 .csv 格式的报名名单（列同花名册）", "danger")
        return back("checkin.recruit", semester=semester.id)
    try:
        return _import_file(db, semester, path)
    finally:
        path.unlink(missing_ok=True)


def _import_file(db: Session, semester: Semester, path: Path):
    team = db.get(Team, team_id())
    try:
        report = import_roster(db, path, team=team)
        rows = read_table(path, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    except (ImportFileError, TableError) as exc:
        db.rollback()
        flash(f"文件无法读取：{exc}", "danger")
        return back("checkin.recruit", semester=semester.id)
    if report.rejected:
        db.rollback()
        flash(
            "名单有错误，未导入任何数据：" + "；".join(str(e) for e in report.errors[:10]), "danger"
        )
        return back("checkin.recruit", semester=semester.id)
    usernames = [r["学号"] for r in rows if r["学号"]]
    users = db.scalars(select(User).where(User.username.in_(usernames), User.team_id == team.id))
    existing = set(
        db.scalars(select(Appointment.user_id).where(Appointment.semester_id == semester.id))
    )
    added = []
    for user in users:
        if user.role not in (Role.assistant, Role.leader) or user.id in existing:
            continue
        appointment = Appointment(user_id=user.id, semester_id=semester.id, applied_on=today())
        appointment.stage = Stage.applied
        db.add(appointment)
        db.add(
            AppointmentEvent(
                appointment=appointment,
                from_stage=None,
                to_stage=Stage.applied,
                on=today(),
                at=now(),
                by_id=current_user.id,
                reason="兼辅导入报名名单",
            )
        )
        added.append(user.username)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        flash("导入时发生冲突，请重试", "danger")
        return back("checkin.recruit", semester=semester.id)
    after = {
        "semester": semester.name,
        "applicants": sorted(added),
        "accounts_created": report.created,
        "accounts_updated": report.updated,
    }
    audit(db, "appointment.import", "semester", semester.id, None, after)
    db.commit()
    return (
        render_template(
            "admin_recruit_imported.html",
            semester=semester,
            added=sorted(added),
            report=report,
            skipped=len(usernames) - len(added),
        ),
        200,
        {"Cache-Control": "private, no-store"},
    )

"""Recruitment review (第三条、第四条): applicants, college review, trial and appointment.

The counselor sees the semester's applicants with their conditions (政治面貌、学历层次、年级、
经历、家庭经济困难), ranked so 党员 / 研究生 / 困难 applicants come first (同等条件下优先), and moves
each one through the stages; the rules and the audit live in ``data.services.recruitment``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.admin.roster import password_stash
from checkin.common import (
    REASON_MAX,
    clean_block,
    get_own,
    parse_day,
    parse_ids,
    perform,
    team_id,
    team_semesters,
    today,
    upcoming_semester,
)
from data.attendance import team_settings
from data.db import write_transaction
from data.importers import default_appointment_day
from data.models import STAGE_LABELS, Appointment, Semester, Stage, User
from data.policy.lifecycle import trial_due, trial_end
from data.services import Refused, carry_over
from data.services import recruitment as service
from data.services.recruitment import (
    DEFAULT_REASONS,
    DEGREES,
    POLITICAL,
    RECRUIT_STAGES,
    TRANSITIONS,
    is_early,
)
from data.services.roster import PASSWORD_HOURS
from web import client_ip, get_session, now

UPLOAD_SUFFIXES = (".xlsx", ".csv")
STAGE_ORDER = {s: i for i, s in enumerate(Stage)}
FILTERS = ("stage", "political", "degree", "grade", "experience", "hardship")


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


def own_appointment(appointment_id: int) -> Appointment:
    """An appointment of the counselor's team; 404 for anyone else's."""
    return get_own(get_session(), Appointment, appointment_id, lambda a: a.user.team_id)


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
        result.append(Applicant(a, a.user, end, due, is_early(a)))
    return sorted(result, key=lambda x: x.rank)


def _filters() -> dict[str, str]:
    """The list's filters from the query string; by default the open stages."""
    filters = {k: request.args.get(k, "") for k in FILTERS}
    if not request.args.get("stage"):
        filters["stage"] = "open"
    return filters


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
@roles_required(*COUNSELOR)
def recruit():
    db = get_session()
    semester = upcoming_semester(db)
    applicants = _applicants(db, semester) if semester else []
    filters = _filters()
    return render_template(
        "admin/recruit.html",
        semester=semester,
        semesters=team_semesters(db),
        applicants=[a for a in applicants if _matches(a, filters)],
        total=len(applicants),
        due=[a for a in applicants if a.due],
        filters=filters,
        grades=sorted({a.user.grade for a in applicants if a.user.grade}),
        degrees=DEGREES,
        political=POLITICAL,
        stage_labels=STAGE_LABELS,
        transitions=TRANSITIONS,
        default_reasons=DEFAULT_REASONS,
        today=today(),
        settings=team_settings(db, team_id()),
        appoint_day=default_appointment_day(semester, today()) if semester else None,
    )


@bp.get("/admin/recruit/<int:appointment_id>")
@roles_required(*COUNSELOR)
def recruit_detail(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    settings = team_settings(db, team_id())
    end = trial_end(appointment.trial_start, settings) if appointment.trial_start else None
    actors = {u.id: u.name for u in db.scalars(select(User).where(User.team_id == team_id()))}
    return render_template(
        "admin/recruit_detail.html",
        a=appointment,
        user=appointment.user,
        trial_end=end,
        early=is_early(appointment),
        actors=actors,
        stage_labels=STAGE_LABELS,
        transitions=TRANSITIONS,
        default_reasons=DEFAULT_REASONS,
        today=today(),
    )


@bp.post("/admin/recruit/<int:appointment_id>/<action>")
@roles_required(*COUNSELOR)
def recruit_action(appointment_id: int, action: str):
    db = get_session()
    appointment = own_appointment(appointment_id)
    if action not in TRANSITIONS:
        abort(404)
    on = parse_day(request.form.get("on"))
    reason = clean_block(request.form.get("reason"), REASON_MAX)
    early = request.form.get("early") == "1"
    try:
        with write_transaction(db):
            label = service.move(
                db,
                current_user,
                appointment,
                action,
                on,
                reason,
                early=early,
                at=now(),
                ip=client_ip(),
            )
    except Refused as exc:
        flash(str(exc), "danger")
        return redirect(_return_to(appointment))
    flash(f"{appointment.user.name}：{label}（{on:%Y-%m-%d}）", "success")
    return redirect(_return_to(appointment))


@bp.post("/admin/recruit/appoint")
@roles_required(*COUNSELOR)
def recruit_appoint_many():
    """聘任 everyone ticked on the list from one date, without a trial; one audit entry each."""
    semester = upcoming_semester(get_session())
    if semester is None:
        flash("没有当前或即将开始的学期，请先创建学期", "danger")
        return redirect(url_for("checkin.recruit"))
    raw_day = request.form.get("on", "").strip()
    on = parse_day(raw_day) if raw_day else default_appointment_day(semester, today())
    reason = clean_block(request.form.get("reason"), REASON_MAX)
    user_ids = parse_ids(request.form.getlist("user"))
    result = perform(carry_over.appoint_many, semester, user_ids, on, reason)
    if result is not None:
        flash(result.message(), "success")
    return redirect(url_for("checkin.recruit", semester=semester.id, stage="all"))


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
@roles_required(*COUNSELOR)
def recruit_import():
    """A roster file of applicants: accounts for new people, then an 已报名 appointment each."""
    db = get_session()
    semester = upcoming_semester(db)
    if semester is None:
        flash("没有当前或即将开始的学期，请先创建学期", "danger")
        return redirect(url_for("checkin.recruit"))
    back = redirect(url_for("checkin.recruit", semester=semester.id))
    path = _save_upload()
    if path is None:
        flash("请选择 .xlsx 或 .csv 格式的报名名单（列同花名册）", "danger")
        return back
    try:
        with write_transaction(db):
            result = service.import_applicants(
                db, current_user, semester, path, today=today(), at=now(), ip=client_ip()
            )
    except Refused as exc:
        flash(str(exc), "danger")
        return back
    finally:
        path.unlink(missing_ok=True)
    # Initial passwords go to the one-time sheet and slips, never only on screen (issue 12).
    passwords = result.report.passwords
    token = password_stash().put(current_user.id, passwords) if passwords else ""
    page = render_template(
        "admin/recruit_imported.html",
        semester=semester,
        added=result.added,
        report=result.report,
        skipped=result.skipped,
        token=token,
        hours=PASSWORD_HOURS,
    )
    return page, 200, {"Cache-Control": "private, no-store"}

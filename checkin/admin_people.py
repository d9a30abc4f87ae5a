"""Leaving (第九条四、五): resignation, dismissal, their grounds, and the term-end re-hire list.

The system only *proposes* a dismissal (``lifecycle.dismissal_proposals``); the counselor
decides. A resignation needs written notice ``resignation_notice_days`` before the leaving
date; a shorter notice needs the counselor's explicit override and stays flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from checkin import bp
from checkin.access import roles_required
from checkin.admin_recruit import (
    APPOINTMENT_FIELDS,
    audit,
    change_stage,
    chosen_semester,
    clean_text,
    own_appointment,
    parse_day,
    team_id,
    team_semesters,
    today,
)
from checkin.admin_semester import Locked, ensure_unlocked
from data.attendance import team_settings
from data.audit import snapshot
from data.models import (
    GRADE_LABELS,
    STAGE_LABELS,
    Appointment,
    CourseFailure,
    DismissalReason,
    Grade,
    Role,
    Semester,
    Stage,
    Violation,
)
from data.policy.lifecycle import DISMISSAL_LABELS, dismissal_proposals, resignation_notice_ok
from data.report import build_report
from web import get_session, now

SERVING = (Stage.trial, Stage.appointed)
LEFT = (Stage.dismissed, Stage.resigned)
SHORT_NOTICE_FLAG = "未提前一个月"
COURSE_MAX = 100


@dataclass(frozen=True)
class Member:
    appointment: Appointment
    failures: int
    violations: int
    proposals: list[str]


def _counts(db: Session, model, semester_id: int) -> Counter:
    return Counter(
        dict(
            db.execute(
                select(model.user_id, func.count(model.id))
                .where(model.semester_id == semester_id)
                .group_by(model.user_id)
            ).all()
        )
    )


def _grades(db: Session, semester: Semester) -> dict[int, str]:
    """Final grades once the term is over; before that a grade would only be a guess."""
    report = build_report(db, semester, now())
    return {m.user_id: m.final_grade for m in report.members} if report.assessed else {}


@bp.get("/admin/people")
@roles_required(Role.counselor)
def people():
    db = get_session()
    semester = chosen_semester(db)
    members: list[Member] = []
    records: list = []
    if semester is not None:
        appointments = db.scalars(
            select(Appointment)
            .where(Appointment.semester_id == semester.id)
            .where(Appointment.stage.in_((*SERVING, *LEFT, Stage.ended)))
            .options(selectinload(Appointment.user))
        ).all()
        failures = _counts(db, CourseFailure, semester.id)
        violations = _counts(db, Violation, semester.id)
        grades = _grades(db, semester)
        for a in sorted(appointments, key=lambda a: (a.stage not in SERVING, a.user.username)):
            proposals = (
                dismissal_proposals(
                    failures[a.user_id], violations[a.user_id], grades.get(a.user_id)
                )
                if a.stage in SERVING
                else []
            )
            members.append(Member(a, failures[a.user_id], violations[a.user_id], proposals))
        records = _records(db, semester)
    return render_template(
        "admin_people.html",
        semester=semester,
        semesters=team_semesters(db),
        members=members,
        records=records,
        stage_labels=STAGE_LABELS,
        reasons=DISMISSAL_LABELS,
        serving=SERVING,
        today=today(),
        settings=team_settings(db, team_id()),
        short_flag=SHORT_NOTICE_FLAG,
    )


def _records(db: Session, semester: Semester) -> list[tuple]:
    """Course failures and violations of the semester, newest first: (date, kind, user, text)."""
    rows = [
        (f.recorded_on, "课程考试不及格", f.user_id, f.course)
        for f in db.scalars(select(CourseFailure).where(CourseFailure.semester_id == semester.id))
    ] + [
        (v.on, "违反校规校纪", v.user_id, v.description)
        for v in db.scalars(select(Violation).where(Violation.semester_id == semester.id))
    ]
    names = {
        a.user_id: a.user.name
        for a in db.scalars(select(Appointment).where(Appointment.semester_id == semester.id))
    }
    return [
        (d, kind, names.get(uid, ""), text) for d, kind, uid, text in sorted(rows, reverse=True)
    ]


def _back(appointment: Appointment):
    return redirect(url_for("checkin.people", semester=appointment.semester_id))


def _serving_error(appointment: Appointment, what: str) -> str | None:
    if appointment.stage not in SERVING:
        return f"不能{what}：当前阶段为“{STAGE_LABELS[appointment.stage]}”，只有试用或聘任中的助管可以办理"
    return None


@bp.post("/admin/people/<int:appointment_id>/resign")
@roles_required(Role.counselor)
def resign(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    requested = parse_day(request.form.get("requested_on"))
    leaving = parse_day(request.form.get("leaving_on"))
    override = request.form.get("override") == "1"
    reason = clean_text(request.form.get("reason")) or "本人书面申请辞职"
    settings = team_settings(db, team_id())
    error = _serving_error(appointment, "办理辞职")
    if error is None and (requested is None or leaving is None):
        error = "请填写正确的申请日期和离岗日期（年-月-日）"
    elif error is None and leaving < requested:
        error = "离岗日期不能早于申请日期"
    short = error is None and not resignation_notice_ok(requested, leaving, settings)
    if short and not override:
        error = (
            f"辞职须至少提前 {settings.resignation_notice_days} 天书面申请（第九条五），"
            f"本次只提前 {(leaving - requested).days} 天。确需同意，请勾选“同意提前离岗”"
        )
    if error:
        flash(error, "danger")
        return _back(appointment)
    before = snapshot(appointment, (*APPOINTMENT_FIELDS, "resignation_requested_on"))
    before["short_notice_override"] = appointment.short_notice_override
    appointment.resignation_requested_on = requested
    appointment.short_notice_override = short
    appointment.ended_on = leaving
    if short:
        reason = f"【{SHORT_NOTICE_FLAG}】{reason}"
    # The history event carries the leaving date: that is the day the stage takes effect.
    change_stage(
        db,
        appointment,
        Stage.resigned,
        leaving,
        reason,
        action="appointment.resign",
        extra_before=before,
        extra_after={
            "resignation_requested_on": requested,
            "short_notice_override": short,
        },
    )
    db.commit()
    flag = f"（{SHORT_NOTICE_FLAG}，已由兼辅同意）" if short else ""
    flash(f"{appointment.user.name} 辞职已登记，离岗日期 {leaving:%Y-%m-%d}{flag}", "success")
    return _back(appointment)


@bp.post("/admin/people/<int:appointment_id>/dismiss")
@roles_required(Role.counselor)
def dismiss(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    on = parse_day(request.form.get("on"))
    note = clean_text(request.form.get("reason"))
    try:
        category = DismissalReason(request.form.get("category", ""))
    except ValueError:
        category = None
    error = _serving_error(appointment, "解聘")
    if error is None and category is None:
        error = "请选择解聘原因类别"
    elif error is None and on is None:
        error = "请填写正确的解聘日期（年-月-日）"
    elif error is None and on < appointment.applied_on:
        error = "解聘日期不能早于报名日期"
    if error:
        flash(error, "danger")
        return _back(appointment)
    before = snapshot(appointment, (*APPOINTMENT_FIELDS, "dismissal_reason"))
    appointment.dismissal_reason = category
    appointment.ended_on = on
    label = DISMISSAL_LABELS[category]
    change_stage(
        db,
        appointment,
        Stage.dismissed,
        on,
        f"{label}：{note}" if note else label,
        action="appointment.dismiss",
        extra_before=before,
        extra_after={"dismissal_reason": category},
    )
    db.commit()
    flash(f"{appointment.user.name} 已解聘（{label}）", "success")
    return _back(appointment)


def _record_date_error(db: Session, appointment: Appointment, on: date | None) -> str | None:
    """Failures and violations force 不合格, so a finalized (locked) assessment refuses them."""
    if on is None:
        return "请填写正确的日期（年-月-日）"
    semester = db.get(Semester, appointment.semester_id)
    try:
        ensure_unlocked(db, team_id(), min(max(on, semester.start), semester.end))
    except Locked as exc:
        return str(exc)
    return None


@bp.post("/admin/people/<int:appointment_id>/failure")
@roles_required(Role.counselor)
def add_failure(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    course = " ".join((request.form.get("course") or "").split())
    on = parse_day(request.form.get("on"))
    if not course or len(course) > COURSE_MAX:
        flash(f"请填写不及格的课程名称（最多 {COURSE_MAX} 字）", "danger")
        return _back(appointment)
    error = _record_date_error(db, appointment, on)
    if error:
        flash(error, "danger")
        return _back(appointment)
    failure = CourseFailure(
        user_id=appointment.user_id,
        semester_id=appointment.semester_id,
        course=course,
        recorded_on=on,
        by_id=current_user.id,
    )
    db.add(failure)
    db.flush()
    after = snapshot(failure, ("user_id", "semester_id", "course", "recorded_on"))
    audit(db, "course_failure.create", "course_failure", failure.id, None, after)
    db.commit()
    flash(f"已登记 {appointment.user.name} 课程考试不及格：{course}（考核将评为不合格）", "success")
    return _back(appointment)


@bp.post("/admin/people/<int:appointment_id>/violation")
@roles_required(Role.counselor)
def add_violation(appointment_id: int):
    db = get_session()
    appointment = own_appointment(appointment_id)
    description = clean_text(request.form.get("description"))
    on = parse_day(request.form.get("on"))
    if not description:
        flash("请填写违纪情况说明", "danger")
        return _back(appointment)
    error = _record_date_error(db, appointment, on)
    if error:
        flash(error, "danger")
        return _back(appointment)
    violation = Violation(
        user_id=appointment.user_id,
        semester_id=appointment.semester_id,
        on=on,
        description=description,
        by_id=current_user.id,
    )
    db.add(violation)
    db.flush()
    after = snapshot(violation, ("user_id", "semester_id", "on", "description"))
    audit(db, "violation.create", "violation", violation.id, None, after)
    db.commit()
    flash(f"已登记 {appointment.user.name} 违反校规校纪（考核将评为不合格）", "success")
    return _back(appointment)


# --- Re-hire list ------------------------------------------------------------------------


@dataclass(frozen=True)
class RehireRow:
    username: str
    name: str
    grade: str
    reasons: str
    verdict: str  # "no" 不再聘任, "yes" 可续聘, "left" 已离任


def _default_rehire_semester(db: Session) -> Semester | None:
    """The last semester that is over (the list is made at term end), else the chosen one."""
    if request.args.get("semester"):
        return chosen_semester(db)
    ended = [s for s in team_semesters(db) if s.end < today()]
    return ended[0] if ended else chosen_semester(db)


@bp.get("/admin/people/rehire")
@roles_required(Role.counselor)
def rehire():
    db = get_session()
    semester = _default_rehire_semester(db)
    if semester is None:
        abort(404)
    report = build_report(db, semester, now())
    stages = dict(
        db.execute(
            select(Appointment.user_id, Appointment.stage).where(
                Appointment.semester_id == semester.id
            )
        ).all()
    )
    rows = []
    for m in report.members:
        left = stages.get(m.user_id) in LEFT
        unqualified = m.final_grade == Grade.unqualified
        verdict = "left" if left else ("no" if unqualified else "yes")
        reasons = "；".join(m.assessment.reasons) if unqualified else ""
        rows.append(
            RehireRow(m.username, m.name, GRADE_LABELS[Grade(m.final_grade)], reasons, verdict)
        )
    # Resigned people are not assessed (data.report.SERVED_STAGES), so list them from the stages.
    assessed = {m.user_id for m in report.members}
    for a in db.scalars(
        select(Appointment)
        .where(Appointment.semester_id == semester.id, Appointment.stage == Stage.resigned)
        .options(selectinload(Appointment.user))
    ):
        if a.user_id not in assessed:
            rows.append(RehireRow(a.user.username, a.user.name, "—", "辞职", "left"))
    left_stage = {
        a.user.username: STAGE_LABELS[a.stage]
        for a in db.scalars(
            select(Appointment)
            .where(Appointment.semester_id == semester.id, Appointment.stage.in_(LEFT))
            .options(selectinload(Appointment.user))
        )
    }
    return render_template(
        "admin_people_rehire.html",
        semester=semester,
        semesters=team_semesters(db),
        assessed=report.assessed,
        no=[r for r in rows if r.verdict == "no"],
        yes=[r for r in rows if r.verdict == "yes"],
        left=[r for r in rows if r.verdict == "left"],
        left_stage=left_stage,
    )

"""Leaving (第九条四、五): resignation, dismissal, their grounds, and the term-end re-hire list.

The system only *proposes* a dismissal (``lifecycle.dismissal_proposals``); the counselor
decides. A resignation needs written notice ``resignation_notice_days`` before the leaving
date; a shorter notice needs the counselor's explicit override and stays flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import (
    REASON_MAX,
    clean_block,
    clean_text,
    get_own,
    parse_day,
    perform,
    team_id,
    team_semesters,
    today,
    upcoming_semester,
)
from data.attendance import team_settings
from data.models import (
    GRADE_LABELS,
    STAGE_LABELS,
    Appointment,
    CourseFailure,
    Grade,
    Semester,
    Stage,
    Violation,
)
from data.policy.lifecycle import DISMISSAL_LABELS, dismissal_proposals
from data.report import SemesterReport, build_report
from data.services import people as service
from data.services.people import LEFT, SERVING, SHORT_NOTICE_FLAG
from web import get_session, now


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


def _members(db: Session, semester: Semester) -> list[Member]:
    """Everyone in post or gone this semester, serving first, with the proposals for each."""
    appointments = db.scalars(
        select(Appointment)
        .where(Appointment.semester_id == semester.id)
        .where(Appointment.stage.in_((*SERVING, *LEFT, Stage.ended)))
        .options(selectinload(Appointment.user))
    ).all()
    failures = _counts(db, CourseFailure, semester.id)
    violations = _counts(db, Violation, semester.id)
    grades = _grades(db, semester)
    members = []
    for a in sorted(appointments, key=lambda a: (a.stage not in SERVING, a.user.username)):
        uid = a.user_id
        proposals = (
            dismissal_proposals(failures[uid], violations[uid], grades.get(uid))
            if a.stage in SERVING
            else []
        )
        members.append(Member(a, failures[uid], violations[uid], proposals))
    return members


@bp.get("/admin/people")
@roles_required(*COUNSELOR)
def people():
    db = get_session()
    semester = upcoming_semester(db)
    return render_template(
        "admin/people.html",
        semester=semester,
        semesters=team_semesters(db),
        members=_members(db, semester) if semester else [],
        records=_records(db, semester) if semester else [],
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


def own_appointment(appointment_id: int) -> Appointment:
    """An appointment of the counselor's team; 404 for anyone else's."""
    return get_own(get_session(), Appointment, appointment_id, lambda a: a.user.team_id)


def _back(appointment: Appointment):
    return redirect(url_for("checkin.people", semester=appointment.semester_id))


@bp.post("/admin/people/<int:appointment_id>/resign")
@roles_required(*COUNSELOR)
def resign(appointment_id: int):
    appointment = own_appointment(appointment_id)
    form = request.form
    leaving = parse_day(form.get("leaving_on"))
    short = perform(
        service.resign,
        appointment,
        parse_day(form.get("requested_on")),
        leaving,
        clean_block(form.get("reason"), REASON_MAX),
        override=form.get("override") == "1",
    )
    if short is not None:
        flag = f"（{SHORT_NOTICE_FLAG}，已由兼辅同意）" if short else ""
        flash(f"{appointment.user.name} 辞职已登记，离岗日期 {leaving:%Y-%m-%d}{flag}", "success")
    return _back(appointment)


@bp.post("/admin/people/<int:appointment_id>/dismiss")
@roles_required(*COUNSELOR)
def dismiss(appointment_id: int):
    appointment = own_appointment(appointment_id)
    label = perform(
        service.dismiss,
        appointment,
        parse_day(request.form.get("on")),
        clean_text(request.form.get("category"), 40),
        clean_block(request.form.get("reason"), REASON_MAX),
    )
    if label is not None:
        flash(f"{appointment.user.name} 已解聘（{label}）", "success")
    return _back(appointment)


@bp.post("/admin/people/<int:appointment_id>/failure")
@roles_required(*COUNSELOR)
def add_failure(appointment_id: int):
    appointment = own_appointment(appointment_id)
    course = clean_text(request.form.get("course"), service.COURSE_MAX + 1)
    failure = perform(service.add_failure, appointment, course, parse_day(request.form.get("on")))
    if failure is not None:
        name, course = appointment.user.name, failure.course
        flash(f"已登记 {name} 课程考试不及格：{course}（考核将评为不合格）", "success")
    return _back(appointment)


@bp.post("/admin/people/<int:appointment_id>/violation")
@roles_required(*COUNSELOR)
def add_violation(appointment_id: int):
    appointment = own_appointment(appointment_id)
    description = clean_block(request.form.get("description"), REASON_MAX)
    on = parse_day(request.form.get("on"))
    if perform(service.add_violation, appointment, description, on) is not None:
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
        return upcoming_semester(db)
    ended = [s for s in team_semesters(db) if s.end < today()]
    return ended[0] if ended else upcoming_semester(db)


def _rehire_rows(db: Session, semester: Semester, report: SemesterReport) -> list[RehireRow]:
    """Each person's verdict: 不再聘任 when 不合格, 已离任 when gone, else 可续聘."""
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
    for a in _appointments(db, semester, (Stage.resigned,)):
        if a.user_id not in assessed:
            rows.append(RehireRow(a.user.username, a.user.name, "—", "辞职", "left"))
    return rows


def _appointments(db: Session, semester: Semester, stages: tuple[Stage, ...]) -> list[Appointment]:
    query = (
        select(Appointment)
        .where(Appointment.semester_id == semester.id, Appointment.stage.in_(stages))
        .options(selectinload(Appointment.user))
    )
    return list(db.scalars(query))


@bp.get("/admin/people/rehire")
@roles_required(*COUNSELOR)
def rehire():
    db = get_session()
    semester = _default_rehire_semester(db)
    if semester is None:
        abort(404)
    report = build_report(db, semester, now())
    rows = _rehire_rows(db, semester, report)
    left_stage = {a.user.username: STAGE_LABELS[a.stage] for a in _appointments(db, semester, LEFT)}
    return render_template(
        "admin/people_rehire.html",
        semester=semester,
        semesters=team_semesters(db),
        assessed=report.assessed,
        no=[r for r in rows if r.verdict == "no"],
        yes=[r for r in rows if r.verdict == "yes"],
        left=[r for r in rows if r.verdict == "left"],
        left_stage=left_stage,
    )

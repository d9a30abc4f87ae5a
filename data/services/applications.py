"""The applicant's own form (第四条 "学生本人直接向学院提出申请").

Any assistant account of the team that has no appointment for the running (or next) semester
applies: experience, a 学习成绩 note, and the profile fields the review ranks by. The
application is an 已报名 appointment with its first history event and one audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.inputs import clean_block, clean_text
from data.models import Appointment, AppointmentEvent, Semester, Stage, User
from data.services import Refused, audit
from data.services.recruitment import DEGREES, POLITICAL, target_semester

PROFILE = ("degree_level", "grade", "political_status", "hardship")
FORM_FIELDS = (*PROFILE, "grades_note", "experience")
POLITICAL_CHOICES = (*POLITICAL, "其他")
EXPERIENCE_MAX = 2000
GRADES_NOTE_MAX = 200
GRADE_MAX = 20
ALREADY = "你已经提交过本学期的报名。"


class Invalid(Refused):
    """The form cannot be stored; ``errors`` lists every reason (Chinese)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def open_application(
    session: Session, user: User, today: date
) -> tuple[Semester | None, Appointment | None]:
    """The semester the user may apply for, and their appointment in it if they already have one."""
    semester = target_semester(session, user.team_id, today) if user.team_id else None
    if semester is None:
        return None, None
    existing = session.scalar(
        select(Appointment).where(
            Appointment.user_id == user.id, Appointment.semester_id == semester.id
        )
    )
    return semester, existing


def clean_form(raw: Mapping[str, Any]) -> dict[str, str]:
    """The posted form as text without control characters: one line each, except the
    experience, which keeps its lines; one character over each limit, so too long is refused."""
    form = {k: clean_text(raw.get(k), GRADES_NOTE_MAX + 1) for k in FORM_FIELDS}
    form["experience"] = clean_block(raw.get("experience"), EXPERIENCE_MAX + 1)
    return form


def form_errors(form: dict[str, str]) -> list[str]:
    """Every problem of the (whitespace-normalized) form, in the order of its fields."""
    errors = []
    if form["degree_level"] not in DEGREES:
        errors.append("请选择学历层次")
    if not form["grade"]:
        errors.append("请填写年级，如 2023级")
    elif len(form["grade"]) > GRADE_MAX:
        errors.append(f"年级最多 {GRADE_MAX} 个字")
    if form["political_status"] not in POLITICAL_CHOICES:
        errors.append("请选择政治面貌")
    if form["hardship"] not in ("yes", "no"):
        errors.append("请选择是否家庭经济困难")
    if not form["grades_note"]:
        errors.append("请填写学习成绩情况")
    elif len(form["grades_note"]) > GRADES_NOTE_MAX:
        errors.append(f"学习成绩最多 {GRADES_NOTE_MAX} 个字")
    if len(form["experience"]) > EXPERIENCE_MAX:
        errors.append(f"工作经历最多 {EXPERIENCE_MAX} 个字")
    return errors


def apply(
    session: Session,
    actor: User,
    form: Mapping[str, Any],
    *,
    today: date,
    at: datetime,
    ip: str = "",
) -> Appointment:
    """The actor's 已报名 appointment for the open semester, with their confirmed profile."""
    semester, existing = open_application(session, actor, today)
    if semester is None:
        raise Refused("当前不能报名。")
    if existing is not None:
        raise Invalid([ALREADY])
    form = clean_form(form)
    if errors := form_errors(form):
        raise Invalid(errors)
    before = snapshot(actor, PROFILE)
    actor.degree_level = form["degree_level"]
    actor.grade = form["grade"]
    actor.political_status = form["political_status"]
    actor.hardship = form["hardship"] == "yes"
    appointment = Appointment(
        user_id=actor.id,
        semester_id=semester.id,
        applied_on=today,
        grades_note=form["grades_note"],
        experience=form["experience"],
    )
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
            reason="本人提交报名表",
        )
    )
    try:
        session.flush()
    except IntegrityError:  # a second tab submitted first
        raise Invalid([ALREADY]) from None
    after = {
        **snapshot(actor, PROFILE),
        "stage": Stage.applied,
        "semester_id": semester.id,
        "grades_note": appointment.grades_note,
        "experience": appointment.experience,
    }
    before = {**before, "stage": None}
    audit(
        session,
        actor,
        "appointment.apply",
        "appointment",
        appointment.id,
        before,
        after,
        at=at,
        ip=ip,
    )
    return appointment

"""Leaving (第九条四、五): resignation, dismissal, and the grounds that force 不合格.

A resignation needs written notice ``resignation_notice_days`` before the leaving date; a
shorter notice needs the counselor's explicit override and stays flagged. The system only
*proposes* a dismissal (``lifecycle.dismissal_proposals``); the counselor decides. Course
failures and violations force 不合格, so a finalized (locked) semester refuses them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from data.attendance import team_settings
from data.audit import snapshot
from data.inputs import clean_block, clean_text
from data.models import (
    STAGE_LABELS,
    Appointment,
    CourseFailure,
    DismissalReason,
    Semester,
    Stage,
    User,
    Violation,
)
from data.policy.lifecycle import DISMISSAL_LABELS, resignation_notice_ok
from data.services import REASON_MAX, Refused, audit
from data.services.recruitment import APPOINTMENT_FIELDS, change_stage
from data.services.semesters import ensure_unlocked

SERVING = (Stage.trial, Stage.appointed)
LEFT = (Stage.dismissed, Stage.resigned)
SHORT_NOTICE_FLAG = "未提前一个月"
DEFAULT_RESIGN_REASON = "本人书面申请辞职"
COURSE_MAX = 100


def _ensure_serving(appointment: Appointment, what: str) -> None:
    if appointment.stage not in SERVING:
        raise Refused(
            f"不能{what}：当前阶段为“{STAGE_LABELS[appointment.stage]}”，只有试用或聘任中的助管可以办理"
        )


def resign(
    session: Session,
    actor: User,
    appointment: Appointment,
    requested: date | None,
    leaving: date | None,
    reason: str,
    *,
    override: bool = False,
    at: datetime,
    ip: str = "",
) -> bool:
    """Record a resignation leaving on ``leaving``; returns True when the notice was short."""
    _ensure_serving(appointment, "办理辞职")
    if requested is None or leaving is None:
        raise Refused("请填写正确的申请日期和离岗日期（年-月-日）")
    if leaving < requested:
        raise Refused("离岗日期不能早于申请日期")
    settings = team_settings(session, appointment.user.team_id)
    short = not resignation_notice_ok(requested, leaving, settings)
    if short and not override:
        raise Refused(
            f"辞职须至少提前 {settings.resignation_notice_days} 天书面申请（第九条五），"
            f"本次只提前 {(leaving - requested).days} 天。确需同意，请勾选“同意提前离岗”"
        )
    before = snapshot(appointment, (*APPOINTMENT_FIELDS, "resignation_requested_on"))
    before["short_notice_override"] = appointment.short_notice_override
    appointment.resignation_requested_on = requested
    appointment.short_notice_override = short
    appointment.ended_on = leaving
    reason = clean_block(reason, REASON_MAX) or DEFAULT_RESIGN_REASON
    if short:
        reason = f"【{SHORT_NOTICE_FLAG}】{reason}"
    # The history event carries the leaving date: that is the day the stage takes effect.
    change_stage(
        session,
        actor,
        appointment,
        Stage.resigned,
        leaving,
        reason,
        action="appointment.resign",
        at=at,
        ip=ip,
        extra_before=before,
        extra_after={"resignation_requested_on": requested, "short_notice_override": short},
    )
    return short


def dismiss(
    session: Session,
    actor: User,
    appointment: Appointment,
    on: date | None,
    category: str,
    note: Any,
    *,
    at: datetime,
    ip: str = "",
) -> str:
    """Dismiss a serving assistant on ``on`` for a 第九条四 category; returns its label."""
    _ensure_serving(appointment, "解聘")
    try:
        reason = DismissalReason(category)
    except ValueError:
        raise Refused("请选择解聘原因类别") from None
    if on is None:
        raise Refused("请填写正确的解聘日期（年-月-日）")
    if on < appointment.applied_on:
        raise Refused("解聘日期不能早于报名日期")
    before = snapshot(appointment, (*APPOINTMENT_FIELDS, "dismissal_reason"))
    appointment.dismissal_reason = reason
    appointment.ended_on = on
    label = DISMISSAL_LABELS[reason]
    note = clean_block(note, REASON_MAX)
    change_stage(
        session,
        actor,
        appointment,
        Stage.dismissed,
        on,
        f"{label}：{note}" if note else label,
        action="appointment.dismiss",
        at=at,
        ip=ip,
        extra_before=before,
        extra_after={"dismissal_reason": reason},
    )
    return label


def _check_record_date(session: Session, appointment: Appointment, on: date | None) -> None:
    if on is None:
        raise Refused("请填写正确的日期（年-月-日）")
    semester = session.get(Semester, appointment.semester_id)
    ensure_unlocked(session, semester.team_id, min(max(on, semester.start), semester.end))


def add_failure(
    session: Session,
    actor: User,
    appointment: Appointment,
    course: Any,
    on: date | None,
    *,
    at: datetime,
    ip: str = "",
) -> CourseFailure:
    """Record a failed course exam (forces 不合格)."""
    course = clean_text(course, COURSE_MAX + 1)  # one more: too long is refused, not cut
    if not course or len(course) > COURSE_MAX:
        raise Refused(f"请填写不及格的课程名称（最多 {COURSE_MAX} 字）")
    _check_record_date(session, appointment, on)
    failure = CourseFailure(
        user_id=appointment.user_id,
        semester_id=appointment.semester_id,
        course=course,
        recorded_on=on,
        by_id=actor.id,
    )
    session.add(failure)
    session.flush()
    after = snapshot(failure, ("user_id", "semester_id", "course", "recorded_on"))
    audit(
        session,
        actor,
        "course_failure.create",
        "course_failure",
        failure.id,
        None,
        after,
        at=at,
        ip=ip,
    )
    return failure


def add_violation(
    session: Session,
    actor: User,
    appointment: Appointment,
    description: str,
    on: date | None,
    *,
    at: datetime,
    ip: str = "",
) -> Violation:
    """Record a breach of school rules (forces 不合格)."""
    description = clean_block(description, REASON_MAX)
    if not description:
        raise Refused("请填写违纪情况说明")
    _check_record_date(session, appointment, on)
    violation = Violation(
        user_id=appointment.user_id,
        semester_id=appointment.semester_id,
        on=on,
        description=description,
        by_id=actor.id,
    )
    session.add(violation)
    session.flush()
    after = snapshot(violation, ("user_id", "semester_id", "on", "description"))
    audit(session, actor, "violation.create", "violation", violation.id, None, after, at=at, ip=ip)
    return violation

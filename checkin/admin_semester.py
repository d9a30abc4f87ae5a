"""Finalize / unlock a semester's assessment (考核锁定) and the one lock check everybody uses.

Once the counselor finalizes a semester, attendance feeding the assessment must not move
under it: corrections, leave decisions and phone leave for a duty date inside the semester
are refused until an explicit, reasoned and audited unlock. ``ensure_unlocked`` is the only
place that decides this, so every page refuses the same way with the same message.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from data.audit import record, snapshot
from data.models import AuditLog, Role, Semester
from data.timeutil import local_today
from web import client_ip, get_session, now

LOCKED_MESSAGE = "本学期考核已锁定，如需修改请先解锁"
UNLOCK_REASON_MIN = 4
REASON_MAX = 500
MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow the driver's integer type
LOCK_ACTIONS = ("semester.finalize", "semester.unlock", "semester.relock")


class Locked(Exception):
    """A change inside a finalized semester; str() is the Chinese message to show."""

    def __init__(self, semester: Semester) -> None:
        super().__init__(LOCKED_MESSAGE)
        self.semester = semester


def locked_semester(session: Session, team_id: int | None, day: date) -> Semester | None:
    """The team's finalized semester containing ``day``, if any."""
    if team_id is None:
        return None
    return session.scalar(
        select(Semester).where(
            Semester.team_id == team_id,
            Semester.start <= day,
            Semester.end >= day,
            Semester.finalized_at.is_not(None),
        )
    )


def ensure_unlocked(session: Session, team_id: int | None, day: date) -> None:
    """Raise Locked when ``day`` falls in a finalized semester of the team."""
    semester = locked_semester(session, team_id, day)
    if semester is not None:
        raise Locked(semester)


def finalize_refusal(semester: Semester, today: date) -> str | None:
    """Why the semester cannot be finalized today: only from the day after its end (SPEC §3)."""
    if today > semester.end:
        return None
    first = semester.end + timedelta(days=1)
    return (
        f"学期 {semester.end.month} 月 {semester.end.day} 日结束后才能定稿"
        f"（{first.month} 月 {first.day} 日起可以结束考核并锁定）"
    )


FIELDS = ("name", "finalized_at")


def _own_semester(semester_id: int) -> Semester:
    """The semester if it belongs to the counselor's team; 404 otherwise (no existence leak)."""
    semester = get_session().get(Semester, semester_id) if semester_id <= MAX_ID else None
    if semester is None or semester.team_id != current_user.team_id:
        abort(404)
    return semester


def _audit(session: Session, action: str, semester: Semester, before: dict, after: dict) -> None:
    record(
        session,
        actor_id=current_user.id,
        team_id=current_user.team_id,
        action=action,
        entity="semester",
        entity_id=semester.id,
        before=before,
        after=after,
        source_ip=client_ip(),
        at=now(),
    )


@bp.get("/admin/semester")
@roles_required(Role.counselor)
def semesters():
    session = get_session()
    rows = list(
        session.scalars(
            select(Semester)
            .where(Semester.team_id == current_user.team_id)
            .order_by(Semester.start.desc())
        )
    )
    history = list(
        session.scalars(
            select(AuditLog)
            .where(
                AuditLog.team_id == current_user.team_id,
                AuditLog.entity == "semester",
                AuditLog.action.in_(LOCK_ACTIONS),
            )
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(20)
        )
    )
    names = {str(s.id): s.name for s in rows}
    today = local_today(now())
    return render_template(
        "admin_semester.html",
        semesters=rows,
        refusals={s.id: finalize_refusal(s, today) for s in rows},
        history=history,
        names=names,
        reason_min=UNLOCK_REASON_MIN,
        reason_max=REASON_MAX,
    )


def _was_unlocked(session: Session, semester: Semester) -> bool:
    # Locking again after an unlock is a relock: the log then reads finalize → unlock → relock.
    return (
        session.scalar(
            select(AuditLog.id)
            .where(
                AuditLog.entity == "semester",
                AuditLog.entity_id == str(semester.id),
                AuditLog.action == "semester.unlock",
            )
            .limit(1)
        )
        is not None
    )


@bp.post("/admin/semester/<int:semester_id>/finalize")
@roles_required(Role.counselor)
def semester_finalize(semester_id: int):
    session = get_session()
    semester = _own_semester(semester_id)
    if semester.finalized_at is not None:
        flash(f"“{semester.name}”已经锁定，无需重复操作。", "warning")
        return redirect(url_for("checkin.semesters"))
    refusal = finalize_refusal(semester, local_today(now()))
    if refusal is not None:
        flash(f"“{semester.name}”还不能锁定：{refusal}。", "danger")
        return redirect(url_for("checkin.semesters"))
    before = snapshot(semester, FIELDS)
    semester.finalized_at = now()
    action = "semester.relock" if _was_unlocked(session, semester) else "semester.finalize"
    _audit(session, action, semester, before, snapshot(semester, FIELDS))
    session.commit()
    flash(f"已结束“{semester.name}”的考核并锁定：考勤、请假与补签不能再修改。", "success")
    return redirect(url_for("checkin.semesters"))


@bp.post("/admin/semester/<int:semester_id>/unlock")
@roles_required(Role.counselor)
def semester_unlock(semester_id: int):
    session = get_session()
    semester = _own_semester(semester_id)
    reason = (request.form.get("reason") or "").strip()
    if semester.finalized_at is None:
        flash(f"“{semester.name}”尚未锁定。", "warning")
        return redirect(url_for("checkin.semesters"))
    if len(reason) < UNLOCK_REASON_MIN:
        flash(f"解锁必须填写原因（至少 {UNLOCK_REASON_MIN} 个字）。", "danger")
        return redirect(url_for("checkin.semesters"))
    if len(reason) > REASON_MAX:
        flash(f"原因不能超过 {REASON_MAX} 个字。", "danger")
        return redirect(url_for("checkin.semesters"))
    before = snapshot(semester, FIELDS)
    semester.finalized_at = None
    _audit(
        session,
        "semester.unlock",
        semester,
        before,
        {**snapshot(semester, FIELDS), "reason": reason},
    )
    session.commit()
    flash(f"已解锁“{semester.name}”：修改完成后请重新锁定。", "success")
    return redirect(url_for("checkin.semesters"))

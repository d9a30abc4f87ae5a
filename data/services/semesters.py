"""Finalize / unlock a semester's assessment (考核锁定) and the one lock check everybody uses.

Once the counselor finalizes a semester, attendance feeding the assessment must not move
under it: corrections, leave decisions and phone leave for a duty date inside the semester
are refused until an explicit, reasoned and audited unlock. ``ensure_unlocked`` is the only
place that decides this, so every page refuses the same way with the same message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.inputs import clean_block
from data.models import AuditLog, Semester, User
from data.services import REASON_MAX, Refused, audit
from data.summaries import delete_summaries, store_summaries
from data.timeutil import local_today

LOCKED_MESSAGE = "本学期考核已锁定，如需修改请先解锁"
UNLOCK_REASON_MIN = 4
LOCK_ACTIONS = ("semester.finalize", "semester.unlock", "semester.relock")
FIELDS = ("name", "finalized_at")


class Locked(Refused):
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


def lock_history(session: Session, team_id: int, limit: int = 20) -> list[AuditLog]:
    """The team's latest finalize / unlock / relock entries, newest first."""
    return list(
        session.scalars(
            select(AuditLog)
            .where(
                AuditLog.team_id == team_id,
                AuditLog.entity == "semester",
                AuditLog.action.in_(LOCK_ACTIONS),
            )
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
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


def finalize(
    session: Session, actor: User, semester: Semester, *, at: datetime, ip: str = ""
) -> bool:
    """Lock the semester's assessment; False when it already was (nothing to do)."""
    if semester.finalized_at is not None:
        return False
    refusal = finalize_refusal(semester, local_today(at))
    if refusal is not None:
        raise Refused(f"“{semester.name}”还不能锁定：{refusal}。")
    before = snapshot(semester, FIELDS)
    semester.finalized_at = at
    action = "semester.relock" if _was_unlocked(session, semester) else "semester.finalize"
    after = snapshot(semester, FIELDS)
    audit(session, actor, action, "semester", semester.id, before, after, at=at, ip=ip)
    # Locked from here on, so its figures are final: store them once for 学期对比 (SPEC §8).
    store_summaries(session, semester, at)
    return True


def unlock(
    session: Session, actor: User, semester: Semester, reason: Any, *, at: datetime, ip: str = ""
) -> bool:
    """Unlock with a reason (audited); False when the semester was not locked."""
    if semester.finalized_at is None:
        return False
    reason = clean_block(reason, REASON_MAX + 1)  # one more: too long is refused, not cut
    if len(reason) < UNLOCK_REASON_MIN:
        raise Refused(f"解锁必须填写原因（至少 {UNLOCK_REASON_MIN} 个字）。")
    if len(reason) > REASON_MAX:
        raise Refused(f"原因不能超过 {REASON_MAX} 个字。")
    before = snapshot(semester, FIELDS)
    semester.finalized_at = None
    after = {**snapshot(semester, FIELDS), "reason": reason}
    audit(session, actor, "semester.unlock", "semester", semester.id, before, after, at=at, ip=ip)
    delete_summaries(session, semester)  # it may change again: 学期对比 computes it until relock
    return True

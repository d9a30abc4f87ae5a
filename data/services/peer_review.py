"""同学互评 (第九条二): each assistant rates every other team member 0–10, never themselves.

Ratings are anonymous: the audit entry of a submission records how many ratings changed, not
the scores. Editable while the counselor keeps the assessment open and until the semester is
finalized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import facts
from data.inputs import as_text
from data.models import Evaluation, EvaluationKind, Semester, User
from data.report import members_of
from data.services import Refused, audit
from data.services.assessment import assessment_open, parse_score
from data.services.semesters import ensure_unlocked

PEER_MAX = 10


class BadScore(Refused):
    """A score outside 0–10 (or with more than one decimal); nothing was saved."""


@dataclass(frozen=True)
class Ballot:
    """The semester open for rating, whom the rater rates, and their own ratings so far."""

    semester: Semester | None
    subjects: list[User] = field(default_factory=list)  # empty when the rater is not a member
    mine: dict[int, Evaluation] = field(default_factory=dict)


@dataclass(frozen=True)
class Saved:
    rated: int
    total: int
    changed: int


def open_semester(session: Session, team_id: int | None) -> Semester | None:
    """The latest semester of the team whose assessment is open (finalized included, so a late
    submission is told the semester is locked rather than that nothing is open)."""
    for semester in facts.team_semesters(session, team_id):
        if assessment_open(session, semester):
            return semester
    return None


def ballot(session: Session, rater: User) -> Ballot:
    semester = open_semester(session, rater.team_id)
    if semester is None:
        return Ballot(None)
    members = members_of(session, semester)
    if all(m.id != rater.id for m in members):
        return Ballot(semester)
    query = select(Evaluation).where(
        Evaluation.semester_id == semester.id,
        Evaluation.rater_id == rater.id,
        Evaluation.kind == EvaluationKind.peer,
    )
    mine = {e.subject_id: e for e in session.scalars(query)}
    return Ballot(semester, [m for m in members if m.id != rater.id], mine)


def save_peer_scores(
    session: Session, actor: User, scores: dict[int, str], *, at: datetime, ip: str = ""
) -> Saved:
    """Store the actor's ratings (text per subject id, empty = none); counts only in the audit."""
    current = ballot(session, actor)
    semester, subjects, mine = current.semester, current.subjects, current.mine
    if semester is None:
        raise Refused("目前没有进行中的同学互评")
    if not subjects:
        raise Refused("你不在本学期的助管名单中，不能参加互评")
    ensure_unlocked(session, semester.team_id, semester.start)
    wanted = {s.id: _score(s, scores.get(s.id, "")) for s in subjects}
    changed = 0
    for subject_id, new in wanted.items():
        row = mine.get(subject_id)
        if (row.score if row else None) == new:
            continue
        changed += 1
        if new is None:
            session.delete(row)
        elif row is None:
            session.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=subject_id,
                    rater_id=actor.id,
                    kind=EvaluationKind.peer,
                    score=new,
                    created_at=at,
                )
            )
        else:
            row.score = new
    rated = sum(1 for v in wanted.values() if v is not None)
    if changed:
        after = {"rated": rated, "changed": changed}
        audit(
            session,
            actor,
            "evaluation.peer",
            "semester",
            semester.id,
            {"rated": len(mine)},
            after,
            at=at,
            ip=ip,
        )
    return Saved(rated=rated, total=len(subjects), changed=changed)


def _score(subject: User, text: Any) -> float | None:
    text = as_text(text).strip()
    try:
        return parse_score(text, PEER_MAX) if text else None
    except ValueError:
        raise BadScore(f"给 {subject.name} 的评分应为 0–10 之间的数（最多一位小数）") from None

"""嘉奖 (第七条三): the counselor records a commendation with an optional stipend bonus.

The semester is the team's semester containing the date, and the person must have served in it:
the report (``data.report``) then adds the bonus to their stipend and the reason to their
assessment reasons. A finalized (locked) semester refuses new and deleted commendations, as it
refuses every other change that moves a grade or a stipend.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.facts import members_of, semester_on
from data.inputs import as_text
from data.models import Commendation, Semester, User
from data.services import Refused, audit, clean_reason
from data.services.semesters import ensure_unlocked

BONUS_MAX = Decimal("5000")  # a commendation is a gesture, not a second stipend
BONUS_TEXT = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")  # ASCII only: \d takes "١٢" too
FIELDS = ("user_id", "semester_id", "on", "reason", "bonus")


def parse_bonus(text: Any) -> Decimal:
    """The bonus in 元: empty is 0; at most two decimals, 0 to ``BONUS_MAX``."""
    raw = as_text(text).strip().removesuffix("元").strip()
    if not raw:
        return Decimal("0.00")
    if not BONUS_TEXT.fullmatch(raw):
        raise Refused("奖励金额应为不小于 0 的数字，最多两位小数（如 100 或 50.50）")
    bonus = Decimal(raw).quantize(Decimal("0.01"))
    if bonus > BONUS_MAX:
        raise Refused(f"奖励金额不能超过 {BONUS_MAX} 元")
    return bonus


def add(
    session: Session,
    actor: User,
    person: User | None,
    on: date | None,
    reason: str,
    bonus: str,
    *,
    at: datetime,
    ip: str = "",
) -> Commendation:
    """Record a commendation of ``person`` on ``on``; refused outside the team's semesters."""
    if person is None or person.team_id != actor.team_id:
        raise Refused("请选择本团队的助管")
    if on is None:
        raise Refused("请填写嘉奖日期（年-月-日）")
    semester = semester_on(session, actor.team_id, on)
    if semester is None:
        raise Refused(f"{on:%Y-%m-%d} 不在本团队的任何学期内")
    if person.id not in {u.id for u in members_of(session, semester)}:
        raise Refused(f"{person.name} 在{semester.name}没有任职记录，不能嘉奖")
    ensure_unlocked(session, semester.team_id, on)
    commendation = Commendation(
        user_id=person.id,
        semester_id=semester.id,
        on=on,
        reason=clean_reason(reason, "嘉奖事由"),
        bonus=parse_bonus(bonus),
        by_id=actor.id,
    )
    session.add(commendation)
    session.flush()
    after = snapshot(commendation, FIELDS)
    cid = commendation.id
    audit(session, actor, "commendation.create", "commendation", cid, None, after, at=at, ip=ip)
    return commendation


def delete(
    session: Session, actor: User, commendation: Commendation, *, at: datetime, ip: str = ""
) -> str:
    """Remove a commendation recorded by mistake; returns the person's name."""
    semester = session.get(Semester, commendation.semester_id)
    if semester is None or semester.team_id != actor.team_id:
        raise Refused("找不到该嘉奖记录")
    ensure_unlocked(session, semester.team_id, commendation.on)
    before = snapshot(commendation, FIELDS)
    name = session.get(User, commendation.user_id).name
    session.delete(commendation)
    cid = commendation.id
    audit(session, actor, "commendation.delete", "commendation", cid, before, None, at=at, ip=ip)
    return name


def of_semester(session: Session, semester: Semester) -> list[tuple[Commendation, User]]:
    """The semester's commendations with their person, newest first."""
    rows = session.execute(
        select(Commendation, User)
        .join(User, User.id == Commendation.user_id)
        .where(Commendation.semester_id == semester.id)
        .order_by(Commendation.on.desc(), Commendation.id.desc())
    )
    return [(c, u) for c, u in rows]


def of_user(session: Session, user_id: int) -> list[tuple[Commendation, Semester]]:
    """One person's commendations with their semester, newest first (their own page)."""
    rows = session.execute(
        select(Commendation, Semester)
        .join(Semester, Semester.id == Commendation.semester_id)
        .where(Commendation.user_id == user_id)
        .order_by(Commendation.on.desc(), Commendation.id.desc())
    )
    return [(c, s) for c, s in rows]

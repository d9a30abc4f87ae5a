"""Weekly 周总结 and daily 小结 (第六条六): one per user, kind and period; saving again edits it.

Only the current period can be written (this week's Monday, or today): past weeks stay as they
were handed in, which is what the compliance count (weeks with a summary) relies on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.inputs import clean_block
from data.models import Summary, SummaryKind, User
from data.services import Refused, audit
from data.timeutil import local_today

SUMMARY_MAX = 2000
WEEKLY_MIN = 10
DAILY_MIN = 5


class Kind(NamedTuple):
    kind: SummaryKind
    label: str
    minimum: int


KINDS = {
    "weekly": Kind(SummaryKind.weekly, "周总结", WEEKLY_MIN),
    "daily": Kind(SummaryKind.daily, "小结", DAILY_MIN),
}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def own_summary(session: Session, user_id: int, kind: SummaryKind, period: date) -> Summary | None:
    return session.scalar(
        select(Summary).where(
            Summary.user_id == user_id, Summary.kind == kind, Summary.period_start == period
        )
    )


def save_summary(
    session: Session, actor: User, kind_name: str, content: Any, *, at: datetime, ip: str = ""
) -> bool:
    """Write the actor's summary of the current period and its audit row; True when it was new."""
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        raise Refused("总结类型不正确。")
    kind, label, minimum = KINDS[kind_name]
    content = clean_block(content, SUMMARY_MAX + 1)  # one more: too long is refused, not cut
    if len(content) < minimum:
        raise Refused(f"{label}未保存：至少写 {minimum} 个字。")
    if len(content) > SUMMARY_MAX:
        raise Refused(f"{label}未保存：内容不能超过 {SUMMARY_MAX} 字")
    today = local_today(at)
    period = monday_of(today) if kind is SummaryKind.weekly else today
    row = own_summary(session, actor.id, kind, period)
    before = _snapshot(row) if row is not None else None
    if row is None:
        try:
            with session.begin_nested():
                row = Summary(user_id=actor.id, kind=kind, period_start=period, content=content)
                session.add(row)
        except IntegrityError:
            # Two tabs saved the first version at once: the other one won, save over it.
            row = own_summary(session, actor.id, kind, period)
            before = _snapshot(row)
    row.content = content
    session.flush()
    audit(session, actor, "summary.save", "summary", row.id, before, _snapshot(row), at=at, ip=ip)
    return before is None


def _snapshot(row: Summary) -> dict:
    return {
        "kind": row.kind.value,
        "period_start": row.period_start.isoformat(),
        "content": row.content,
    }

"""提醒记录 inputs: the team's messages (Notification rows) filtered by status, kind and dates."""

from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Notification, User
from data.models.notify import CHANNEL_LABELS, STATUS_LABELS
from data.services.inbox import KIND_LABELS
from data.timeutil import local_to_utc, to_local

LIMIT = 1000
COLUMNS = ["时间", "收件人", "渠道", "类型", "标题", "状态", "尝试次数", "错误"]


def notification_rows(
    session: Session,
    team_id: int,
    *,
    status: str | None,
    kind: str | None,
    start: date,
    end: date,
    limit: int = LIMIT,
) -> pd.DataFrame:
    """The team's newest messages created on local days ``start``..``end`` (at most ``limit``)."""
    query = (
        select(Notification, User.name)
        .outerjoin(User, User.id == Notification.user_id)
        .where(
            Notification.team_id == team_id,
            Notification.created_at >= local_to_utc(start, time(0)),
            Notification.created_at < local_to_utc(end + timedelta(days=1), time(0)),
        )
    )
    if status:
        query = query.where(Notification.status == status)
    if kind:
        query = query.where(Notification.kind == kind)
    rows = session.execute(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()
    data = [
        [
            f"{to_local(n.created_at):%Y-%m-%d %H:%M}",
            name or ("（群）" if n.user_id is None else ""),
            CHANNEL_LABELS.get(n.channel, n.channel),
            KIND_LABELS.get(n.kind, n.kind),
            n.title,
            STATUS_LABELS.get(n.status, n.status),
            n.attempts,
            n.last_error,
        ]
        for n, name in rows
    ]
    return pd.DataFrame(data, columns=COLUMNS)

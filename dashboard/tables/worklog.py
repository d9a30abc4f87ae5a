"""工作记录 inputs: records per week and the newest records (searchable)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Semester, User, WorkRecord
from data.timeutil import to_local


def records_per_week(session: Session, semester: Semester) -> pd.DataFrame:
    """Work records of the team per week (Monday), counted per day in SQL and folded in pandas."""
    rows = session.execute(
        select(WorkRecord.duty_date, func.count(WorkRecord.id))
        .join(User, User.id == WorkRecord.user_id)
        .where(
            User.team_id == semester.team_id,
            WorkRecord.duty_date.between(semester.start, semester.end),
        )
        .group_by(WorkRecord.duty_date)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "count"])
    if frame.empty:
        return pd.DataFrame(columns=["week", "count"])
    frame["week"] = [d - timedelta(days=d.weekday()) for d in frame["day"]]
    return frame.groupby("week", as_index=False)["count"].sum()


def recent_records(
    session: Session, semester: Semester, search: str | None = None, limit: int = 50
) -> pd.DataFrame:
    """The newest work records of the team; ``search`` matches content or name (substring)."""
    query = (
        select(
            WorkRecord.created_at,
            WorkRecord.duty_date,
            User.username,
            User.name,
            WorkRecord.content,
        )
        .join(User, User.id == WorkRecord.user_id)
        .where(
            User.team_id == semester.team_id,
            WorkRecord.duty_date.between(semester.start, semester.end),
        )
    )
    term = (search or "").strip()
    if term:
        query = query.where(
            WorkRecord.content.contains(term, autoescape=True)
            | User.name.contains(term, autoescape=True)
        )
    rows = session.execute(
        query.order_by(WorkRecord.created_at.desc(), WorkRecord.id.desc()).limit(limit)
    ).all()
    data = [
        [f"{to_local(at):%Y-%m-%d %H:%M}", day, username, name, content]
        for at, day, username, name, content in rows
    ]
    return pd.DataFrame(data, columns=["提交时间", "值班日期", "学号", "姓名", "内容"])

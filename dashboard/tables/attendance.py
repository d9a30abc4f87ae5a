"""考勤 inputs: weekly statuses, lateness by weekday and hour, names, sign-ins."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import CheckAction, CheckEvent, Semester, User
from data.policy.classify import counts_late
from data.policy.types import IN_PROGRESS, UPCOMING, DutyOutcome
from data.timeutil import local_to_utc, to_local

UNDECIDED = (UPCOMING, IN_PROGRESS)
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def weekly_statuses(outcomes: list[DutyOutcome]) -> pd.DataFrame:
    """Decided duties per week (Monday) and status."""
    rows = [
        (o.duty.day - timedelta(days=o.duty.day.weekday()), o.status)
        for o in outcomes
        if o.status not in UNDECIDED
    ]
    frame = pd.DataFrame(rows, columns=["week", "status"])
    if frame.empty:
        return pd.DataFrame(columns=["week", "status", "count"])
    return frame.groupby(["week", "status"]).size().reset_index(name="count")


def sign_in_count(session: Session, semester: Semester, now: datetime) -> int:
    """Sign-ins by the team's members during the semester, scheduled or extra."""
    return (
        session.scalar(
            select(func.count(CheckEvent.id))
            .join(User, User.id == CheckEvent.user_id)
            .where(
                User.team_id == semester.team_id,
                CheckEvent.action == CheckAction.sign_in,
                CheckEvent.at >= local_to_utc(semester.start, time(0, 0)),
                CheckEvent.at <= min(now, local_to_utc(semester.end, time(23, 59, 59))),
            )
        )
        or 0
    )


def lateness_matrix(outcomes: list[DutyOutcome]) -> pd.DataFrame:
    """Late duties by weekday (rows 周一…周日) and local start hour (every scheduled hour a column).

    Hours without any late stay in the matrix so the heatmap shows where duties happen on time too.
    """
    hours: set[int] = set()
    late: Counter = Counter()
    for o in outcomes:
        # A late sign-in counts at once (SPEC §3), so a duty under way with one is in too.
        if o.duty.extra or (o.status in UNDECIDED and not counts_late(o)):
            continue
        start = to_local(o.duty.start)
        hours.add(start.hour)
        if counts_late(o):
            late[(start.weekday(), start.hour)] += 1
    if not hours:
        return pd.DataFrame()
    columns = list(range(min(hours), max(hours) + 1))
    data = [[late[(day, hour)] for hour in columns] for day in range(7)]
    return pd.DataFrame(data, index=list(WEEKDAY_LABELS), columns=columns)


def user_names(
    session: Session, user_ids: set[int], known: Mapping[int, tuple[str, str]] | None = None
) -> dict[int, tuple[str, str]]:
    """学号 and 姓名 per user: those in ``known`` as given, the rest in one query."""
    names = dict(known or {})
    missing = user_ids - names.keys()
    if missing:
        rows = session.execute(
            select(User.id, User.username, User.name).where(User.id.in_(missing))
        )
        names.update({i: (username, name) for i, username, name in rows})
    return names

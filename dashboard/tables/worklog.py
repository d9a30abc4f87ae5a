"""工作记录 inputs: records per week and the newest records (searchable)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.facts import weekly_summary_weeks
from data.models import Semester, User, WorkRecord
from data.monthly import in_window
from data.policy.tasks import TaskCounts, counts_by_user, deadline_month, in_days, task_counts
from data.report import WORKED, SemesterReport, summary_weeks
from data.tasks import task_rows
from data.timeutil import local_today, to_local


def records_per_week(
    session: Session, semester: Semester, window: tuple[date, date] | None = None
) -> pd.DataFrame:
    """Work records of the team per week (Monday), counted per day in SQL and folded in pandas.

    ``window`` limits the records to duty days inside it (the page's month or date range).
    """
    first, last = window or (semester.start, semester.end)
    rows = session.execute(
        select(WorkRecord.duty_date, func.count(WorkRecord.id))
        .join(User, User.id == WorkRecord.user_id)
        .where(
            User.team_id == semester.team_id,
            WorkRecord.duty_date.between(first, last),
        )
        .group_by(WorkRecord.duty_date)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "count"])
    if frame.empty:
        return pd.DataFrame(columns=["week", "count"])
    frame["week"] = [d - timedelta(days=d.weekday()) for d in frame["day"]]
    return frame.groupby("week", as_index=False)["count"].sum()


def worklog_window(session: Session, report: SemesterReport, window: tuple[date, date]):
    """The report with each member's records and 周总结 counted over ``window`` only.

    The same rules as ``build_report``: a worked duty (``WORKED``) with a work record counts,
    and a completed week in post that meets the window is due a 周总结.
    """
    semester = report.semester
    if window == (semester.start, semester.end):
        return report
    first, last = window
    keys = set(
        session.execute(
            select(WorkRecord.user_id, WorkRecord.duty_date, WorkRecord.shift_id).where(
                WorkRecord.duty_date.between(first, last)
            )
        ).all()
    )
    ids = {m.user_id for m in report.members}
    # 交办任务 of the window: those whose deadline falls in it (college days), counted as of
    # the report's moment by the one counting function.
    rows = [r for r in task_rows(session, semester, ids) if in_days(r, first, last)]
    tasks = counts_by_user(rows, report.as_of)
    due = summary_weeks(session, semester, local_today(report.as_of), ids)
    written = weekly_summary_weeks(session, semester, ids)
    worked: dict[int, list] = {user_id: [] for user_id in ids}
    for outcome in in_window(report.attendance.outcomes, first, last):
        if outcome.status in WORKED and outcome.duty.user_id in worked:
            worked[outcome.duty.user_id].append(outcome)
    members = []
    for m in report.members:
        mine = worked[m.user_id]
        records = sum(1 for o in mine if o.duty.key in keys)
        weeks = [w for w in due[m.user_id] if w <= last and w + timedelta(days=6) >= first]
        done = sum(1 for w in weeks if w in written[m.user_id])
        members.append(
            dataclasses.replace(
                m,
                records=records,
                record_rate=records / len(mine) if mine else 0.0,
                weekly_summaries=done,
                weeks_without_summary=len(weeks) - done,
                tasks=tasks.get(m.user_id, TaskCounts()),
            )
        )
    return dataclasses.replace(report, members=members)


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


TASK_MONTH_COLUMNS = ["学号", "姓名", "月份", "交办任务", "按时完成", "逾期任务", "被退回"]


def task_months(
    session: Session, report: SemesterReport, window: tuple[date, date] | None = None
) -> pd.DataFrame:
    """交办任务 per person and month (of the deadline, college time), as of the report's moment.

    The same rows and the same ``task_counts`` as the per-person columns, so a person's months
    add up to their semester figures.
    """
    names = {m.user_id: (m.username, m.name) for m in report.members}
    first, last = window or (report.semester.start, report.semester.end)
    grouped: dict[tuple[int, str], list] = {}
    for row in task_rows(session, report.semester, set(names)):
        if in_days(row, first, last):
            grouped.setdefault((row.user_id, deadline_month(row)), []).append(row)
    data = []
    for (user_id, month), rows in sorted(grouped.items(), key=lambda i: (names[i[0][0]], i[0][1])):
        c = task_counts(rows, report.as_of)
        data.append([*names[user_id], month, c.given, c.done_on_time, c.overdue, c.sent_back])
    return pd.DataFrame(data, columns=TASK_MONTH_COLUMNS)

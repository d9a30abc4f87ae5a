"""补贴 inputs: the stored stipend's status and the hours per month (capped, over the cap)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Stipend, StipendStatus
from data.monthly import month_bounds, semester_months
from data.report import SemesterReport

MONTH_COLUMNS = [
    "学号",
    "姓名",
    "月份",
    "工时(小时)",
    "计入补贴(小时)",
    "超出上限(小时)",
    "每月上限(小时)",
]

STIPEND_STATUS_LABELS = {
    StipendStatus.draft: "草稿",
    StipendStatus.approved: "已批准",
    StipendStatus.paid: "已发放",
}


def stipend_statuses(session: Session, semester_id: int) -> dict[int, str]:
    """Status label of each member's stored semester-total stipend (month ''), in one query."""
    rows = session.execute(
        select(Stipend.user_id, Stipend.status).where(
            Stipend.semester_id == semester_id, Stipend.month == ""
        )
    ).all()
    return {uid: STIPEND_STATUS_LABELS[StipendStatus(status)] for uid, status in rows}


def window_months(report: SemesterReport, window: tuple[date, date]) -> list[str]:
    """The semester's months that meet ``window``: the cap is per calendar month, so a date
    range shows every month it touches, whole."""
    first, last = window
    return [
        month
        for month in semester_months(report.semester)
        if month_bounds(month)[0] <= last and month_bounds(month)[1] >= first
    ]


def stipend_by_month(report: SemesterReport, months: Collection[str]) -> pd.DataFrame:
    """One row per person and month: credited hours, hours counted (capped), over the cap."""
    cap = float(report.attendance.settings.monthly_cap_hours)
    rows = [
        [m.username, m.name, month, float(credited), float(capped)]
        + [float(credited - capped), cap]
        for m in report.members
        for month, (credited, capped) in sorted(m.stipend.monthly.items())
        if month in months
    ]
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def stipend_monthly(report: SemesterReport, months: Collection[str] | None = None) -> pd.DataFrame:
    """Per month: credited hours counted (capped) and hours over the monthly cap, summed."""
    counted: Counter = Counter()
    over: Counter = Counter()
    for m in report.members:
        for month, (credited, capped) in m.stipend.monthly.items():
            if months is not None and month not in months:
                continue
            counted[month] += float(capped)
            over[month] += float(credited - capped)
    months = sorted(counted)
    return pd.DataFrame(
        {
            "month": months,
            "counted": [round(counted[x], 2) for x in months],
            "over": [round(over[x], 2) for x in months],
        }
    )

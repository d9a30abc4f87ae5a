"""补贴 inputs: the stored stipend's status and the hours per month (capped, over the cap)."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Stipend, StipendStatus
from data.report import SemesterReport

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


def stipend_monthly(report: SemesterReport) -> pd.DataFrame:
    """Per month: credited hours counted (capped) and hours over the monthly cap, summed."""
    counted: Counter = Counter()
    over: Counter = Counter()
    for m in report.members:
        for month, (credited, capped) in m.stipend.monthly.items():
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

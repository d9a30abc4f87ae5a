"""学期对比 inputs: one semester's headline numbers, for every started semester of a team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.tables.assessment import GRADES, grade_counts, published_grades
from dashboard.tables.semesters import started_semesters
from data.attendance import semester_attendance
from data.models import Semester
from data.report import SemesterReport, build_report, grade_label, members_of
from data.timeutil import local_today


@dataclass(frozen=True)
class SemesterStats:
    """One semester's headline numbers for the comparison, all from build_report."""

    semester_id: int
    name: str
    assistants: int
    expected: int
    attended: int
    late: int
    absent: int
    hours: float
    grades: dict[str, int]  # Chinese label → count
    assessed: bool  # the term is over
    estimate: bool = True  # grades not published: 预估

    @property
    def rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None

    @property
    def late_per_assistant(self) -> float:
        return self.late / self.assistants if self.assistants else 0.0

    @property
    def hours_per_assistant(self) -> float:
        return self.hours / self.assistants if self.assistants else 0.0


def semester_stats(report: SemesterReport) -> SemesterStats:
    """The headline numbers of one semester's report."""
    total = report.attendance.total()
    members = report.members
    return SemesterStats(
        semester_id=report.semester.id,
        name=report.semester.name,
        assistants=len(members),
        expected=total.expected,
        attended=total.attended,
        late=total.late,
        absent=total.absent,
        hours=round(sum(m.hours for m in members), 2),
        grades=grade_counts(report),
        assessed=report.assessed,
        estimate=report.estimate,
    )


def compare_stats(
    session: Session, semester: Semester, now: datetime, current: SemesterReport | None = None
) -> list[SemesterStats]:
    """Every started semester of ``semester``'s team, oldest first.

    A finished semester whose results were published is read from the attendance engine and
    the stored grades (what was reported, 第九条一); the others get a full engine run. That
    keeps ten semesters of a university-sized team near the one-second target.
    """
    today = local_today(now)
    semesters = started_semesters(session, semester.team_id, today)
    published = published_grades(session, [s.id for s in semesters])
    stats = []
    for s in semesters:
        if current is not None and current.semester.id == s.id:
            stats.append(semester_stats(current))
        elif s.end < today and s.id in published:
            stats.append(_published_stats(session, s, now, published[s.id]))
        else:
            stats.append(semester_stats(build_report(session, s, now)))
    return stats


def _published_stats(
    session: Session, semester: Semester, now: datetime, grades: dict[str, int]
) -> SemesterStats:
    attendance = semester_attendance(session, semester, now)
    total = attendance.total()
    members = {m.id for m in members_of(session, semester)}
    minutes = sum(v.credited_minutes for k, v in attendance.summaries().items() if k in members)
    return SemesterStats(
        semester_id=semester.id,
        name=semester.name,
        assistants=len(members),
        expected=total.expected,
        attended=total.attended,
        late=total.late,
        absent=total.absent,
        hours=round(minutes / 60, 2),
        grades=grades,
        assessed=True,
        estimate=False,
    )


def _compare_state(stats: SemesterStats) -> str:
    if not stats.estimate:
        return "已结束"
    return "未发布（预估）" if stats.assessed else "进行中（预估）"


def compare_frame(stats: list[SemesterStats]) -> pd.DataFrame:
    """One row per semester: attendance, lates, hours (also per assistant) and grades."""
    rows = [
        {
            "学期": s.name,
            "助管人数": s.assistants,
            "应值班次": s.expected,
            "出勤": s.attended,
            "出勤率": round(s.rate, 4) if s.rate is not None else None,
            "迟到": s.late,
            "人均迟到": round(s.late_per_assistant, 2),
            "缺勤": s.absent,
            "工时(小时)": s.hours,
            "人均工时(小时)": round(s.hours_per_assistant, 2),
            **s.grades,
            "考核": _compare_state(s),
        }
        for s in stats
    ]
    columns = ["学期", "助管人数", "应值班次", "出勤", "出勤率", "迟到", "人均迟到", "缺勤"]
    columns += ["工时(小时)", "人均工时(小时)", *[grade_label(g) for g in GRADES], "考核"]
    return pd.DataFrame(rows, columns=columns)

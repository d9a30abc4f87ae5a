"""学期对比 inputs: one semester's headline numbers, for every started semester of a team.

A running semester is compared with the earlier ones at the same point (同期): if today is in
its week N, the others count the duties of their own weeks 1…N (SPEC §5), as finally judged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date, datetime

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from dashboard.tables.assessment import GRADES, grade_counts, published_grades
from dashboard.tables.semesters import started_semesters
from data.attendance import semester_attendance
from data.cli.report import end_of_local_day
from data.models import Semester
from data.report import SemesterReport, grade_label, members_of
from data.report_cache import cached_report
from data.summaries import (
    Figures,
    figures_of,
    report_rows,
    semester_week,
    stored_figures,
    week_end,
    week_rows,
)
from data.timeutil import local_today
from data.xlsx import workbook_bytes

SAME = "same"  # 同期: every semester up to the running one's week
FULL = "full"  # 全学期: every semester as far as it has got
SCOPES = (SAME, FULL)


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
    point: str = ""  # 同期 label: "第12周（同期）" / "第12周（进行中）"; empty for whole terms

    @property
    def label(self) -> str:
        """The semester's name as the charts and the table show it."""
        if self.point:
            return f"{self.name} {self.point}"
        if not self.assessed:
            return self.name + "（进行中）"
        return self.name + ("（预估）" if self.estimate else "")

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


def running_semester(semesters: list[Semester], today: date) -> Semester | None:
    """The semester that holds today, if any (the one the others are compared with 同期)."""
    return next((s for s in semesters if s.start <= today <= s.end), None)


def compare_stats(
    session: Session,
    semester: Semester,
    now: datetime,
    current: SemesterReport | None = None,
    scope: str = FULL,
) -> list[SemesterStats]:
    """Every started semester of ``semester``'s team, oldest first.

    With ``scope`` SAME and a running semester in week N, every finished semester counts the
    duties of its weeks 1…N, labelled 同期; without one, SAME is FULL.

    A finished semester reads the summary stored at finalize (data.summaries); one without it
    is summarised the same way in memory, so both give the same numbers. Only the running
    semester gets a full engine run, so thirty semesters cost about what ten do. Finished
    semesters show their final grades in both scopes (published, else the stored 预估).
    """
    today = local_today(now)
    semesters = started_semesters(session, semester.team_id, today)
    running = running_semester(semesters, today)
    week = None
    if scope == SAME and running is not None:
        week = semester_week(running.start, today)
    point = f"第{week}周" if week is not None else ""
    finished = [s.id for s in semesters if s.end < today]
    stored = stored_figures(session, finished, week)
    published = published_grades(session, finished)
    stats = []
    for s in semesters:
        if s.id in finished:
            figures = stored.get(s.id) or _computed_figures(
                session, s, now, week, s.id in published
            )
            found = _figures_stats(s, figures, published.get(s.id))
            stats.append(replace(found, point=point and point + "（同期）"))
        elif current is not None and current.semester.id == s.id:
            stats.append(replace(semester_stats(current), point=point and point + "（进行中）"))
        elif running is not None and s.id == running.id:
            report = cached_report(session, s, now)
            stats.append(replace(semester_stats(report), point=point and point + "（进行中）"))
        else:  # started, not finished, not today's: only possible with overlapping terms
            moment = end_of_local_day(week_end(s.start, s.end, week)) if week else now
            report = cached_report(session, s, min(moment, now))
            stats.append(replace(semester_stats(report), point=point and point + "（同期）"))
    return stats


def _computed_figures(
    session: Session, semester: Semester, now: datetime, week: int | None, published: bool
) -> Figures:
    """A finished semester without a stored summary, summarised the way finalize stores it."""
    if published:  # the grades come from the Assessment rows: the engine run is enough
        attendance = semester_attendance(session, semester, now)
        grades = {m.id: "" for m in members_of(session, semester)}
        rows = week_rows(semester, attendance.outcomes)
        return figures_of(rows, grades, False, week)
    report = cached_report(session, semester, now)
    rows, grades = report_rows(report)
    return figures_of(rows, grades, report.estimate, week)


def _figures_stats(
    semester: Semester, figures: Figures, published: dict[str, int] | None
) -> SemesterStats:
    """A finished semester's headline numbers; published grades are what was reported."""
    grades = {grade_label(g): figures.grades.get(g, 0) for g in GRADES}
    return SemesterStats(
        semester_id=semester.id,
        name=semester.name,
        assistants=figures.assistants,
        expected=figures.total.expected,
        attended=figures.total.attended,
        late=figures.total.late,
        absent=figures.total.absent,
        hours=figures.hours,
        grades=published if published is not None else grades,
        assessed=True,
        estimate=figures.estimate if published is None else False,
    )


def _compare_state(stats: SemesterStats) -> str:
    if stats.point:
        state = "进行中" if "进行中" in stats.point else "同期"
        return state + ("（预估）" if stats.estimate else "")
    if not stats.estimate:
        return "已结束"
    return "未发布（预估）" if stats.assessed else "进行中（预估）"


def compare_frame(stats: list[SemesterStats]) -> pd.DataFrame:
    """One row per semester: attendance, lates, hours (also per assistant) and grades."""
    rows = [
        {
            "学期": s.name,
            "统计截至": s.point or ("全学期" if s.assessed else "截至今天"),
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
    columns = [
        "学期",
        "统计截至",
        "助管人数",
        "应值班次",
        "出勤",
        "出勤率",
        "迟到",
        "人均迟到",
        "缺勤",
    ]
    columns += ["工时(小时)", "人均工时(小时)", *[grade_label(g) for g in GRADES], "考核"]
    return pd.DataFrame(rows, columns=columns)


def compare_workbook(frame: pd.DataFrame) -> bytes:
    """The comparison as xlsx; 出勤率 stays a number, shown as a percentage (99.4%)."""
    book = load_workbook(io.BytesIO(workbook_bytes({"学期对比": frame})))
    sheet = book.active
    column = frame.columns.get_loc("出勤率") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
        cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

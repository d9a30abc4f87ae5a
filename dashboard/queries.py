"""SQL → plain values / pandas for the dashboard pages. Figures are built in ``figures``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.attendance import semester_attendance
from data.models import (
    GRADE_LABELS,
    PRESENCE_LABELS,
    Assessment,
    CheckAction,
    CheckEvent,
    DeviceAlert,
    Grade,
    Meeting,
    MeetingAttendance,
    Presence,
    Semester,
    Stipend,
    StipendStatus,
    Summary,
    SummaryKind,
    Team,
    Training,
    TrainingAttendance,
    User,
    WorkRecord,
)
from data.policy.classify import counts_late
from data.policy.lifecycle import training_ok
from data.policy.types import IN_PROGRESS, UPCOMING, DutyOutcome
from data.policy.warnings import Level
from data.report import (
    SemesterReport,
    after_start_requests,
    build_report,
    members_of,
    summary_weeks,
)
from data.timeutil import local_to_utc, local_today, to_local

UNDECIDED = (UPCOMING, IN_PROGRESS)


@dataclass(frozen=True)
class SemesterOption:
    id: int
    label: str
    start: date
    end: date


def semesters_for(session: Session, user: User) -> list[SemesterOption]:
    """Semesters the user may look at: their team's, or every team's for university leaders."""
    query = select(Semester.id, Semester.name, Semester.start, Semester.end, Team.name).join(Team)
    if user.team_id is not None:
        query = query.where(Semester.team_id == user.team_id)
    rows = session.execute(query.order_by(Semester.start.desc(), Team.name)).all()
    scoped = user.team_id is not None
    return [
        SemesterOption(id=i, label=name if scoped else f"{team} · {name}", start=start, end=end)
        for i, name, start, end, team in rows
    ]


def semester_from_search(search: str | None) -> int | None:
    values = parse_qs((search or "").lstrip("?")).get("semester")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def default_semester(semesters: list[SemesterOption], today: date) -> int | None:
    """The semester containing today, else the latest that has started, else the first."""
    for option in semesters:
        if option.start <= today <= option.end:
            return option.id
    started = [s for s in semesters if s.start <= today]
    if started:
        return max(started, key=lambda s: s.start).id
    return semesters[0].id if semesters else None


def semester_visible(session: Session, user: User, semester_id: int | None) -> Semester | None:
    """The semester if the user may see it (server-side check for every callback)."""
    if semester_id is None:
        return None
    semester = session.get(Semester, semester_id)
    if semester is None or (user.team_id is not None and semester.team_id != user.team_id):
        return None
    return semester


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


# --- assessment, stipend, compare pages
# Imports kept inside this section so the two page groups can grow the module independently.


GRADES = (Grade.excellent.value, Grade.qualified.value, Grade.unqualified.value)
STIPEND_STATUS_LABELS = {
    StipendStatus.draft: "草稿",
    StipendStatus.approved: "已批准",
    StipendStatus.paid: "已发放",
}
NOT_GENERATED = "未生成"
# 第七条三 / 第九条四: 不合格 ends the appointment; 合格 and 优秀 may be hired again.
REHIRE = {"excellent": "可续聘", "qualified": "可续聘", "unqualified": "不再聘任"}
ESTIMATE_NOTE = "学期尚未结束，以下为截至目前的预估"
UNPUBLISHED_NOTE = "考核结果尚未发布，以下为预估"


def estimate_note(report: SemesterReport) -> str:
    """Why the grades on a page are 预估: the term still runs, or it ended unpublished."""
    return UNPUBLISHED_NOTE if report.assessed else ESTIMATE_NOTE


def risk_count_text(report: SemesterReport) -> str:
    """Before publication meetings see how many are at risk, never who (SPEC §3 Assessment)."""
    failing = sum(1 for m in report.members if m.final_grade == Grade.unqualified)
    return f"不合格风险 {failing} 人" if failing else "没有不合格风险的助管"


@dataclass(frozen=True)
class StoredAssessment:
    """The counselor's side of an assessment: override and publication (not in the engine)."""

    grade: str
    override_grade: str | None
    override_reason: str
    published: bool


def stored_assessments(session: Session, semester_id: int) -> dict[int, StoredAssessment]:
    """Stored Assessment rows of one semester by user id, in one query."""
    rows = session.execute(
        select(
            Assessment.user_id,
            Assessment.grade,
            Assessment.override_grade,
            Assessment.override_reason,
            Assessment.published,
        ).where(Assessment.semester_id == semester_id)
    ).all()
    return {
        uid: StoredAssessment(
            str(grade), str(override) if override else None, reason or "", published
        )
        for uid, grade, override, reason, published in rows
    }


def grade_label(grade: str) -> str:
    return GRADE_LABELS[Grade(grade)]


def grade_counts(report: SemesterReport) -> dict[str, int]:
    """Final grades (override included) of the semester, keyed by the Chinese label, in order."""
    counts = Counter(m.final_grade for m in report.members)
    return {grade_label(g): counts[g] for g in GRADES}


def unqualified_reasons(report: SemesterReport, stored: dict[int, StoredAssessment]) -> list[str]:
    """Why each 不合格 member is 不合格: the engine's reasons, or the override's written reason."""
    out = []
    for m in report.members:
        if m.final_grade != Grade.unqualified:
            continue
        override = stored.get(m.user_id)
        if override and override.override_grade and m.assessment.grade != Grade.unqualified:
            out.append(f"兼辅改判：{override.override_reason or '（未填写说明）'}")
        else:
            out.append("；".join(m.assessment.reasons) or "—")
    return out


def assessment_frame(report: SemesterReport, stored: dict[int, StoredAssessment]) -> pd.DataFrame:
    """One row per assistant: score parts, total, final grade, override, reasons, re-hire.

    In an estimate, an evaluation part not entered yet is empty (it is left out, not 0).
    """
    estimate = report.estimate
    pending = "考核发布后确定" if report.assessed else "学期结束后确定"
    rows = []
    for m in report.members:
        a = m.assessment
        override = stored.get(m.user_id)
        overridden = bool(override and override.override_grade)
        grade = grade_label(m.final_grade)
        rows.append(
            {
                "学号": m.username,
                "姓名": m.name,
                "出勤": a.attendance,
                "工作记录": a.records,
                "例会培训": a.meetings,
                "兼辅评价": None if "counselor" in a.missing_parts else a.counselor,
                "互评": None if "peer" in a.missing_parts else a.peer,
                "总分": a.total,
                "等级": f"{grade}（预估）" if estimate else grade,
                "改判": f"由{grade_label(a.grade)}改判" if overridden else "",
                "改判说明": override.override_reason if overridden else "",
                "原因": "；".join(a.reasons),
                "续聘": REHIRE[m.final_grade] if not estimate else pending,
            }
        )
    columns = ["学号", "姓名", "出勤", "工作记录", "例会培训", "兼辅评价", "互评", "总分"]
    columns += ["等级", "改判", "改判说明", "原因", "续聘"]
    return pd.DataFrame(rows, columns=columns)


def team_semesters(session: Session, team_id: int, today: date) -> list[Semester]:
    """The team's semesters that have started, oldest first (the comparison's x axis)."""
    return list(
        session.scalars(
            select(Semester)
            .where(Semester.team_id == team_id, Semester.start <= today)
            .order_by(Semester.start)
        )
    )


def grade_history(
    session: Session, semester: Semester, report: SemesterReport | None, now: datetime
) -> pd.DataFrame:
    """Final-grade counts per semester of the team: columns semester, grade, count, estimate.

    Finalized semesters read their stored Assessment rows (one grouped query for all of them);
    the others run the engine, reusing ``report`` for the chosen semester.
    """
    today = local_today(now)
    semesters = team_semesters(session, semester.team_id, today)
    if semester.id not in {s.id for s in semesters}:
        semesters.append(semester)
    final = func.coalesce(Assessment.override_grade, Assessment.grade)
    stored: dict[int, Counter] = {}
    for sid, grade, count in session.execute(
        select(Assessment.semester_id, final, func.count(Assessment.id))
        .where(
            Assessment.semester_id.in_([s.id for s in semesters]),
            Assessment.published.is_(True),
        )
        .group_by(Assessment.semester_id, final)
    ):
        stored.setdefault(sid, Counter())[str(grade)] = count
    rows = []
    for s in semesters:
        # A past semester's published results are what was reported (第九条一); reading them
        # is far cheaper than re-running the engine over every semester.
        if s.id in stored and (s.finalized_at is not None or s.end < today):
            counts, estimate = stored[s.id], False
        else:
            mine = report is not None and s.id == report.semester.id
            r = report if mine else build_report(session, s, now)
            counts = Counter(m.final_grade for m in r.members)
            estimate = r.estimate
        label = s.name + ("（预估）" if estimate else "")
        rows += [(label, grade_label(g), counts.get(g, 0), estimate) for g in GRADES]
    return pd.DataFrame(rows, columns=["semester", "grade", "count", "estimate"])


def stipend_statuses(session: Session, semester_id: int) -> dict[int, str]:
    """Status label of each member's stored semester-total stipend (month ''), in one query."""
    rows = session.execute(
        select(Stipend.user_id, Stipend.status).where(
            Stipend.semester_id == semester_id, Stipend.month == ""
        )
    ).all()
    return {uid: STIPEND_STATUS_LABELS[StipendStatus(status)] for uid, status in rows}


def stipend_frame(report: SemesterReport, statuses: dict[int, str]) -> pd.DataFrame:
    """One row per assistant; every number is the engine's StipendResult."""
    rows = []
    for m in report.members:
        s = m.stipend
        credited = sum((c for c, _ in s.monthly.values()), Decimal("0"))
        rows.append(
            {
                "学号": m.username,
                "姓名": m.name,
                "工时(小时)": float(s.hours),
                "超出月上限未计(小时)": float(credited - s.hours),
                "等级": report.grade_text(m),
                "系数": float(s.factor),
                "嘉奖(元)": float(s.bonus),
                "金额(元)": float(s.amount),
                "状态": statuses.get(m.user_id, NOT_GENERATED),
            }
        )
    columns = ["学号", "姓名", "工时(小时)", "超出月上限未计(小时)", "等级", "系数"]
    columns += ["嘉奖(元)", "金额(元)", "状态"]
    return pd.DataFrame(rows, columns=columns)


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
    semesters = team_semesters(session, semester.team_id, today)
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


def published_grades(session: Session, semester_ids: list[int]) -> dict[int, dict[str, int]]:
    """Published final grades per semester, as Chinese label → count."""
    final = func.coalesce(Assessment.override_grade, Assessment.grade)
    grades: dict[int, dict[str, int]] = {}
    for sid, grade, count in session.execute(
        select(Assessment.semester_id, final, func.count(Assessment.id))
        .where(Assessment.semester_id.in_(semester_ids), Assessment.published.is_(True))
        .group_by(Assessment.semester_id, final)
    ):
        grades.setdefault(sid, {label: 0 for label in GRADE_LABELS.values()})
        grades[sid][GRADE_LABELS[Grade(str(grade))]] += count
    return grades


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


def warning_counts(report: SemesterReport) -> dict[str, int]:
    """Members at each warning level (the engine's level), highest first."""
    counts = Counter(m.warning.level for m in report.members if m.warning.level)
    return {level.label: counts[level] for level in (Level.critical, Level.warning, Level.info)}


# --- attendance, warnings, work log, meetings pages
# Imports are kept inside this section so that the sections of different pages stay independent.
# Counter, SemesterReport and local_today come from the section above.

WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Most severe first, as the warning table orders its triggers.
EVIDENCE_ORDER = ("迟到", "缺勤", "例会旷到", "先斩后奏", "早退", "漏签退", "未写周总结")
LEAVE_STATUS_LABELS = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}
ATTENDANCE_COLUMNS = [
    "学号",
    "姓名",
    "应值班次",
    "出勤",
    "迟到",
    "早退",
    "缺勤",
    "请假",
    "漏签退",
    "工时(小时)",
    "出勤率",
]


def attendance_table(report: SemesterReport) -> pd.DataFrame:
    """The report's 考勤汇总 per assistant (same numbers as the export), plus 出勤率."""
    rows = [
        [
            m.user_id,
            m.username,
            m.name,
            m.attendance.expected,
            m.attendance.attended,
            m.attendance.late,
            m.attendance.early,
            m.attendance.absent,
            m.attendance.leave,
            m.attendance.missed_sign_out,
            m.hours,
            round(m.attendance.attended / m.attendance.expected, 4)
            if m.attendance.expected
            else None,
        ]
        for m in report.members
    ]
    return pd.DataFrame(rows, columns=["user_id", *ATTENDANCE_COLUMNS])


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


def _names(session: Session, report: SemesterReport, user_ids: set[int]) -> dict[int, tuple]:
    """学号 and 姓名 per user: members from the report, the rest (extra duty) in one query."""
    known = {m.user_id: (m.username, m.name) for m in report.members}
    missing = user_ids - known.keys()
    if missing:
        rows = session.execute(
            select(User.id, User.username, User.name).where(User.id.in_(missing))
        )
        known.update({i: (username, name) for i, username, name in rows})
    return known


def today_duties(session: Session, report: SemesterReport, today: date) -> pd.DataFrame:
    """Today's duties from the engine's outcomes (scheduled ones are duties_on(today) exactly)."""
    todays = [o for o in report.attendance.outcomes if o.duty.day == today]
    names = _names(session, report, {o.duty.user_id for o in todays})
    rows = []
    for o in sorted(todays, key=lambda o: (o.duty.start, names[o.duty.user_id][0])):
        username, name = names[o.duty.user_id]
        start, end = to_local(o.duty.start), to_local(o.duty.end)
        rows.append(
            {
                "班次": f"{start:%H:%M}–{end:%H:%M}",
                "岗位": o.duty.place or "—",
                "学号": username,
                "姓名": name,
                "已签到": "是" if o.sign_in_at else "否",
                "签到时间": f"{to_local(o.sign_in_at):%H:%M}" if o.sign_in_at else "",
                # The late mark shows from the sign-in on, as the late count does (SPEC §3).
                "迟到": f"迟到 {o.late_minutes} 分钟" if counts_late(o) else "",
                "status": o.status,
            }
        )
    columns = ["班次", "岗位", "学号", "姓名", "已签到", "签到时间", "迟到", "status"]
    return pd.DataFrame(rows, columns=columns)


def warning_table(report: SemesterReport) -> pd.DataFrame:
    """Every assistant with a warning level, most severe first (level as the engine decided)."""
    rank = {"critical": 3, "warning": 2, "info": 1}
    members = sorted(
        (m for m in report.members if m.warning.level),
        key=lambda m: (-rank[m.warning.level], m.username),
    )
    rows = [
        [
            m.user_id,
            m.username,
            m.name,
            m.warning.level,
            m.warning.label,
            "；".join(m.warning.reasons),
        ]
        for m in members
    ]
    return pd.DataFrame(rows, columns=["user_id", "学号", "姓名", "level", "等级", "原因"])


def warning_evidence(
    session: Session, semester: Semester, now: datetime, user_id: int
) -> pd.DataFrame:
    """The dated facts behind one assistant's warning: lates, early leaves, absences, missed
    sign-outs (from the engine's outcomes), weeks without 周总结, 先斩后奏 leaves and 例会旷到."""
    attendance = semester_attendance(session, semester, now, user_ids={user_id})
    rows: list[tuple] = []
    for o in sorted(attendance.outcomes, key=lambda o: o.duty.start):
        start, end = to_local(o.duty.start), to_local(o.duty.end)
        shift = f"{start:%H:%M}–{end:%H:%M} {o.duty.place}".strip()
        if counts_late(o):
            signed = f"{to_local(o.sign_in_at):%H:%M} 签到，" if o.sign_in_at else ""
            rows.append(("迟到", o.duty.day, shift, f"{signed}迟到 {o.late_minutes} 分钟"))
        if o.status in ("early", "late_early"):
            rows.append(("早退", o.duty.day, shift, f"早退 {o.early_minutes} 分钟"))
        if o.status == "absent":
            rows.append(("缺勤", o.duty.day, shift, "未签到且未请假"))
        if o.status == "missed_sign_out":
            signed = f"{to_local(o.sign_in_at):%H:%M} 签到，" if o.sign_in_at else ""
            rows.append(("漏签退", o.duty.day, shift, f"{signed}未签退，不计工时"))
    written = set(
        session.scalars(
            select(Summary.period_start).where(
                Summary.user_id == user_id,
                Summary.kind == SummaryKind.weekly,
                Summary.period_start.between(semester.start - timedelta(days=6), semester.end),
            )
        )
    )
    # The same weeks in post the report counts, so the list length is weeks_without_summary.
    for monday in summary_weeks(session, semester, local_today(now), {user_id})[user_id]:
        if monday not in written:
            sunday = monday + timedelta(days=6)
            rows.append(("未写周总结", monday, f"{monday:%m-%d}–{sunday:%m-%d} 当周", "没有周总结"))
    for leave in after_start_requests(session, semester, {user_id}):
        created = f"{to_local(leave.created_at):%m-%d %H:%M}"
        status = LEAVE_STATUS_LABELS[leave.status.value]
        rows.append(("先斩后奏", leave.duty_date, "", f"班次开始后 {created} 才请假（{status}）"))
    for held_on, topic in session.execute(
        select(Meeting.held_on, Meeting.topic)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(
            Meeting.semester_id == semester.id,
            MeetingAttendance.user_id == user_id,
            MeetingAttendance.status == Presence.absent,
        )
    ):
        rows.append(("例会旷到", held_on, topic, "缺席且未请假"))
    frame = pd.DataFrame(rows, columns=["类别", "日期", "班次/周", "详情"])
    order = {kind: i for i, kind in enumerate(EVIDENCE_ORDER)}
    frame["_order"] = frame["类别"].map(order)
    frame = frame.sort_values(["_order", "日期"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def _user_names(session: Session, user_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username, User.name).where(User.id.in_(user_ids)))
    return {i: (username, name) for i, username, name in rows}


def device_alerts(session: Session, semester: Semester) -> pd.DataFrame:
    """One phone used for several accounts on one day (SPEC §4), in the team and semester."""
    alerts = session.scalars(
        select(DeviceAlert)
        .where(
            DeviceAlert.team_id == semester.team_id,
            DeviceAlert.on.between(semester.start, semester.end),
        )
        .order_by(DeviceAlert.on.desc())
    ).all()
    names = _user_names(session, {int(i) for a in alerts for i in a.user_ids})
    rows = [
        [
            a.on,
            "、".join(
                f"{names[int(i)][1]}（{names[int(i)][0]}）" for i in a.user_ids if int(i) in names
            ),
            "已处理" if a.resolved_at else "未处理",
        ]
        for a in alerts
    ]
    return pd.DataFrame(rows, columns=["日期", "同一手机登录的账号", "状态"])


def after_start_leaves(session: Session, semester: Semester) -> pd.DataFrame:
    """先斩后奏: the requests the warning level counts (cancelled and phone leave are none)."""
    leaves = after_start_requests(session, semester)
    names = _user_names(session, {leave.user_id for leave in leaves})
    data = [
        [
            *names[leave.user_id],
            leave.duty_date,
            f"{to_local(leave.created_at):%Y-%m-%d %H:%M}",
            LEAVE_STATUS_LABELS[leave.status.value],
        ]
        for leave in leaves
    ]
    return pd.DataFrame(data, columns=["学号", "姓名", "值班日期", "提交时间", "状态"])


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


def worklog_table(report: SemesterReport) -> pd.DataFrame:
    """Record and weekly-summary compliance per assistant, as the report computed them."""
    rows = []
    for m in report.members:
        weeks = m.weekly_summaries + m.weeks_without_summary  # the completed weeks so far
        rows.append(
            [
                m.username,
                m.name,
                m.records,
                round(m.record_rate, 4),
                m.weekly_summaries,
                weeks,
                round(m.weekly_summaries / weeks, 4) if weeks else None,
            ]
        )
    columns = ["学号", "姓名", "记录条数", "记录率", "周总结周数", "应交周数", "周总结率"]
    return pd.DataFrame(rows, columns=columns)


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


def meeting_matrix(session: Session, semester: Semester, report: SemesterReport) -> pd.DataFrame:
    """Rows: the semester's assistants; columns: its meetings; cells 出席/请假/缺席 (— not on roll)."""
    meetings = session.execute(
        select(Meeting.id, Meeting.held_on, Meeting.topic)
        .where(Meeting.semester_id == semester.id)
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    marks = {
        (meeting_id, user_id): PRESENCE_LABELS[status]
        for meeting_id, user_id, status in session.execute(
            select(
                MeetingAttendance.meeting_id, MeetingAttendance.user_id, MeetingAttendance.status
            )
            .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
            .where(Meeting.semester_id == semester.id)
        )
    }
    labels = [f"{held_on:%m-%d} {topic}" for _, held_on, topic in meetings]
    # Two meetings with one date and topic still need distinct column names.
    labels = [
        f"{label}（{i + 1}）" if labels.count(label) > 1 else label
        for i, label in enumerate(labels)
    ]
    rows = [
        [m.username, m.name, *(marks.get((mid, m.user_id), "—") for mid, _, _ in meetings)]
        for m in report.members
    ]
    return pd.DataFrame(rows, columns=["学号", "姓名", *labels])


def training_coverage(
    session: Session, semester: Semester, report: SemesterReport, today: date
) -> pd.DataFrame:
    """Trainings attended (出席) by each assistant up to now or the semester end (第八条二).

    Trainings of earlier semesters count as well: the rule asks for one during the appointment,
    which for a re-appointed assistant began before this semester.
    """
    ids = [m.user_id for m in report.members]
    attended = Counter(
        dict(
            session.execute(
                select(TrainingAttendance.user_id, func.count(TrainingAttendance.id))
                .join(Training, Training.id == TrainingAttendance.training_id)
                .where(
                    Training.team_id == semester.team_id,
                    Training.held_on <= min(today, semester.end),
                    TrainingAttendance.status == Presence.present,
                    TrainingAttendance.user_id.in_(ids),
                )
                .group_by(TrainingAttendance.user_id)
            ).all()
        )
    )
    settings = report.attendance.settings
    rows = [
        [
            m.username,
            m.name,
            attended[m.user_id],
            "是" if training_ok(attended[m.user_id], settings) else "否",
        ]
        for m in report.members
    ]
    frame = pd.DataFrame(rows, columns=["学号", "姓名", "参加培训次数", "已达标"])
    # Those still missing a training come first: they are what the counselor has to act on.
    return frame.sort_values(["已达标", "学号"], kind="stable").reset_index(drop=True)

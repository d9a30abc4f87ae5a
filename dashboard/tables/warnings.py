"""预警 inputs: the warning list, the dated evidence behind one warning, devices, 先斩后奏."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.tables.attendance import user_names
from data.attendance import semester_attendance
from data.export import warning_frame
from data.models import (
    DeviceAlert,
    Meeting,
    MeetingAttendance,
    Presence,
    Semester,
    Summary,
    SummaryKind,
)
from data.policy.classify import counts_late
from data.policy.tasks import is_overdue
from data.policy.types import DutyOutcome
from data.policy.warnings import Level
from data.report import SemesterReport, after_start_requests, summary_weeks
from data.tasks import own_task_pairs, row_of
from data.timeutil import local_today, to_local

# Most severe first, as the warning table orders its triggers.
EVIDENCE_ORDER = (
    "迟到",
    "缺勤",
    "例会旷到",
    "先斩后奏",
    "逾期任务",
    "早退",
    "漏签退",
    "未写周总结",
    "任务退回",
)
EVIDENCE_COLUMNS = ["类别", "日期", "班次/周", "详情"]
LEAVE_STATUS_LABELS = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}


def warning_table(report: SemesterReport) -> pd.DataFrame:
    """Every assistant with a warning level, most severe first (level as the engine decided)."""
    return warning_frame(report, by_severity=True)


def warning_counts(report: SemesterReport) -> dict[str, int]:
    """Members at each warning level (the engine's level), highest first."""
    counts = Counter(m.warning.level for m in report.members if m.warning.level)
    return {level.label: counts[level] for level in (Level.critical, Level.warning, Level.info)}


def warning_evidence(
    session: Session, semester: Semester, now: datetime, user_id: int
) -> pd.DataFrame:
    """The dated facts behind one assistant's warning: lates, early leaves, absences, missed
    sign-outs (from the engine's outcomes), weeks without 周总结, 先斩后奏 leaves and 例会旷到."""
    attendance = semester_attendance(session, semester, now, user_ids={user_id})
    rows = duty_evidence(attendance.outcomes)
    rows += summary_evidence(session, semester, now, user_id)
    rows += leave_evidence(session, semester, user_id)
    rows += meeting_evidence(session, semester, user_id)
    rows += task_evidence(session, semester, now, user_id)
    frame = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
    order = {kind: i for i, kind in enumerate(EVIDENCE_ORDER)}
    frame["_order"] = frame["类别"].map(order)
    frame = frame.sort_values(["_order", "日期"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def duty_evidence(outcomes: list[DutyOutcome]) -> list[tuple]:
    """Lates, early leaves, absences and missed sign-outs, dated, from the engine's outcomes."""
    rows: list[tuple] = []
    for o in sorted(outcomes, key=lambda o: o.duty.start):
        start, end = to_local(o.duty.start), to_local(o.duty.end)
        shift = f"{start:%H:%M}–{end:%H:%M} {o.duty.place}".strip()
        signed = f"{to_local(o.sign_in_at):%H:%M} 签到，" if o.sign_in_at else ""
        if counts_late(o):
            rows.append(("迟到", o.duty.day, shift, f"{signed}迟到 {o.late_minutes} 分钟"))
        if o.status in ("early", "late_early"):
            rows.append(("早退", o.duty.day, shift, f"早退 {o.early_minutes} 分钟"))
        if o.status == "absent":
            rows.append(("缺勤", o.duty.day, shift, "未签到且未请假"))
        if o.status == "missed_sign_out":
            rows.append(("漏签退", o.duty.day, shift, f"{signed}未签退，不计工时"))
    return rows


def summary_evidence(
    session: Session, semester: Semester, now: datetime, user_id: int
) -> list[tuple]:
    """Weeks in post without a 周总结 (the same weeks the report counts)."""
    written = set(
        session.scalars(
            select(Summary.period_start).where(
                Summary.user_id == user_id,
                Summary.kind == SummaryKind.weekly,
                Summary.period_start.between(semester.start - timedelta(days=6), semester.end),
            )
        )
    )
    rows = []
    for monday in summary_weeks(session, semester, local_today(now), {user_id})[user_id]:
        if monday not in written:
            sunday = monday + timedelta(days=6)
            rows.append(("未写周总结", monday, f"{monday:%m-%d}–{sunday:%m-%d} 当周", "没有周总结"))
    return rows


def leave_evidence(session: Session, semester: Semester, user_id: int) -> list[tuple]:
    """Leave asked for after the duty began (先斩后奏)."""
    rows = []
    for leave in after_start_requests(session, semester, {user_id}):
        created = f"{to_local(leave.created_at):%m-%d %H:%M}"
        status = LEAVE_STATUS_LABELS[leave.status.value]
        rows.append(("先斩后奏", leave.duty_date, "", f"班次开始后 {created} 才请假（{status}）"))
    return rows


def meeting_evidence(session: Session, semester: Semester, user_id: int) -> list[tuple]:
    """Meetings of the semester missed without leave (例会旷到)."""
    missed = session.execute(
        select(Meeting.held_on, Meeting.topic)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(
            Meeting.semester_id == semester.id,
            MeetingAttendance.user_id == user_id,
            MeetingAttendance.status == Presence.absent,
        )
    )
    return [("例会旷到", held_on, topic, "缺席且未请假") for held_on, topic in missed]


def task_evidence(session: Session, semester: Semester, now: datetime, user_id: int) -> list[tuple]:
    """交办任务 overdue (the rule of ``task_counts``) or sent back, dated by the deadline."""
    rows = []
    for task, assignment in own_task_pairs(session, semester, user_id):
        row = row_of(task, assignment)
        deadline = to_local(task.deadline)
        if is_overdue(row, now):
            done = f"，{to_local(row.done_at):%m-%d %H:%M} 才完成" if row.done_at else "，未完成"
            detail = f"截止 {deadline:%m-%d %H:%M}{done}"
            rows.append(("逾期任务", deadline.date(), task.title, detail))
        if row.send_backs:
            reason = assignment.review_reason or "（无）"
            detail = f"退回 {row.send_backs} 次，最近的原因：{reason}"
            rows.append(("任务退回", deadline.date(), task.title, detail))
    return rows


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
    names = user_names(session, {int(i) for a in alerts for i in a.user_ids})
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
    names = user_names(session, {leave.user_id for leave in leaves})
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

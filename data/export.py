"""The report as tables: the semester workbook of SPEC §6 and the dashboard's tables.

Every table here is built from one ``SemesterReport`` (``data.report.build_report``), so a
number on a dashboard page and in the workbook is the same number. The workbook's sheets
(names and columns are a contract, ``SHEETS``) are the dashboard's tables cut to the
contract's columns; writing them is ``data.xlsx``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from data.report import SemesterReport, grade_label

SHEETS = {
    "考勤汇总": [
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
    ],
    "预警": ["学号", "姓名", "等级", "原因"],
    "工作记录": ["学号", "姓名", "记录条数", "记录率", "周总结周数"],
    "例会": ["日期", "主题", "出席", "请假", "缺席", "有会议记录"],
    "考核结果": ["学号", "姓名", "总分", "等级", "原因"],
    "补贴": ["学号", "姓名", "工时(小时)", "等级", "金额(元)"],
}
ATTENDANCE_COLUMNS = [*SHEETS["考勤汇总"], "出勤率"]
WARNING_RANK = {"critical": 3, "warning": 2, "info": 1}
# 第七条三 / 第九条四: 不合格 ends the appointment; 合格 and 优秀 may be hired again.
REHIRE = {"excellent": "可续聘", "qualified": "可续聘", "unqualified": "不再聘任"}
NOT_GENERATED = "未生成"


@dataclass(frozen=True)
class StoredAssessment:
    """The counselor's side of an assessment: override and publication (not in the engine)."""

    grade: str
    override_grade: str | None
    override_reason: str
    published: bool


def report_frames(report: SemesterReport) -> dict[str, pd.DataFrame]:
    """One DataFrame per workbook sheet, columns exactly as in ``SHEETS``."""
    meetings = meetings_frame(report)
    frames = {
        "考勤汇总": attendance_frame(report),
        "预警": warning_frame(report),
        "工作记录": worklog_frame(report, digits=3),
        # The workbook writes the date as text and a missing record as 否.
        "例会": meetings.assign(
            日期=meetings["日期"].map(date.isoformat),
            有会议记录=meetings["会议记录"].map({"是": "是", "缺失": "否"}),
        ),
        "考核结果": assessment_frame(report),
        "补贴": stipend_frame(report),
    }
    return {name: frames[name][columns] for name, columns in SHEETS.items()}


def attendance_frame(report: SemesterReport) -> pd.DataFrame:
    """考勤汇总 per assistant plus 出勤率 (= 出勤 / 应值班次), keyed by ``user_id``."""
    rows = []
    for m in report.members:
        a = m.attendance
        rate = round(a.attended / a.expected, 4) if a.expected else None
        rows.append(
            [m.user_id, m.username, m.name, a.expected, a.attended, a.late, a.early]
            + [a.absent, a.leave, a.missed_sign_out, m.hours, rate]
        )
    return pd.DataFrame(rows, columns=["user_id", *ATTENDANCE_COLUMNS])


def warning_frame(report: SemesterReport, *, by_severity: bool = False) -> pd.DataFrame:
    """Every assistant with a warning level (as the engine decided), in roster order or
    most severe first."""
    members = [m for m in report.members if m.warning.level]
    if by_severity:
        members.sort(key=lambda m: (-WARNING_RANK[m.warning.level], m.username))
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


TASK_COLUMNS = ["交办任务", "按时完成", "逾期任务"]


def worklog_frame(report: SemesterReport, digits: int = 4) -> pd.DataFrame:
    """Record and weekly-summary compliance per assistant, as the report computed them, and
    their 交办任务 (``MemberReport.tasks``: ``data.policy.tasks.task_counts``)."""
    rows = []
    for m in report.members:
        weeks = m.weekly_summaries + m.weeks_without_summary  # the completed weeks so far
        summary_rate = round(m.weekly_summaries / weeks, digits) if weeks else None
        rows.append(
            [m.username, m.name, m.records, round(m.record_rate, digits), m.weekly_summaries]
            + [weeks, summary_rate]
            + [m.tasks.given, m.tasks.done_on_time, m.tasks.overdue]
        )
    columns = ["学号", "姓名", "记录条数", "记录率", "周总结周数", "应交周数", "周总结率"]
    columns += TASK_COLUMNS
    return pd.DataFrame(rows, columns=columns)


def meetings_frame(report: SemesterReport) -> pd.DataFrame:
    """The semester's meetings: attendance counts and whether minutes were written."""
    rows = [
        [m.held_on, m.topic, m.present, m.excused, m.absent, "是" if m.has_minutes else "缺失"]
        for m in report.meetings
    ]
    return pd.DataFrame(rows, columns=["日期", "主题", "出席", "请假", "缺席", "会议记录"])


def assessment_frame(
    report: SemesterReport, stored: Mapping[int, StoredAssessment] | None = None
) -> pd.DataFrame:
    """One row per assistant: score parts, total, final grade, override, reasons, re-hire.

    In an estimate, an evaluation part not entered yet is empty (it is left out, not 0).
    """
    stored = stored or {}
    pending = "考核发布后确定" if report.assessed else "学期结束后确定"
    rows = []
    for m in report.members:
        a = m.assessment
        override = stored.get(m.user_id)
        overridden = bool(override and override.override_grade)
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
                "等级": report.grade_text(m),  # e.g. 合格（预估） until published
                "改判": f"由{grade_label(a.grade)}改判" if overridden else "",
                "改判说明": override.override_reason if overridden else "",
                "原因": "；".join(a.reasons),
                "续聘": REHIRE[m.final_grade] if not report.estimate else pending,
            }
        )
    columns = ["学号", "姓名", "出勤", "工作记录", "例会培训", "兼辅评价", "互评", "总分"]
    columns += ["等级", "改判", "改判说明", "原因", "续聘"]
    return pd.DataFrame(rows, columns=columns)


def stipend_frame(
    report: SemesterReport, statuses: Mapping[int, str] | None = None
) -> pd.DataFrame:
    """One row per assistant; every number is the engine's StipendResult.

    ``statuses`` is the label of each member's stored stipend (未生成 when there is none).
    """
    statuses = statuses or {}
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

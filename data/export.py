"""The semester workbook of SPEC §6 (sheet names and first columns are a contract)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.report import SemesterReport

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


def report_frames(report: SemesterReport) -> dict[str, pd.DataFrame]:
    """One DataFrame per sheet, columns exactly as in ``SHEETS``."""
    m = report.members
    rows = {
        "考勤汇总": [
            [
                r.username,
                r.name,
                r.attendance.expected,
                r.attendance.attended,
                r.attendance.late,
                r.attendance.early,
                r.attendance.absent,
                r.attendance.leave,
                r.attendance.missed_sign_out,
                r.hours,
            ]
            for r in m
        ],
        "预警": [
            [r.username, r.name, r.warning.label, "；".join(r.warning.reasons)]
            for r in m
            if r.warning.level
        ],
        "工作记录": [
            [r.username, r.name, r.records, round(r.record_rate, 3), r.weekly_summaries] for r in m
        ],
        "例会": [
            [
                x.held_on.isoformat(),
                x.topic,
                x.present,
                x.excused,
                x.absent,
                "是" if x.has_minutes else "否",
            ]
            for x in report.meetings
        ],
        "考核结果": [
            [
                r.username,
                r.name,
                r.assessment.total,
                report.grade_text(r),  # e.g. 合格（预估） until published
                "；".join(r.assessment.reasons),
            ]
            for r in m
        ],
        "补贴": [
            [
                r.username,
                r.name,
                float(r.stipend.hours),
                report.grade_text(r),
                float(r.stipend.amount),
            ]
            for r in m
        ],
    }
    return {name: pd.DataFrame(rows[name], columns=columns) for name, columns in SHEETS.items()}


def write_workbook(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Write atomically: a half-written workbook never appears at ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial.xlsx")
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                sheet = writer.sheets[name]
                for column in sheet.columns:
                    width = max(len(str(c.value or "")) for c in column) + 4
                    sheet.column_dimensions[column[0].column_letter].width = min(width * 1.6, 60)
                sheet.freeze_panes = "A2"
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)

"""Warnings (第七条三): who is heading for 不合格, recomputed from the semester's numbers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from data.policy.settings import PolicySettings
from data.policy.types import AttendanceSummary


class Level(enum.StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        return _RANK[self]


LEVEL_LABELS = {Level.info: "提醒", Level.warning: "警告", Level.critical: "不合格风险"}
_RANK = {Level.info: 1, Level.warning: 2, Level.critical: 3}


@dataclass(frozen=True)
class WarningResult:
    """The highest level reached (None = nothing to say), the reasons and what triggered them.

    evidence holds (metric, count, level) per trigger; metric is one of late, absent,
    missed_sign_out, weekly_summary, after_start_leave, meeting_absence, overdue_task,
    sent_back_task.
    """

    level: str | None
    reasons: list[str] = field(default_factory=list)
    evidence: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LEVEL_LABELS[Level(self.level)] if self.level else ""


def _late(count: int, s: PolicySettings) -> tuple[Level, str] | None:
    if count >= s.late_critical:
        return Level.critical, f"已迟到 {count} 次（迟到{_cn(s.late_critical)}次以上评为不合格）"
    if count >= s.late_warning:
        left = s.late_critical - count
        return Level.warning, f"已迟到 {count} 次，再迟到 {left} 次将评为不合格"
    if count >= s.late_info:
        return Level.info, f"已迟到 {count} 次（迟到 {s.late_critical} 次将评为不合格）"
    return None


def _absent(count: int, s: PolicySettings) -> tuple[Level, str] | None:
    if count >= s.absence_critical:
        return Level.critical, f"已缺勤 {count} 次（缺勤 {s.absence_critical} 次以上有不合格风险）"
    if count >= s.absence_warning:
        return Level.warning, f"已缺勤 {count} 次"
    return None


def _cn(n: int) -> str:
    """Small counts the way the regulation writes them (三次以上)."""
    return "零一二三四五六七八九十"[n] if 0 <= n <= 10 else str(n)


def assess_warnings(
    summary: AttendanceSummary,
    *,
    weeks_without_summary: int = 0,
    after_start_leaves: int = 0,
    unexcused_meeting_absences: int = 0,
    overdue_tasks: int = 0,
    sent_back_tasks: int = 0,
    settings: PolicySettings,
) -> WarningResult:
    """The warning level of one assistant (SPEC §3 warnings table), reasons most severe first."""
    found: list[tuple[Level, str, str, int]] = []  # level, reason, metric, count

    def add(metric: str, count: int, hit: tuple[Level, str] | None) -> None:
        if hit:
            found.append((hit[0], hit[1], metric, count))

    add("late", summary.late, _late(summary.late, settings))
    add("absent", summary.absent, _absent(summary.absent, settings))
    if unexcused_meeting_absences > 0:
        reason = f"例会旷到 {unexcused_meeting_absences} 次（例会旷到评为不合格）"
        add("meeting_absence", unexcused_meeting_absences, (Level.critical, reason))
    if after_start_leaves > 0:
        reason = f"先斩后奏请假 {after_start_leaves} 次（须提前当面请假）"
        add("after_start_leave", after_start_leaves, (Level.warning, reason))
    if summary.missed_sign_out > 0:
        reason = f"漏签退 {summary.missed_sign_out} 次（漏签退不计工时）"
        add("missed_sign_out", summary.missed_sign_out, (Level.info, reason))
    if weeks_without_summary > 0:
        reason = f"{weeks_without_summary} 周未写周总结"
        add("weekly_summary", weeks_without_summary, (Level.info, reason))
    if overdue_tasks > 0:  # 交办任务 (第六条五): counted by data.policy.tasks.task_counts
        level = Level.warning if settings.overdue_task_is_warning else Level.info
        add("overdue_task", overdue_tasks, (level, f"交办任务逾期 {overdue_tasks} 项"))
    if sent_back_tasks > 0:
        reason = f"交办任务被退回 {sent_back_tasks} 项"
        add("sent_back_task", sent_back_tasks, (Level.info, reason))
    # Stable sort: within a level the order above (the table's order) is kept.
    found.sort(key=lambda item: -item[0].rank)
    return WarningResult(
        level=found[0][0] if found else None,
        reasons=[item[1] for item in found],
        evidence=[(item[2], item[3], str(item[0])) for item in found],
    )

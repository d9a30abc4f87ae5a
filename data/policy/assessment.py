"""Semester assessment (第七条三、第九条): score out of 100, grade, and the hard 不合格 rules."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from data.policy.settings import PolicySettings
from data.policy.types import Grade


@dataclass(frozen=True)
class AssessmentInput:
    """One assistant's semester. counselor_score is on 0–counselor_max, peer scores on 0–peer_max.

    estimate: the grade is not published yet, so evaluation parts without any score are left out
    and the total is scaled over the parts that exist (SPEC §3 Assessment).
    """

    late: int = 0
    absent: int = 0
    missed_sign_out: int = 0
    early: int = 0
    record_compliance: float = 0.0  # duties with a work record / duties worked, 0..1
    meetings_total: int = 0
    meetings_attended: int = 0
    unexcused_meeting_absences: int = 0
    counselor_score: float | None = None
    peer_scores: list[float] = field(default_factory=list)
    course_failures: int = 0
    violations: int = 0
    estimate: bool = False
    commendations: tuple[str, ...] = ()  # 嘉奖 reasons (第七条三): listed, they change no score
    # 交办任务 (第六条五): overdue ones cost overdue_task_deduction each off the records part;
    # task_line (TaskCounts.line) is listed in the reasons as evidence.
    overdue_tasks: int = 0
    task_line: str = ""


@dataclass(frozen=True)
class AssessmentResult:
    attendance: float
    records: float
    meetings: float
    counselor: float
    peer: float
    total: float
    grade: str
    reasons: list[str] = field(default_factory=list)
    estimate: bool = False  # 预估: not yet published
    missing_parts: tuple[str, ...] = ()  # estimate parts left out: "counselor", "peer"


PART_LABELS = {"counselor": "兼辅评价", "peer": "同学互评"}


def _r1(value: float) -> float:
    """One decimal, half up (round() would round 0.25 down on binary floats)."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _clamp(value: float, top: float) -> float:
    return min(max(value, 0.0), top)


def assess(inp: AssessmentInput, settings: PolicySettings) -> AssessmentResult:
    """Score and grade one assistant (SPEC §3 assessment)."""
    s = settings
    reasons: list[str] = []
    attendance = _clamp(
        s.attendance_max
        - s.late_penalty * inp.late
        - s.absence_penalty * inp.absent
        - s.missed_sign_out_penalty * inp.missed_sign_out
        - s.early_penalty * inp.early,
        s.attendance_max,
    )
    records = _clamp(
        s.records_max * _clamp(inp.record_compliance, 1.0)
        - s.overdue_task_deduction * inp.overdue_tasks,
        s.records_max,
    )
    # No meeting held yet means nothing was missed: full marks for attendance share.
    share = inp.meetings_attended / inp.meetings_total if inp.meetings_total > 0 else 1.0
    meetings = _clamp(
        s.meetings_max * _clamp(share, 1.0)
        - s.meeting_absence_penalty * inp.unexcused_meeting_absences,
        s.meetings_max,
    )
    missing: list[str] = []
    if inp.counselor_score is None:
        counselor = 0.0
        missing.append("counselor")
        if not inp.estimate:
            reasons.append("兼辅评价未录入，按 0 分计")
    else:
        counselor = _clamp(inp.counselor_score, s.counselor_max)
    if inp.peer_scores:
        peer = _clamp(sum(inp.peer_scores) / len(inp.peer_scores), s.peer_max)
    else:
        peer = 0.0
        missing.append("peer")
        if not inp.estimate:
            reasons.append("无同学互评，按 0 分计")
    parts = [_r1(x) for x in (attendance, records, meetings, counselor, peer)]
    if inp.estimate and missing:
        total = _scaled_total(parts, missing, s)
        names = "、".join(PART_LABELS[m] for m in missing)
        reasons.append(f"预估：{names}尚未录入，按已有部分折算")
    else:
        total = _r1(sum(parts))

    hard = _hard_rules(inp, s)
    if hard:
        grade = Grade.unqualified
    elif total >= s.excellent_min:
        grade = Grade.excellent
    elif total >= s.qualified_min:
        grade = Grade.qualified
    else:
        grade = Grade.unqualified
        hard = [f"总分 {total} 低于合格线 {s.qualified_min:g}"]
    return AssessmentResult(
        *parts,
        total,
        str(grade),
        # Evidence (交办任务) before the notes on how the score was made, which end the list.
        hard
        + ([inp.task_line] if inp.task_line else [])
        + reasons
        + [f"嘉奖：{reason}" for reason in inp.commendations],
        estimate=inp.estimate,
        missing_parts=tuple(missing) if inp.estimate else (),
    )


def _scaled_total(parts: list[float], missing: list[str], s: PolicySettings) -> float:
    """Existing parts over their maxima, scaled to the full score, rounded once at the end.

    Decimal keeps a boundary such as 89.95 from becoming 89.94999… and rounding down.
    """
    maxima = dict(
        zip(
            ("attendance", "records", "meetings", "counselor", "peer"),
            (s.attendance_max, s.records_max, s.meetings_max, s.counselor_max, s.peer_max),
            strict=True,
        )
    )
    full = sum(Decimal(str(m)) for m in maxima.values())
    kept = [(name, part) for name, part in zip(maxima, parts, strict=True) if name not in missing]
    existing_max = sum(Decimal(str(maxima[name])) for name, _ in kept)
    existing = sum(Decimal(str(part)) for _, part in kept)
    if existing_max <= 0:
        return _r1(float(existing))
    scaled = existing * full / existing_max  # multiply first: one inexact step at most
    return float(scaled.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _hard_rules(inp: AssessmentInput, s: PolicySettings) -> list[str]:
    """Reasons that force 不合格 whatever the score (第七条三、第九条四)."""
    reasons = []
    if inp.late >= s.late_critical:
        reasons.append(f"迟到 {inp.late} 次（迟到 {s.late_critical} 次以上评为不合格）")
    if inp.unexcused_meeting_absences > 0:
        reasons.append(f"例会旷到 {inp.unexcused_meeting_absences} 次")
    if inp.course_failures > 0:
        reasons.append(f"课程考试不及格 {inp.course_failures} 门")
    if inp.violations > 0:
        reasons.append(f"违反学校规章制度 {inp.violations} 次")
    return reasons


def apply_excellent_quota(
    results: dict[int, AssessmentResult], settings: PolicySettings
) -> dict[int, AssessmentResult]:
    """With a quota, only the top ceil(quota × n) by total stay 优秀; the rest become 合格.

    n is everybody assessed. Ties at the cut are broken by attendance score, then user id, so
    the quota is never exceeded and the outcome is reproducible.
    """
    if settings.excellent_quota is None:
        return dict(results)
    # Decimal: 0.1 × 30 must give 3 places, not ceil(3.0000000000000004) = 4.
    places = math.ceil(Decimal(str(settings.excellent_quota)) * len(results))
    excellent = sorted(
        (uid for uid, r in results.items() if r.grade == Grade.excellent),
        key=lambda uid: (-results[uid].total, -results[uid].attendance, uid),
    )
    out = dict(results)
    for rank, uid in enumerate(excellent[places:], start=places + 1):
        note = f"优秀名额 {places} 名（比例 {settings.excellent_quota:.0%}），总分排名第 {rank}，评为合格"
        out[uid] = dataclasses.replace(
            results[uid], grade=str(Grade.qualified), reasons=[*results[uid].reasons, note]
        )
    return out

"""今日值班: each duty's live state at the door, read from the engine's outcome (SPEC §3).

The board adds no rule of its own: late is ``counts_late``, absence and 漏签退 are what
``classify_duty`` decided. It only names the moments in between (未开始, 可签到, 未到,
漏签退风险) from the same windows the engine uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from data.policy.classify import counts_late
from data.policy.settings import PolicySettings
from data.policy.types import IN_PROGRESS, UPCOMING, DutyOutcome, DutyStatus
from data.timeutil import to_local

# Tones are Bootstrap colours; "danger" rows are the ones the 团长 must act on.
MUTED, INFO, SUCCESS, WARNING, DANGER = "muted", "info", "success", "warning", "danger"
ATTENDED = (DutyStatus.normal, DutyStatus.late, DutyStatus.early, DutyStatus.late_early)


@dataclass(frozen=True)
class BoardState:
    """One duty's state on the board: code, Chinese label, tone, minutes and a short detail."""

    code: str
    label: str
    tone: str
    minutes: int = 0  # late minutes, or minutes missing since the start; else 0
    detail: str = ""

    @property
    def red(self) -> bool:
        return self.tone == DANGER


def _clock(moment: datetime) -> str:
    return f"{to_local(moment):%H:%M}"


def _whole_minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _marks(outcome: DutyOutcome) -> str:
    """Late and early marks kept on a finished duty (one duty can carry both, SPEC §3)."""
    marks = []
    if counts_late(outcome):
        marks.append(f"迟到 {outcome.late_minutes} 分钟")
    if outcome.early_minutes:
        marks.append(f"早退 {outcome.early_minutes} 分钟")
    return " · ".join(marks)


def board_state(outcome: DutyOutcome, now: datetime, settings: PolicySettings) -> BoardState:
    """The live state of one of today's duties; ``settings`` are those in force at its start."""
    duty, status = outcome.duty, outcome.status
    if outcome.excused or status == DutyStatus.leave:
        return BoardState("leave", "请假", INFO, detail="已批准的请假")
    if duty.extra:
        return _extra(outcome)
    if status == DutyStatus.absent:
        return BoardState("absent", "缺勤", DANGER, detail="未签到，班次已结束")
    if status == DutyStatus.missed_sign_out:
        detail = " · ".join(filter(None, ["未签退，不计工时", _marks(outcome)]))
        return BoardState("missed_sign_out", "漏签退", DANGER, outcome.late_minutes, detail)
    if status in ATTENDED:
        return _signed_out(outcome)
    if status not in (UPCOMING, IN_PROGRESS):
        return BoardState(status, status, MUTED)
    if outcome.sign_in_at is not None:
        return _signed_in(outcome, now, settings)
    return _not_signed_in(outcome, now, settings)


def _extra(outcome: DutyOutcome) -> BoardState:
    """加班: an unscheduled sign-in; only a sign-in left open past its window is red."""
    if outcome.status == DutyStatus.missed_sign_out:
        return BoardState("missed_sign_out", "漏签退", DANGER, detail="加班未签退，不计工时")
    if outcome.sign_out_at is None:
        return BoardState("extra", "加班", INFO, detail="加班中")
    return BoardState("extra", "加班", INFO, detail=f"已签退 · {outcome.credited_minutes} 分钟")


def _signed_out(outcome: DutyOutcome) -> BoardState:
    """已签退 (or a counselor's status without times): red with the first mark when late/early."""
    marks = _marks(outcome)
    if not marks:
        return BoardState(
            "signed_out", "已签退", SUCCESS, 0, "准时" if outcome.sign_out_at else "补签"
        )
    late = outcome.late_minutes if counts_late(outcome) else 0
    label = "已签退 · " + marks.split(" · ")[0]
    return BoardState("signed_out", label, DANGER, late, marks)


def _signed_in(outcome: DutyOutcome, now: datetime, settings: PolicySettings) -> BoardState:
    duty = outcome.duty
    late = counts_late(outcome)  # the one late definition: red from the sign-in on
    if now >= duty.end:
        deadline = duty.end + timedelta(minutes=settings.missed_sign_out_minutes)
        detail = " · ".join(filter(None, [f"{_clock(deadline)} 前须签退", _marks(outcome)]))
        return BoardState("sign_out_due", "漏签退风险", WARNING, outcome.late_minutes, detail)
    if late:
        label = f"迟到 {outcome.late_minutes} 分钟"
        return BoardState("signed_in", label, DANGER, outcome.late_minutes, "已签到")
    return BoardState("signed_in", "已签到", SUCCESS, detail="准时")


def _not_signed_in(outcome: DutyOutcome, now: datetime, settings: PolicySettings) -> BoardState:
    duty = outcome.duty
    opens = duty.start - timedelta(minutes=settings.sign_in_window_minutes)
    grace_ends = duty.start + timedelta(minutes=settings.grace_minutes)
    after_start = "；有先斩后奏请假（不免责）" if outcome.after_start_leave else ""
    if now < opens:
        return BoardState("upcoming", "未开始", MUTED, detail=f"{_clock(opens)} 起可签到")
    if now <= grace_ends:  # classify_duty: late only when the sign-in is after start + grace
        return BoardState("open", "可签到", INFO, detail=f"宽限至 {_clock(grace_ends)}")
    missing = _whole_minutes(now - duty.start)
    return BoardState("no_show", f"未到 {missing} 分钟", DANGER, missing, "未签到" + after_start)


@dataclass(frozen=True)
class BoardCounts:
    """The chips on top: scheduled duties and how many are in each group."""

    expected: int = 0
    signed_in: int = 0
    late: int = 0
    missing: int = 0
    leave: int = 0
    extra: int = 0
    sign_out_due: int = 0


SIGNED_IN = ("signed_in", "signed_out", "sign_out_due", "missed_sign_out")


def board_counts(pairs: Iterable[tuple[DutyOutcome, BoardState]]) -> BoardCounts:
    """应到 / 已签到 / 迟到 / 未到 (incl. 缺勤) / 请假 / 加班 over (outcome, state) pairs."""
    counts = dict.fromkeys(BoardCounts.__dataclass_fields__, 0)
    for outcome, state in pairs:
        if outcome.duty.extra:
            counts["extra"] += 1
            continue
        counts["expected"] += 1
        counts["signed_in"] += state.code in SIGNED_IN
        counts["late"] += counts_late(outcome)
        counts["missing"] += state.code in ("no_show", "absent")
        counts["leave"] += state.code == "leave"
        counts["sign_out_due"] += state.code == "sign_out_due"
    return BoardCounts(**counts)

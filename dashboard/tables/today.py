"""今日值班 inputs: today's outcomes (read narrowly), their board states, grouped by time slot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.tables.attendance import user_names
from data.attendance import current_semester, semester_attendance, team_settings_history
from data.models import Semester
from data.policy.today import BoardCounts, BoardState, board_counts, board_state
from data.policy.types import DutyOutcome
from data.timeutil import local_today, to_local

EXTRA_SLOT = "加班（未排班）"
FRAME_COLUMNS = ["班次", "岗位", "学号", "姓名", "状态", "分钟", "签到时间", "签退时间", "说明"]


def day_outcomes(
    session: Session, semester: Semester, day: date, now: datetime
) -> list[DutyOutcome]:
    """Every duty of ``day`` (scheduled and 加班) exactly as ``semester_attendance`` decides it.

    Only the day and its neighbours are expanded and read (an event may belong to a duty of
    the day before, or sign out after midnight): the board refreshes every 30 seconds.
    """
    if not semester.start <= day <= semester.end:
        return []
    days = (day - timedelta(days=1), day + timedelta(days=1))
    attendance = semester_attendance(session, semester, now, days=days)
    return [o for o in attendance.outcomes if o.duty.day == day]


@dataclass(frozen=True)
class BoardRow:
    """One duty on the board: who, when, where and its live state."""

    user_id: int
    username: str
    name: str
    slot: str
    place: str
    state: BoardState
    sign_in: str
    sign_out: str
    extra: bool


@dataclass(frozen=True)
class Board:
    """Today's duties of one semester as of ``moment``."""

    semester: Semester | None
    day: date
    moment: datetime
    rows: list[BoardRow]
    counts: BoardCounts

    def slots(self) -> list[tuple[str, list[BoardRow]]]:
        """Rows grouped by time slot and place, in start order; 加班 last."""
        groups: dict[str, list[BoardRow]] = {}
        for row in self.rows:
            title = EXTRA_SLOT if row.extra else " · ".join(filter(None, [row.slot, row.place]))
            groups.setdefault(title, []).append(row)
        return list(groups.items())

    @property
    def red(self) -> list[BoardRow]:
        return [r for r in self.rows if r.state.red]


def _clock(moment: datetime | None) -> str:
    return f"{to_local(moment):%H:%M}" if moment else ""


def today_board(session: Session, team_id: int, now: datetime) -> Board:
    """The board of the team's semester that runs today (none: an empty board)."""
    day = local_today(now)
    semester = current_semester(session, team_id, day)
    if semester is None:
        return Board(None, day, now, [], BoardCounts())
    history = team_settings_history(session, semester.team_id)
    outcomes = day_outcomes(session, semester, day, now)
    states = [board_state(o, now, history.for_duty(o.duty.start)) for o in outcomes]
    names = user_names(session, {o.duty.user_id for o in outcomes})
    rows = _rows(zip(outcomes, states, strict=True), names)
    return Board(semester, day, now, rows, board_counts(zip(outcomes, states, strict=True)))


def _rows(
    pairs: Iterable[tuple[DutyOutcome, BoardState]], names: dict[int, tuple[str, str]]
) -> list[BoardRow]:
    def order(pair: tuple[DutyOutcome, BoardState]) -> tuple:
        duty = pair[0].duty
        return (duty.extra, duty.start, duty.end, duty.place, names[duty.user_id][0])

    rows = []
    for outcome, state in sorted(pairs, key=order):
        duty = outcome.duty
        username, name = names[duty.user_id]
        slot = f"{to_local(duty.start):%H:%M}–{to_local(duty.end):%H:%M}"
        rows.append(
            BoardRow(
                duty.user_id,
                username,
                name,
                "" if duty.extra else slot,
                duty.place or "",
                state,
                _clock(outcome.sign_in_at),
                _clock(outcome.sign_out_at),
                duty.extra,
            )
        )
    return rows


def board_frame(board: Board) -> pd.DataFrame:
    """The board as the 考勤 export's 今日值班 sheet (the same states as on screen)."""
    data = [
        [
            r.slot or "加班",
            r.place or "—",
            r.username,
            r.name,
            r.state.label,
            r.state.minutes or None,
            r.sign_in,
            r.sign_out,
            r.state.detail,
        ]
        for r in board.rows
    ]
    return pd.DataFrame(data, columns=FRAME_COLUMNS)

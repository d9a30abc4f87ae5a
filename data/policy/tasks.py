"""交办任务 (第六条五): "凡是老师交办的任务，要尽最大努力在规定时间内和期限内完成".

Pure: the state machine of one assignee's task, its status at a moment, and the ONE count that
/me, 预警, the assessment's evidence and the dashboard all read (``task_counts``).

Definitions (SPEC-level, tested):

- A task is *done on time* when its latest 完成 was marked at or before the deadline and the giver
  has not sent it back since (state done or accepted).
- A task is *overdue* when the deadline has passed and it is not done on time: still open, sent
  back and not redone, or marked done after the deadline (逾期完成). Each assignee's task counts
  once, however often it was sent back or redone.
- A send-back reopens the task (its 完成 no longer counts); ``sent_back`` counts the tasks sent
  back at least once.
- Deadlines are instants; shown and compared as Asia/Shanghai wall-clock times (a deadline of
  "12-01 18:00" is 10:00 UTC), so "due tomorrow" means the college's tomorrow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from data.timeutil import to_local


class TaskState(enum.StrEnum):
    open = "open"  # given, not done yet
    done = "done"  # the assignee marked it done; waiting for the giver
    accepted = "accepted"  # the giver (or a counselor) accepted it: final
    sent_back = "sent_back"  # the giver sent it back with a reason: to be redone


class TaskAct(enum.StrEnum):
    mark_done = "mark_done"
    accept = "accept"
    send_back = "send_back"


# (act, state before) → state after. Anything not listed is refused.
TRANSITIONS: dict[tuple[TaskAct, TaskState], TaskState] = {
    (TaskAct.mark_done, TaskState.open): TaskState.done,
    (TaskAct.mark_done, TaskState.sent_back): TaskState.done,
    (TaskAct.accept, TaskState.done): TaskState.accepted,
    (TaskAct.send_back, TaskState.done): TaskState.sent_back,
}
DONE_STATES = (TaskState.done, TaskState.accepted)


def next_state(act: TaskAct, state: TaskState) -> TaskState | None:
    """The state after ``act``, or None when the act is not allowed from ``state``."""
    return TRANSITIONS.get((TaskAct(act), TaskState(state)))


@dataclass(frozen=True)
class Actor:
    """Who tries an act: their user id and whether they are the team's 兼辅."""

    user_id: int
    counselor: bool = False


def may_act(act: TaskAct, actor: Actor, giver_id: int | None, assignee_id: int) -> bool:
    """Only the assignee marks done; the giver or a counselor accepts or sends back."""
    if act == TaskAct.mark_done:
        return actor.user_id == assignee_id
    return actor.counselor or (giver_id is not None and actor.user_id == giver_id)


@dataclass(frozen=True)
class TaskRow:
    """One assignee's task as plain values (deadline and done_at aware datetimes)."""

    user_id: int
    deadline: datetime
    state: TaskState = TaskState.open
    done_at: datetime | None = None
    send_backs: int = 0


class Status(enum.StrEnum):
    open = "open"
    due_soon = "due_soon"
    overdue = "overdue"
    sent_back = "sent_back"
    done = "done"  # on time, waiting for review
    done_late = "done_late"
    accepted = "accepted"
    accepted_late = "accepted_late"


STATUS_LABELS = {
    Status.open: "进行中",
    Status.due_soon: "即将到期",
    Status.overdue: "已逾期",
    Status.sent_back: "已退回",
    Status.done: "已完成，待验收",
    Status.done_late: "逾期完成，待验收",
    Status.accepted: "已验收",
    Status.accepted_late: "已验收（逾期完成）",
}
STATUS_BADGES = {
    Status.open: "text-bg-light border",
    Status.due_soon: "text-bg-warning",
    Status.overdue: "text-bg-danger",
    Status.sent_back: "text-bg-warning",
    Status.done: "text-bg-info",
    Status.done_late: "text-bg-secondary",
    Status.accepted: "text-bg-success",
    Status.accepted_late: "text-bg-secondary",
}


def done_on_time(row: TaskRow) -> bool:
    return row.state in DONE_STATES and row.done_at is not None and row.done_at <= row.deadline


def is_overdue(row: TaskRow, now: datetime) -> bool:
    """Deadline passed and not done on time (open, sent back, or done after the deadline)."""
    if done_on_time(row):
        return False
    if row.state in DONE_STATES and row.done_at is not None:
        return True  # 逾期完成: done after the deadline, so the deadline has passed
    return now > row.deadline


def task_status(row: TaskRow, now: datetime, due_soon_hours: int = 24) -> Status:
    """What the assignee and the giver see for one task at ``now``."""
    if row.state in DONE_STATES:
        late = not done_on_time(row)
        if row.state == TaskState.accepted:
            return Status.accepted_late if late else Status.accepted
        return Status.done_late if late else Status.done
    if now > row.deadline:
        return Status.overdue
    if row.state == TaskState.sent_back:
        return Status.sent_back
    if row.deadline - now <= timedelta(hours=due_soon_hours):
        return Status.due_soon
    return Status.open


@dataclass(frozen=True)
class TaskCounts:
    """given = every task given (not cancelled); the others are subsets of it."""

    given: int = 0
    done_on_time: int = 0
    overdue: int = 0
    sent_back: int = 0
    pending: int = 0  # neither done on time nor overdue yet (still open before the deadline)

    def line(self) -> str:
        """One line for the assessment's evidence and the person's page."""
        text = f"交办任务 {self.given} 项：按时完成 {self.done_on_time}，逾期 {self.overdue}"
        if self.sent_back:
            text += f"，被退回 {self.sent_back}"
        return text


def task_counts(rows: Iterable[TaskRow], now: datetime) -> TaskCounts:
    """THE count of tasks: used by /me, 预警, the assessment evidence and the dashboard."""
    given = on_time = overdue = sent_back = 0
    for row in rows:
        given += 1
        if done_on_time(row):
            on_time += 1
        elif is_overdue(row, now):
            overdue += 1
        if row.send_backs > 0:
            sent_back += 1
    return TaskCounts(given, on_time, overdue, sent_back, given - on_time - overdue)


def counts_by_user(rows: Iterable[TaskRow], now: datetime) -> dict[int, TaskCounts]:
    """``task_counts`` per assignee."""
    mine: dict[int, list[TaskRow]] = {}
    for row in rows:
        mine.setdefault(row.user_id, []).append(row)
    return {user_id: task_counts(items, now) for user_id, items in mine.items()}


def deadline_month(row: TaskRow) -> str:
    """The local month ("YYYY-MM") a task belongs to in monthly figures: its deadline's."""
    return f"{to_local(row.deadline):%Y-%m}"


def deadline_day(row: TaskRow) -> date:
    return to_local(row.deadline).date()


def in_days(row: TaskRow, first: date, last: date) -> bool:
    """The deadline falls on a local day between ``first`` and ``last`` (a month or a range)."""
    return first <= deadline_day(row) <= last

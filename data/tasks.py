"""The only SQL for 交办任务 rows: what ``data.policy.tasks.task_counts`` counts.

/me, 预警 and the assessment (through ``data.report.member_facts``), the dashboard's 工作记录 and
the reminders all read task rows here, so they all count the same tasks: not cancelled, of the
semester, per assignee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Semester, Task, TaskAssignment
from data.policy.tasks import STATUS_BADGES, STATUS_LABELS, Status, TaskRow, task_status

ACTIONABLE = (Status.open, Status.due_soon, Status.overdue, Status.sent_back)


def row_of(task: Task, assignment: TaskAssignment) -> TaskRow:
    """One assignee's task as the policy's plain values."""
    return TaskRow(
        user_id=assignment.user_id,
        deadline=task.deadline,
        state=assignment.state,
        done_at=assignment.done_at,
        send_backs=assignment.send_backs,
    )


def task_rows(
    session: Session, semester: Semester, user_ids: set[int] | None = None
) -> list[TaskRow]:
    """Every live (not cancelled) task of the semester, one row per assignee."""
    query = (
        select(Task, TaskAssignment)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(Task.semester_id == semester.id, Task.cancelled_at.is_(None))
        .order_by(Task.deadline, Task.id, TaskAssignment.user_id)
    )
    if user_ids is not None:
        query = query.where(TaskAssignment.user_id.in_(user_ids))
    return [row_of(task, assignment) for task, assignment in session.execute(query)]


@dataclass(frozen=True)
class OwnTask:
    """One of a person's tasks as /me shows it."""

    task: Task
    assignment: TaskAssignment
    status: Status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def can_mark_done(self) -> bool:
        return self.status in ACTIONABLE


def own_task_pairs(
    session: Session, semester: Semester, user_id: int
) -> list[tuple[Task, TaskAssignment]]:
    """One person's live (not cancelled) tasks of the semester, by deadline."""
    query = (
        select(Task, TaskAssignment)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(
            TaskAssignment.user_id == user_id,
            Task.semester_id == semester.id,
            Task.cancelled_at.is_(None),
        )
        .order_by(Task.deadline, Task.id)
    )
    return [(task, a) for task, a in session.execute(query)]


def own_tasks(
    session: Session, user_id: int, semester: Semester, now: datetime, due_soon_hours: int
) -> list[OwnTask]:
    """One person's live tasks of the semester: those to act on first, nearest deadline first."""
    rows = [
        OwnTask(task, a, task_status(row_of(task, a), now, due_soon_hours))
        for task, a in own_task_pairs(session, semester, user_id)
    ]
    rows.sort(key=lambda r: (not r.can_mark_done, r.task.deadline, r.task.id))
    return rows

"""交办任务 (第六条五): a task the counselor or the 团长 gives, and one row per assignee."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base
from data.policy.tasks import TaskState
from data.timeutil import utcnow


class Task(Base):
    """What was asked, by whom, by when (an instant, shown in Asia/Shanghai time)."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    giver_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime]
    link: Mapped[str] = mapped_column(String(500), default="")  # http(s) only, or empty
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A cancelled task (given by mistake) leaves every count; kept for the audit trail.
    cancelled_at: Mapped[datetime | None]

    assignments: Mapped[list[TaskAssignment]] = relationship(
        cascade="all, delete-orphan", order_by="TaskAssignment.id"
    )


class TaskAssignment(Base):
    """One assignee's side of a task: the state machine of ``data.policy.tasks``."""

    __tablename__ = "task_assignment"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    state: Mapped[TaskState] = mapped_column(default=TaskState.open)
    done_at: Mapped[datetime | None]  # the latest 完成; cleared by a send-back
    done_note: Mapped[str] = mapped_column(String(200), default="")
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str] = mapped_column(String(500), default="")
    send_backs: Mapped[int] = mapped_column(default=0)

"""tasks: 交办任务 and one row per assignee

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import data.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("deadline", data.models.base.UTCDateTime(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", data.models.base.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", data.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["user.id"], name=op.f("fk_task_giver_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_task_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_task_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_semester_id"), ["semester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_team_id"), ["team_id"], unique=False)

    op.create_table(
        "task_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "done",
                "accepted",
                "sent_back",
                name="taskstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("done_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("done_note", sa.String(length=200), nullable=False),
        sa.Column("reviewed_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("review_reason", sa.String(length=500), nullable=False),
        sa.Column("send_backs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_assignment_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_task_assignment_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_assignment")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_task_assignment_task_id_user_id")),
    )
    with op.batch_alter_table("task_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_assignment_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_assignment_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_task_assignment_task_id"))

    op.drop_table("task_assignment")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_team_id"))
        batch_op.drop_index(batch_op.f("ix_task_semester_id"))

    op.drop_table("task")

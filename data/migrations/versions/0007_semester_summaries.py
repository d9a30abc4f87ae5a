"""semester summaries: per-(semester, person, week, month) counts, grades, weekly running totals

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "expected",
    "attended",
    "normal",
    "late",
    "early",
    "absent",
    "leave",
    "missed_sign_out",
    "extra",
    "credited_minutes",
    "late_minutes",
)


def upgrade() -> None:
    op.create_table(
        "semester_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_semester_summary_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_semester_summary_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semester_summary")),
        sa.UniqueConstraint(
            "semester_id",
            "user_id",
            "week",
            "month",
            name=op.f("uq_semester_summary_semester_id_user_id_week_month"),
        ),
    )
    with op.batch_alter_table("semester_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semester_summary_semester_id"), ["semester_id"], unique=False
        )

    op.create_table(
        "semester_member_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum(
                "excellent", "qualified", "unqualified", name="grade", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("estimate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_semester_member_summary_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_semester_member_summary_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semester_member_summary")),
        sa.UniqueConstraint(
            "semester_id", "user_id", name=op.f("uq_semester_member_summary_semester_id_user_id")
        ),
    )
    with op.batch_alter_table("semester_member_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semester_member_summary_semester_id"), ["semester_id"], unique=False
        )

    op.create_table(
        "semester_week_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("hours", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_semester_week_total_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semester_week_total")),
        sa.UniqueConstraint(
            "semester_id", "week", name=op.f("uq_semester_week_total_semester_id_week")
        ),
    )
    with op.batch_alter_table("semester_week_total", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semester_week_total_semester_id"), ["semester_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("semester_week_total", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semester_week_total_semester_id"))
    op.drop_table("semester_week_total")
    with op.batch_alter_table("semester_member_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semester_member_summary_semester_id"))
    op.drop_table("semester_member_summary")
    with op.batch_alter_table("semester_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semester_summary_semester_id"))
    op.drop_table("semester_summary")

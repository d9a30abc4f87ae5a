"""调休 make-up working days: the weekday whose schedule a declared weekend workday follows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "semester_makeup_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_semester_makeup_day_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semester_makeup_day")),
        sa.UniqueConstraint(
            "semester_id", "on", name=op.f("uq_semester_makeup_day_semester_id_on")
        ),
    )
    with op.batch_alter_table("semester_makeup_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semester_makeup_day_semester_id"), ["semester_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("semester_makeup_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semester_makeup_day_semester_id"))
    op.drop_table("semester_makeup_day")

"""dated schedule: shift and assignment validity, shift versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
    # One person may hold a shift over several periods, so (shift, user) is no longer unique.
    with op.batch_alter_table("shift_assignment", schema=None) as batch_op:
        batch_op.drop_constraint("uq_shift_assignment_shift_id_user_id", type_="unique")
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
    op.create_table(
        "shift_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_shift_version_place_id_place")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
            name=op.f("fk_shift_version_shift_id_shift"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_version")),
        sa.UniqueConstraint(
            "shift_id", "valid_from", name=op.f("uq_shift_version_shift_id_valid_from")
        ),
    )
    with op.batch_alter_table("shift_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_version_shift_id"), ["shift_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shift_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_version_shift_id"))
    op.drop_table("shift_version")
    with op.batch_alter_table("shift_assignment", schema=None) as batch_op:
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
        batch_op.create_unique_constraint(
            "uq_shift_assignment_shift_id_user_id", ["shift_id", "user_id"]
        )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")

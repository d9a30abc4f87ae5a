"""swap offers: an assistant offers a duty, a teammate takes it, the 团长 approves (换班申请)

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import data.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One live offer per (shift, date, offerer): withdrawn and declined ones free the slot.
LIVE = sa.text("state IN ('open', 'taken', 'approved')")


def upgrade() -> None:
    op.create_table(
        "swap_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("offerer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", data.models.base.UTCDateTime(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "taken",
                "approved",
                "declined",
                "withdrawn",
                "expired",
                name="swapstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("taker_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_swap_offer_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["offerer_id"],
            ["user.id"],
            name=op.f("fk_swap_offer_offerer_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["shift_override.id"],
            name=op.f("fk_swap_offer_override_id_shift_override"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_swap_offer_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
            name=op.f("fk_swap_offer_shift_id_shift"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taker_id"], ["user.id"], name=op.f("fk_swap_offer_taker_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_swap_offer")),
    )
    with op.batch_alter_table("swap_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_swap_offer_offerer_id"), ["offerer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_swap_offer_semester_id"), ["semester_id"], unique=False
        )
        batch_op.create_index(
            "uq_swap_offer_live",
            ["shift_id", "on", "offerer_id"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("swap_offer", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_swap_offer_live",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.drop_index(batch_op.f("ix_swap_offer_semester_id"))
        batch_op.drop_index(batch_op.f("ix_swap_offer_offerer_id"))

    op.drop_table("swap_offer")

"""data revision: one row whose token changes with every committed write (report cache key)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_revision")),
    )
    # The row exists from the start, so a write only ever updates it.
    op.bulk_insert(table, [{"id": 1, "value": "initial"}])


def downgrade() -> None:
    op.drop_table("data_revision")

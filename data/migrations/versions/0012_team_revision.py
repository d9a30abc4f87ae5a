"""team revision: a token per team that the team's door writes change (report and door caches)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows appear with a team's first door write (an upsert): no row reads as "no door write yet".
    op.create_table(
        "team_revision",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_team_revision_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_revision")),
    )


def downgrade() -> None:
    op.drop_table("team_revision")

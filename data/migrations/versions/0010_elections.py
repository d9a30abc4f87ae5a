"""elections: 团长选举 (election, candidates with counts, voter roll) and dated leader terms

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 19:49:55
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import data.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "election",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("semester_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "standing",
                "all_appointed",
                "runoff",
                name="electionmode",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("opens_at", data.models.base.UTCDateTime(), nullable=False),
        sa.Column("closes_at", data.models.base.UTCDateTime(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "closed",
                "confirmed",
                "cancelled",
                name="electionstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("active_team_id", sa.Integer(), nullable=True),
        sa.Column("runoff_of_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_from", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", data.models.base.UTCDateTime(), nullable=False),
        sa.Column("closed_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", data.models.base.UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_election_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["runoff_of_id"], ["election.id"], name=op.f("fk_election_runoff_of_id_election")
        ),
        sa.ForeignKeyConstraint(
            ["semester_id"],
            ["semester.id"],
            name=op.f("fk_election_semester_id_semester"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_election_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["winner_id"], ["user.id"], name=op.f("fk_election_winner_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election")),
        sa.UniqueConstraint("active_team_id", name=op.f("uq_election_active_team_id")),
    )
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_election_team_id"), ["team_id"], unique=False)

    op.create_table(
        "election_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.String(length=200), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_candidate_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_election_candidate_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_candidate")),
        sa.UniqueConstraint(
            "election_id", "user_id", name=op.f("uq_election_candidate_election_id_user_id")
        ),
    )
    with op.batch_alter_table("election_candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_election_candidate_election_id"), ["election_id"], unique=False
        )

    op.create_table(
        "election_voter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", data.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_voter_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_election_voter_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_voter")),
        sa.UniqueConstraint(
            "election_id", "user_id", name=op.f("uq_election_voter_election_id_user_id")
        ),
    )
    with op.batch_alter_table("election_voter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_election_voter_election_id"), ["election_id"], unique=False
        )

    op.create_table(
        "leader_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", data.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["user.id"], name=op.f("fk_leader_term_confirmed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_leader_term_election_id_election"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_leader_term_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_leader_term_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_term")),
    )
    with op.batch_alter_table("leader_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leader_term_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leader_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leader_term_team_id"))

    op.drop_table("leader_term")
    with op.batch_alter_table("election_voter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_voter_election_id"))

    op.drop_table("election_voter")
    with op.batch_alter_table("election_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_candidate_election_id"))

    op.drop_table("election_candidate")
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_team_id"))

    op.drop_table("election")

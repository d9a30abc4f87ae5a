"""Tokens that change with committed writes (the keys of the report and door caches)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class DataRevision(Base):
    """``value`` is a fresh random token per write transaction (see ``data.revision``)."""

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(String(32))


class TeamRevision(Base):
    """A team's token, changed by that team's door writes alone (see ``data.revision``)."""

    __tablename__ = "team_revision"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    value: Mapped[str] = mapped_column(String(32))

"""One row whose value changes with every committed write (the report cache's key)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class DataRevision(Base):
    """``value`` is a fresh random token per write transaction (see ``data.revision``)."""

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(String(32))

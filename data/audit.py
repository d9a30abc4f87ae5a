"""One helper for the audit log: who changed what, when, before and after."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from data.models import AuditLog


def jsonable(value: Any) -> Any:
    """Dates, enums and decimals as JSON-friendly values, recursively."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of a model instance, ready for ``before``/``after``."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def record(
    session: Session,
    *,
    actor_id: int | None,
    team_id: int | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    source_ip: str = "",
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit entry to the session (the caller's commit writes it with the change)."""
    entry = AuditLog(
        actor_id=actor_id,
        team_id=team_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        source_ip=source_ip,
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry

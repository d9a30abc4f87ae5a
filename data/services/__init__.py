"""The Flask-free write side: session + actor + plain values in, rule enforced, result out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from data.audit import record
from data.inputs import clean_text
from data.models import User


class Refused(Exception):
    """A change the rules do not allow; the message is Chinese and shown as is."""


def audit(
    session: Any,
    actor: User,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict | None,
    after: dict | None,
    *,
    at: datetime,
    ip: str = "",
) -> None:
    """One audit entry by ``actor`` (their team), added to the change being committed with it."""
    record(
        session,
        actor_id=actor.id,
        team_id=actor.team_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        source_ip=ip,
        at=at,
    )


REASON_MAX = 500


def clean_reason(text: Any, label: str, minimum: int = 1) -> str:
    """A reason on one line, at least ``minimum`` and at most ``REASON_MAX`` characters."""
    reason = clean_text(text, REASON_MAX + 1)  # one more: too long is refused, not cut
    if len(reason) < minimum:
        raise Refused(
            f"请填写{label}。" if minimum <= 1 else f"请填写{label}（至少 {minimum} 个字）。"
        )
    if len(reason) > REASON_MAX:
        raise Refused(f"{label}不能超过 {REASON_MAX} 个字。")
    return reason

"""Door places and their codes (SPEC §4): add a place, revoke its poster or its kiosk link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.inputs import clean_text
from data.models import Place, User
from data.services import Refused, audit

# Keeps the poster title on one line at a readable size (the column allows 50).
PLACE_NAME_MAX = 20
VERSIONS = {"poster": "poster_version", "kiosk": "kiosk_version"}


def _name_error(session: Session, team_id: int, name: str) -> str | None:
    if not name:
        return "请填写岗位名称"
    if len(name) > PLACE_NAME_MAX:
        return f"岗位名称不能超过 {PLACE_NAME_MAX} 个字"
    exists = session.scalar(
        select(func.count()).select_from(Place).where(Place.team_id == team_id, Place.name == name)
    )
    if exists:
        return f"岗位“{name}”已存在"
    return None


def create_place(session: Session, actor: User, raw_name: Any, *, at: datetime, ip: str) -> Place:
    """A new place of the actor's team; its posters can be printed at once."""
    # One line without control characters; one over the limit, so too long is refused.
    name = clean_text(raw_name, PLACE_NAME_MAX + 1)
    error = _name_error(session, actor.team_id, name)
    if error:
        raise Refused(error)
    place = Place(team_id=actor.team_id, name=name)
    session.add(place)
    try:
        session.flush()
    except IntegrityError:  # the same name added concurrently from another tab
        raise Refused(f"岗位“{name}”已存在") from None
    audit(session, actor, "place.create", "place", place.id, None, {"name": name}, at=at, ip=ip)
    return place


def revoke(
    session: Session, actor: User, place_id: int, which: str, *, at: datetime, ip: str
) -> int:
    """Bump the place's poster or kiosk version (returned): older codes stop working."""
    place = session.get(Place, place_id)
    if place is None or place.team_id != actor.team_id:
        raise Refused("岗位不存在")
    column = VERSIONS[which]
    before = getattr(place, column)
    setattr(place, column, before + 1)
    audit(
        session,
        actor,
        f"{which}.revoke",
        "place",
        place.id,
        {column: before},
        {column: before + 1},
        at=at,
        ip=ip,
    )
    return before + 1

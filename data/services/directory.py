"""The team directory (通讯录, 第七条二): who is listed, and who may edit which entry.

An assistant edits only their own entry; the 团长 (in charge of the directory) their own and
the assistants' entries, never a staff member's (the 兼辅's phone is not the 团长's to change);
the counselor anyone of the team. An edit touches only post, phone, QQ and grade, so hardship,
political status and evaluations can never change (or leak) through it.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.importers import PHONE_RE, QQ_RE
from data.inputs import shorten
from data.models import Role, User
from data.services import Refused, audit

FIELDS = ("post", "phone", "qq", "grade")  # the only attributes an edit may touch
FIELD_LABELS = dict(zip(FIELDS, ("岗位", "手机", "QQ", "年级"), strict=True))
LISTED = (Role.assistant, Role.leader, Role.counselor)  # leadership is not part of the 助管团
# The counselor and the 团长 first: they are whom people look up most.
ORDER = {Role.counselor: 0, Role.leader: 1, Role.assistant: 2}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def listed(session: Session, team_id: int | None) -> list[User]:
    """The team's active members shown in the directory, counselor and 团长 first."""
    if team_id is None:
        return []
    query = select(User).where(
        User.team_id == team_id, User.active.is_(True), User.role.in_(LISTED)
    )
    return sorted(session.scalars(query), key=lambda u: (ORDER[u.role], u.username))


def listed_person(session: Session, team_id: int | None, user_id: int) -> User | None:
    """A person of the team's directory, or None (also for anyone of another team)."""
    user = session.get(User, user_id)
    if user is None or team_id is None or user.team_id != team_id or user.role not in LISTED:
        return None
    return user


def may_edit(actor: User, person: User) -> bool:
    """Whether ``actor`` may edit ``person``'s entry (both of one team's directory)."""
    if actor.team_id is None or actor.team_id != person.team_id:
        return False
    if actor.role == Role.counselor:
        return True
    if actor.role == Role.leader:
        return person.id == actor.id or person.role == Role.assistant
    return actor.role == Role.assistant and person.id == actor.id


def refusal(actor: User) -> str:
    """Why ``actor`` may not edit an entry ``may_edit`` refuses."""
    if actor.role == Role.leader:
        return "团长只能修改自己和助管的通讯录信息"
    return "只能修改自己的通讯录信息"


def entry_error(values: dict[str, str]) -> str | None:
    """Why these field values cannot be stored, or None."""
    for name, value in values.items():
        if CONTROL.search(value):
            return "内容含有无效字符"
        limit = User.__table__.c[name].type.length
        if len(value) > limit:
            return f"{FIELD_LABELS[name]}过长（最多 {limit} 个字符）"
    if values["phone"] and not PHONE_RE.match(values["phone"]):
        return f"手机号码格式不正确：{shorten(values['phone'], 30)}"
    if values["qq"] and not QQ_RE.match(values["qq"]):
        return f"QQ 号应为 5–12 位数字：{shorten(values['qq'], 30)}"
    return None


def update_entry(
    session: Session,
    actor: User,
    user_id: int,
    values: dict[str, str],
    *,
    at: datetime,
    ip: str = "",
) -> bool:
    """Store post/phone/QQ/grade of a directory entry; False when nothing changed."""
    person = listed_person(session, actor.team_id, user_id)
    if person is None:
        raise Refused("找不到该成员")
    if not may_edit(actor, person):
        raise Refused(refusal(actor))
    values = {name: values.get(name, "") for name in FIELDS}
    if (error := entry_error(values)) is not None:
        raise Refused(error)
    before = {name: getattr(person, name) for name in FIELDS}
    if before == values:
        return False
    for name, value in values.items():
        setattr(person, name, value)
    audit(session, actor, "directory.update", "user", person.id, before, values, at=at, ip=ip)
    return True

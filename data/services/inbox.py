"""The in-app inbox (SPEC §4b): one's own messages, marking them read, e-mail and opt-outs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.inputs import clean_text
from data.models import Notification, User
from data.services import Refused, audit

INBOX_SHOWN = 50
EMAIL_MAX = 120
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# The reminders a person may switch off (SPEC §4b); leave decisions and warnings always come.
OPTIONAL_KINDS: dict[str, str] = {
    "missed_signout": "漏签退提醒（值班结束后仍未签退）",
    "second_late": "第二次迟到时提醒（再迟到 1 次即达上限）",
    "shift_start": "值班开始前提醒",
    "weekly_summary": "周总结提醒（每周最后一个教学日）",
    "new_task": "新的交办任务",
    "task_due": "交办任务明天到期提醒",
}
KIND_LABELS: dict[str, str] = {
    "missed_signout": "漏签退提醒",
    "missed_signout_last": "漏签退最后提醒",
    "shift_start": "值班开始提醒",
    "second_late": "迟到提醒",
    "digest": "每日汇总",
    "weekly_summary": "周总结提醒",
    "leave_decision": "请假审批结果",
    "duty_list": "明日值班名单",
    "new_task": "新的交办任务",
    "task_due": "任务到期提醒",
    "test": "测试消息",
    "swap": "换班申请",
}


def _own_inbox(user_id: int) -> Any:
    return (Notification.user_id == user_id) & (Notification.channel == "inbox")


def unread_count(session: Session, user_id: int) -> int:
    """How many inbox messages of the user are unread: one COUNT query."""
    query = select(func.count(Notification.id)).where(
        _own_inbox(user_id), Notification.read_at.is_(None)
    )
    return session.scalar(query) or 0


def inbox_items(session: Session, user_id: int, limit: int = INBOX_SHOWN) -> list[Notification]:
    """The user's newest inbox messages, unread and read alike."""
    query = (
        select(Notification)
        .where(_own_inbox(user_id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_read(
    session: Session, actor: User, item_id: int | None, *, at: datetime, ip: str = ""
) -> int:
    """Mark one of the actor's messages (or all of them when ``item_id`` is None) read."""
    where = _own_inbox(actor.id) & Notification.read_at.is_(None)
    if item_id is not None:
        item = session.get(Notification, item_id)
        if item is None or item.user_id != actor.id or item.channel != "inbox":
            raise Refused("没有这条提醒。")
        where = where & (Notification.id == item_id)
    result = session.execute(
        update(Notification)
        .where(where)
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def parse_email(raw: Any) -> str:
    """An e-mail address (or "" to remove it); refused with a Chinese message otherwise."""
    text = clean_text(raw, EMAIL_MAX + 1)
    if len(text) > EMAIL_MAX:
        raise Refused(f"邮箱不能超过 {EMAIL_MAX} 个字符。")
    if text and not EMAIL_PATTERN.fullmatch(text):
        raise Refused("邮箱格式不正确，例如 zhangsan@example.edu.cn。")
    return text


def save_preferences(
    session: Session, actor: User, email: Any, receive: Any, *, at: datetime, ip: str = ""
) -> User:
    """Save the actor's e-mail; optional reminders not in ``receive`` are switched off."""
    address = parse_email(email)
    chosen = receive if isinstance(receive, list | tuple) else []
    kinds = [kind for kind in OPTIONAL_KINDS if kind not in chosen]
    user = session.get(User, actor.id)
    before = {"email": user.email, "notify_opt_out": list(user.notify_opt_out or [])}
    user.email = address
    user.notify_opt_out = kinds
    after = {"email": address, "notify_opt_out": kinds}
    if after != before:
        audit(session, actor, "notify.preferences", "user", user.id, before, after, at=at, ip=ip)
    return user

"""Reminders: the outbox of messages (inbox, e-mail, robots) and the configured channels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base
from data.timeutil import utcnow

MESSAGE_CHANNELS = ("inbox", "email", "wecom", "dingtalk")
CHANNEL_KINDS = ("wecom", "dingtalk", "email")
CHANNEL_PURPOSES = ("team", "counselor")
STATUSES = ("pending", "sent", "failed")
KINDS = (
    "missed_signout",
    "missed_signout_last",
    "shift_start",
    "second_late",
    "digest",
    "weekly_summary",
    "leave_decision",
    "duty_list",
    "test",
)
CHANNEL_LABELS = {"inbox": "站内", "email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉"}
STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败"}
PURPOSE_LABELS = {"team": "团队群", "counselor": "兼辅"}


class NotifyChannel(Base):
    """A robot webhook or an SMTP account of a team; ``config`` holds its secrets."""

    __tablename__ = "notify_channel"
    __table_args__ = (UniqueConstraint("team_id", "kind", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # wecom | dingtalk | email
    purpose: Mapped[str] = mapped_column(String(16))  # team | counselor
    config: Mapped[dict] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One message on one channel; ``dedupe_key`` makes it exist (and be sent) once."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    # The recipient; None for a channel message not addressed to one person.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # inbox | email | wecom | dingtalk
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    read_at: Mapped[datetime | None]
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_channel.id", ondelete="SET NULL")
    )
    address: Mapped[str] = mapped_column(String(200), default="")

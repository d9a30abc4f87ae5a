"""A team's reminder channels (SPEC §4b): robots and SMTP, with their secrets kept server-side.

Webhook URLs (they carry the robot's key), 钉钉 加签 secrets and SMTP passwords are secrets:
a form leaves them empty to keep the stored value, and audit entries hold ``mask(config)`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.inputs import clean_text, parse_choice, parse_int
from data.models import NotifyChannel, User
from data.notify.channels import mask
from data.services import Refused, audit
from data.services.inbox import parse_email

KIND_LABELS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人", "email": "邮件（SMTP）"}
PURPOSE_LABELS = {"counselor": "兼辅（个人提醒与每日汇总）", "team": "团队群（值班名单等团队通知）"}
SECURITY_LABELS = {"starttls": "STARTTLS（587）", "tls": "SSL/TLS（465）", "none": "不加密（25）"}
FIELDS: dict[str, tuple[str, ...]] = {
    "wecom": ("url",),
    "dingtalk": ("url", "secret"),
    "email": ("host", "port", "security", "username", "password", "sender"),
}
SECRETS = frozenset({"url", "secret", "password"})
FIELD_LABELS = {
    "url": "Webhook 地址",
    "secret": "加签密钥",
    "host": "SMTP 服务器",
    "port": "端口",
    "security": "加密方式",
    "username": "用户名",
    "password": "密码/授权码",
    "sender": "发件人邮箱",
}
TEXT_MAX = 500


def team_channels(session: Session, team_id: int) -> list[NotifyChannel]:
    """The team's channels, by kind and purpose."""
    query = select(NotifyChannel).where(NotifyChannel.team_id == team_id)
    return sorted(session.scalars(query), key=lambda c: (c.kind, c.purpose))


def _audit(
    session: Session,
    actor: User,
    action: str,
    channel: NotifyChannel,
    before: dict | None,
    after: dict | None,
    *,
    at: datetime,
    ip: str,
) -> None:
    """One audit entry about ``channel``; snapshots hold masked secrets only."""
    audit(session, actor, action, "notify_channel", channel.id, before, after, at=at, ip=ip)


def _snapshot(channel: NotifyChannel) -> dict[str, Any]:
    """What the audit log keeps: never a secret."""
    return {
        "kind": channel.kind,
        "purpose": channel.purpose,
        "enabled": channel.enabled,
        "config": mask(dict(channel.config or {})),
    }


def _url(raw: str) -> str:
    if not raw.startswith(("https://", "http://")) or len(raw) < 12:
        raise Refused("Webhook 地址须以 https:// 开头（机器人设置里复制的完整地址）。")
    return raw


def _config(kind: str, values: Mapping[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The new config of a ``kind`` channel; an empty secret keeps the stored one."""
    config: dict[str, Any] = {}
    for field in FIELDS[kind]:
        raw = clean_text(values.get(field, ""), TEXT_MAX + 1)
        if len(raw) > TEXT_MAX:
            raise Refused(f"{FIELD_LABELS[field]}太长。")
        if field in SECRETS and not raw:
            raw = str(stored.get(field, ""))
        config[field] = raw
    if "url" in config:
        if not config["url"]:
            raise Refused("请填写 Webhook 地址。")
        config["url"] = _url(config["url"])
    if kind == "dingtalk" and config["secret"] and not config["secret"].startswith("SEC"):
        raise Refused("钉钉加签密钥以 SEC 开头，请从机器人安全设置中复制。")
    if kind == "email":
        if not config["host"]:
            raise Refused("请填写 SMTP 服务器。")
        port = parse_int(config["port"], 1, 65535)
        if port is None:
            raise Refused("端口须为 1–65535 的整数。")
        config["port"] = port
        security = parse_choice(config["security"], SECURITY_LABELS)
        if security is None:
            raise Refused("请选择加密方式。")
        config["security"] = security
        config["sender"] = parse_email(config["sender"])
        if not config["sender"]:
            raise Refused("请填写发件人邮箱。")
    return config


def save(
    session: Session,
    actor: User,
    channel: NotifyChannel | None,
    values: Mapping[str, Any],
    *,
    at: datetime,
    ip: str = "",
) -> NotifyChannel:
    """Add a channel (``channel`` None: kind and purpose from ``values``) or edit one."""
    before = None
    if channel is None:
        kind = parse_choice(values.get("kind"), FIELDS)
        purpose = parse_choice(values.get("purpose"), PURPOSE_LABELS)
        if kind is None or purpose is None:
            raise Refused("请选择渠道类型和用途。")
        taken = session.scalar(
            select(NotifyChannel.id).where(
                NotifyChannel.team_id == actor.team_id,
                NotifyChannel.kind == kind,
                NotifyChannel.purpose == purpose,
            )
        )
        if taken is not None:
            raise Refused(f"已有{KIND_LABELS[kind]}（{PURPOSE_LABELS[purpose]}），请直接修改。")
        channel = NotifyChannel(team_id=actor.team_id, kind=kind, purpose=purpose, config={})
        channel.config = _config(kind, values, {})
        channel.enabled = True
        session.add(channel)
    else:
        before = _snapshot(channel)
        channel.config = _config(channel.kind, values, dict(channel.config or {}))
    session.flush()
    action = "notify_channel.add" if before is None else "notify_channel.edit"
    _audit(session, actor, action, channel, before, _snapshot(channel), at=at, ip=ip)
    return channel


def set_enabled(
    session: Session,
    actor: User,
    channel: NotifyChannel,
    enabled: bool,
    *,
    at: datetime,
    ip: str = "",
) -> NotifyChannel:
    """Switch a channel on or off (nothing is sent through a disabled one)."""
    before = _snapshot(channel)
    channel.enabled = enabled
    session.flush()
    action = "notify_channel.enable" if enabled else "notify_channel.disable"
    _audit(session, actor, action, channel, before, _snapshot(channel), at=at, ip=ip)
    return channel


def record_test(
    session: Session,
    actor: User,
    channel: NotifyChannel,
    error: str | None,
    *,
    at: datetime,
    ip: str = "",
) -> None:
    """Audit one "发送测试消息" and its outcome."""
    after = {**_snapshot(channel), "result": "成功" if error is None else error}
    _audit(session, actor, "notify_channel.test", channel, None, after, at=at, ip=ip)

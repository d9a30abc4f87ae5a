"""The outbox: every message is a ``Notification`` row with a unique key, sent at most once.

``enqueue`` inserts a row unless its key exists (the unique constraint decides, so two
processes enqueueing the same message at the same minute make one row). ``deliver`` claims each
due row with a conditional UPDATE in its own short transaction (two runners never send the
same row), sends it outside any transaction, then records the result: failures are retried
after 1, 5, 15 and 60 minutes and marked failed after the fifth attempt. Robot channels get at
most 20 messages per rolling minute; the rest stays pending for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.db import write_transaction
from data.models import Notification, NotifyChannel, User
from data.models.notify import CHANNEL_LABELS
from data.notify import channels
from data.timeutil import to_local

ROBOTS = ("wecom", "dingtalk")
BACKOFF_MINUTES = (1, 5, 15, 60)
MAX_ATTEMPTS = 5
ROBOT_RATE = 20  # messages per robot channel per rolling minute
RATE_WINDOW = timedelta(minutes=1)
# A claimed row whose runner died is claimed again once this lease has run out.
LEASE = timedelta(minutes=10)
BATCH = 500


def _existing(db: Session, key: str) -> int | None:
    return db.scalar(select(Notification.id).where(Notification.dedupe_key == key))


def enqueue(
    db: Session,
    *,
    team_id: int,
    user_id: int | None,
    channel: str,
    kind: str,
    key: str,
    title: str,
    body: str,
    at: datetime,
    channel_id: int | None = None,
    address: str = "",
) -> Notification | None:
    """Add a message to the outbox; None when a message with ``key`` already exists.

    Inbox messages are delivered by being stored (status "sent" at once). The caller commits.
    """
    if len(key) > 200:
        raise ValueError(f"dedupe key longer than 200 characters: {key!r}")
    if _existing(db, key) is not None:
        return None
    inbox = channel == "inbox"
    row = Notification(
        team_id=team_id,
        user_id=user_id,
        channel=channel,
        kind=kind,
        dedupe_key=key,
        title=title[:200],
        body=body,
        created_at=at,
        status="sent" if inbox else "pending",
        sent_at=at if inbox else None,
        next_attempt_at=None if inbox else at,
        channel_id=channel_id,
        address=address[:200],
    )
    try:
        # The savepoint keeps the caller's transaction usable when another process won the race.
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        return None
    return row


@dataclass
class Job:
    """What one claimed row needs to be sent, read inside the claim's transaction."""

    id: int
    channel: str
    kind: str
    title: str
    body: str
    attempts: int
    config: dict[str, Any] = field(default_factory=dict)
    to: str = ""
    mobiles: list[str] = field(default_factory=list)
    problem: str = ""  # why no retry can deliver it (no channel, channel off, no address)


def _due(at: datetime) -> Any:
    return (
        Notification.status.in_(("pending", "sending")),
        Notification.next_attempt_at <= at,
        Notification.channel != "inbox",
    )


def _recent(db: Session, channel_id: int, at: datetime) -> int:
    """Messages sent (or being sent) through a robot channel in the minute before ``at``."""
    return db.scalar(
        select(func.count(Notification.id)).where(
            Notification.channel_id == channel_id,
            or_(
                (Notification.status == "sent") & (Notification.sent_at > at - RATE_WINDOW),
                Notification.status == "sending",
            ),
        )
    )


def _channel_for(db: Session, row: Notification) -> NotifyChannel | None:
    if row.channel_id is not None:
        # Locking the channel row serializes the rate count of parallel runners (PostgreSQL).
        return db.get(NotifyChannel, row.channel_id, with_for_update=row.channel in ROBOTS)
    if row.channel == "email":
        return db.scalar(
            select(NotifyChannel)
            .where(
                NotifyChannel.team_id == row.team_id,
                NotifyChannel.kind == "email",
                NotifyChannel.enabled.is_(True),
            )
            .order_by(NotifyChannel.purpose.desc())  # "team" before "counselor"
            .limit(1)
        )
    return None


def _job(db: Session, row: Notification, channel: NotifyChannel | None) -> Job:
    job = Job(row.id, row.channel, row.kind, row.title, row.body or "", row.attempts)
    label = CHANNEL_LABELS.get(row.channel, row.channel)
    user = db.get(User, row.user_id) if row.user_id is not None else None
    if channel is None or channel.kind != row.channel:
        job.problem = f"没有可用的{label}通道（未配置或已删除）。"
    elif not channel.enabled:
        job.problem = f"{label}通道已停用。"
    else:
        job.config = dict(channel.config or {})
    if row.channel == "email":
        job.to = row.address or (user.email if user is not None else "")
        if not job.to and not job.problem:
            job.problem = "收件人没有邮箱地址。"
    elif user is not None and user.phone:
        job.mobiles = [user.phone]
    return job


def _claim(db: Session, row_id: int, at: datetime, full: dict[int, int]) -> Job | None:
    """Take one due row for this runner (status "sending"), or None when it is not ours to send."""
    with write_transaction(db):
        row = db.get(Notification, row_id)
        if row is None or row.status not in ("pending", "sending"):
            return None
        channel = _channel_for(db, row)
        robot = row.channel in ROBOTS and channel is not None
        if robot and (channel.id in full or _recent(db, channel.id, at) >= ROBOT_RATE):
            full[channel.id] = full.get(channel.id, 0) + 1
            return None
        claimed = db.execute(
            update(Notification)
            .where(Notification.id == row_id, *_due(at))
            .values(status="sending", next_attempt_at=at + LEASE)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None
        return _job(db, row, channel)


def _send(job: Job, sender: Any) -> str | None:
    """Send a claimed job; None on success, else the Chinese error."""
    if job.problem:
        return job.problem
    try:
        if job.channel == "email":
            sender.send_email(job.config, job.to, job.title, job.body)
        elif job.channel == "wecom":
            sender.send_wecom(job.config, job.title, job.body, job.mobiles)
        elif job.channel == "dingtalk":
            sender.send_dingtalk(job.config, job.title, job.body, job.mobiles)
        else:
            return f"未知的提醒通道：{job.channel}。"
    except channels.ChannelError as exc:
        return str(exc)
    except Exception as exc:  # a sender bug must not stop the other messages
        return f"发送出错（{type(exc).__name__}）。"
    return None


def _finish(db: Session, job: Job, at: datetime, error: str | None) -> str:
    """Record the outcome of one attempt and say it in one line."""
    attempts = job.attempts + 1
    label = CHANNEL_LABELS.get(job.channel, job.channel)
    head = f"#{job.id} {label} {job.kind}" + (f" {job.to}" if job.to else "")
    values: dict[str, Any] = {"attempts": attempts}
    if error is None:
        values.update(status="sent", sent_at=at, next_attempt_at=None, last_error="")
        line = f"已发送 {head}：{job.title}"
    elif job.problem or attempts >= MAX_ATTEMPTS:
        values.update(status="failed", next_attempt_at=None, last_error=error[:500])
        line = f"发送失败，不再重试 {head}（第 {attempts} 次）：{error}"
    else:
        retry = at + timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
        values.update(status="pending", next_attempt_at=retry, last_error=error[:500])
        line = f"发送失败 {head}（第 {attempts} 次，{to_local(retry):%H:%M} 重试）：{error}"
    if job.to:
        values["address"] = job.to[:200]
    with write_transaction(db):
        db.execute(
            update(Notification)
            .where(Notification.id == job.id, Notification.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return line


def deliver(db: Session, at: datetime, *, sender: Any = channels) -> list[str]:
    """Send every due pending message once; one line per attempt (and per rate-limited robot).

    Commits whatever the session holds first (enqueued rows included): each claim and each
    result is its own short transaction, and no transaction stays open while a message is sent.
    """
    db.commit()
    ids = db.scalars(
        select(Notification.id)
        .where(*_due(at))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(BATCH)
    ).all()
    db.rollback()
    full: dict[int, int] = {}
    lines = []
    for row_id in ids:
        job = _claim(db, row_id, at, full)
        if job is not None:
            lines.append(_finish(db, job, at, _send(job, sender)))
    for channel_id, waiting in sorted(full.items()):
        lines.append(
            f"限流 通道 #{channel_id}：一分钟内已发 {ROBOT_RATE} 条，{waiting} 条留待下一次发送"
        )
    return lines

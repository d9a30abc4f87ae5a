"""Time zone helpers: store UTC, show Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """Convert an aware (or naive-UTC) datetime to local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a local wall-clock time on a local date."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(UTC)


def parse_local(text: str) -> datetime:
    """Parse 'YYYY-MM-DD HH:MM[:SS]' local time into an aware UTC datetime."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            naive = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    raise ValueError(f"时间格式应为 YYYY-MM-DD HH:MM[:SS]：{text!r}")

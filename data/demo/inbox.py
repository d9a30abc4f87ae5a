"""Phase 5: a few 站内提醒 for the demo assistant and the counselor, so the bell is not empty.

No channel is configured: the demo sends nothing out of the product.
"""

from __future__ import annotations

from datetime import timedelta

from data.demo.common import BuilderBase, local_at
from data.models import Notification, User
from data.services.inbox import KIND_LABELS

# (days before today, hour, read?, kind, title, body)
ASSISTANT_ITEMS = (
    (
        6,
        10,
        True,
        "leave_decision",
        "请假申请已批准",
        "你的请假申请（考试）已由兼辅老师批准，该次值班记为请假。",
    ),
    (
        1,
        10,
        False,
        "missed_signout",
        "请记得签退",
        "昨天的值班已结束 15 分钟，你还没有签退。请尽快到值班地点扫码签退，否则本次值班工时记为 0。",
    ),
    (
        0,
        8,
        False,
        "weekly_summary",
        "本周周总结还没写",
        "本周是教学周，请在“我的值班”页写本周周总结（至少 10 个字）。",
    ),
)
COUNSELOR_ITEMS = (
    (
        1,
        8,
        True,
        "digest",
        "每日汇总",
        "前一天的迟到、缺勤、漏签退、先斩后奏和待审批请假见统计面板“预警”页。",
    ),
    (
        0,
        8,
        False,
        "digest",
        "每日汇总",
        "昨天有迟到和漏签退记录，另有请假申请等待审批；详情见统计面板“预警”与“考勤”页。",
    ),
)


class InboxPhase(BuilderBase):
    """Inbox rows already "sent" (inbox rows need no delivery), some of them read."""

    def inbox_items(self) -> None:
        people: tuple[tuple[User, tuple], ...] = (
            (self.typical.user, ASSISTANT_ITEMS),
            (self.counselor, COUNSELOR_ITEMS),
        )
        for user, items in people:
            for number, (days, hour, read, kind, title, body) in enumerate(items):
                day = self.today - timedelta(days=days)
                at = local_at(day, hour, 5 * number)
                about = day - timedelta(days=1)  # a digest reports the day before
                # A digest keeps the key `flask notify run` would give it, so a later run
                # does not send the same day's digest again.
                key = (
                    f"digest:{self.team.id}:{about.isoformat()}:inbox:{user.id}"
                    if kind == "digest"
                    else f"demo:{user.username}:{number}"
                )
                self.add(
                    Notification(
                        team_id=self.team.id,
                        user_id=user.id,
                        channel="inbox",
                        kind=kind,
                        dedupe_key=key,
                        title=title
                        if kind != "digest"
                        else f"助管{KIND_LABELS[kind]}（{about.month}月{about.day}日）",
                        body=body,
                        created_at=at,
                        status="sent",
                        sent_at=at,
                        read_at=at + timedelta(hours=1) if read else None,
                    )
                )

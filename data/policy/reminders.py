"""Reminder triggers (SPEC §4b): plain values in, the messages due now out.

Pure: ``data.notify.run`` reads the facts through the read model and enqueues what comes out.
Every message carries a key that names what it is about (person, duty, day), so a trigger
that fires again for the same thing yields the same key and the outbox keeps one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from data.policy.settings import PolicySettings
from data.timeutil import LOCAL_TZ, to_local

PERSON, COUNSELOR, TEAM = "person", "counselor", "team"
# The "last" missed sign-out reminder comes this long before the 漏签退 window closes.
LAST_CALL_MINUTES = 15
# The weekly summary reminder, on the last teaching day of the week (college time).
WEEKLY_REMINDER_AT = time(16, 0)
# A decision older than this is not announced (a server that was off for a week).
LEAVE_DECISION_DAYS = 3
# 交办任务: a new task is announced within this many days of being given; the "due tomorrow"
# reminder comes on the day before the deadline (college time) from TASK_DUE_AT.
NEW_TASK_DAYS = 3
TASK_DUE_AT = time(9, 0)


@dataclass(frozen=True)
class Message:
    """One message due: to a person, the counselor's channel, or the team group."""

    user_id: int | None
    kind: str
    key: str
    title: str
    body: str
    channel_scope: str = PERSON


@dataclass(frozen=True)
class DutyFact:
    """One expected duty of one person as the read model sees it now."""

    user_id: int
    day: date
    shift_id: int | None
    start: datetime
    end: datetime
    place: str = ""
    signed_in: bool = False
    signed_out: bool = False
    on_leave: bool = False  # approved leave that excuses the duty

    @property
    def ident(self) -> str:
        return f"{self.user_id}:{self.day.isoformat()}:{self.shift_id or 0}"


@dataclass(frozen=True)
class LeaveDecision:
    """A decided leave request of one person."""

    request_id: int
    user_id: int
    duty_date: date
    status: str  # approved | rejected
    decided_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class DigestFacts:
    """Yesterday's events and today's open matters of one team, as names or counts."""

    day: date  # the day the digest is about (yesterday)
    lates: tuple[str, ...] = ()
    absences: tuple[str, ...] = ()
    missed_sign_outs: tuple[str, ...] = ()
    after_start_leaves: tuple[str, ...] = ()
    leave_waiting: int = 0
    trials_due: tuple[str, ...] = ()
    resignations_due: tuple[str, ...] = ()
    meetings_short: str = ""  # e.g. "本学期例会 1/2 次", empty when not short near term end
    lines: tuple[str, ...] = field(default=())  # anything else worth a line

    def items(self) -> list[str]:
        """The digest's lines; empty when nothing needs the counselor's attention."""
        parts = [
            ("迟到", self.lates),
            ("缺勤", self.absences),
            ("漏签退", self.missed_sign_outs),
            ("先斩后奏", self.after_start_leaves),
            ("试用期满待考核", self.trials_due),
            ("辞职即将离岗", self.resignations_due),
        ]
        items = [
            f"{label} {len(names)} 人次：{'、'.join(names)}" for label, names in parts if names
        ]
        if self.leave_waiting:
            items.append(f"待审批请假 {self.leave_waiting} 条")
        if self.meetings_short:
            items.append(self.meetings_short)
        return items + list(self.lines)


@dataclass(frozen=True)
class TaskFact:
    """One assignee's live task (not cancelled) as the reminders see it."""

    assignment_id: int
    user_id: int
    title: str
    deadline: datetime
    created_at: datetime
    open: bool  # not done yet (open or sent back)


def clock(text: str) -> time:
    """An "HH:MM" setting as a time of day (settings hold only valid ones)."""
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _hm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def _at(day: date, when: time) -> datetime:
    return datetime.combine(day, when, tzinfo=LOCAL_TZ)


def missed_signout(
    duties: Iterable[DutyFact], now: datetime, settings: PolicySettings
) -> list[Message]:
    """Signed in, not signed out, shift over: remind while signing out still counts.

    The first at end + ``notify_missed_signout_after``, the last one ``LAST_CALL_MINUTES``
    before the 漏签退 window (``missed_sign_out_minutes``) closes; none once it has closed.
    """
    if not settings.notify_missed_signout:
        return []
    window = timedelta(minutes=settings.missed_sign_out_minutes)
    first = timedelta(minutes=settings.notify_missed_signout_after)
    last = window - timedelta(minutes=LAST_CALL_MINUTES)
    messages = []
    for d in duties:
        if not d.signed_in or d.signed_out or d.on_leave or now >= d.end + window:
            continue
        closes = _hm(d.end + window)
        if last > first and now >= d.end + last:
            messages.append(
                Message(
                    d.user_id,
                    "missed_signout_last",
                    f"missed_signout_last:{d.ident}",
                    "最后提醒：请尽快签退",
                    f"{d.day} {_hm(d.start)}–{_hm(d.end)} {d.place} 的值班还没有签退，"
                    f"{closes} 后将记为漏签退（不计工时）。",
                )
            )
        elif now >= d.end + first:
            messages.append(
                Message(
                    d.user_id,
                    "missed_signout",
                    f"missed_signout:{d.ident}",
                    "请记得签退",
                    f"{d.day} {_hm(d.start)}–{_hm(d.end)} {d.place} 的值班已结束，还没有签退。"
                    f"请在 {closes} 前签退，否则记为漏签退。",
                )
            )
    return messages


def shift_start(
    duties: Iterable[DutyFact], now: datetime, settings: PolicySettings
) -> list[Message]:
    """Optional: the duty starts within ``notify_shift_start_before`` minutes and no sign-in yet."""
    if not settings.notify_shift_start:
        return []
    before = timedelta(minutes=settings.notify_shift_start_before)
    return [
        Message(
            d.user_id,
            "shift_start",
            f"shift_start:{d.ident}",
            "值班即将开始",
            f"{_hm(d.start)}–{_hm(d.end)} {d.place} 的值班即将开始，请按时签到。",
        )
        for d in duties
        if d.start - before <= now < d.start and not d.signed_in and not d.on_leave
    ]


def second_late(
    late_counts: Mapping[int, int], semester_id: int, settings: PolicySettings
) -> list[Message]:
    """One late short of 不合格 (``late_critical`` − 1): tell the assistant, once a semester."""
    if not settings.notify_second_late or settings.late_critical < 2:
        return []
    at = settings.late_critical - 1
    return [
        Message(
            user_id,
            "second_late",
            f"second_late:{user_id}:{semester_id}",
            "迟到提醒",
            f"本学期已迟到 {count} 次，再迟到 1 次将评为不合格。",
        )
        for user_id, count in sorted(late_counts.items())
        if count == at
    ]


def digest(
    team_id: int, facts: DigestFacts, now: datetime, settings: PolicySettings
) -> list[Message]:
    """The counselor's daily digest at ``notify_digest_at`` about yesterday; none when empty."""
    today = facts.day + timedelta(days=1)
    if not settings.notify_digest or to_local(now).date() != today:
        return []
    if now < _at(today, clock(settings.notify_digest_at)):
        return []
    items = facts.items()
    if not items:
        return []
    body = "\n".join(f"- {line}" for line in items)
    return [
        Message(
            None,
            "digest",
            f"digest:{team_id}:{facts.day.isoformat()}",
            f"助管每日汇总（{facts.day.month}月{facts.day.day}日）",
            body,
            COUNSELOR,
        )
    ]


def last_teaching_day(day: date, teaching_days: Iterable[date]) -> date | None:
    """The last teaching day of ``day``'s week (Monday–Sunday), if it has any."""
    monday = day - timedelta(days=day.weekday())
    week = [d for d in teaching_days if monday <= d <= monday + timedelta(days=6)]
    return max(week) if week else None


def weekly_summary(
    without_summary: Iterable[int],
    teaching_days: Iterable[date],
    now: datetime,
    settings: PolicySettings,
) -> list[Message]:
    """On the week's last teaching day, from ``WEEKLY_REMINDER_AT``: who has no 周总结 yet."""
    today = to_local(now).date()
    if not settings.notify_weekly_summary or last_teaching_day(today, teaching_days) != today:
        return []
    if now < _at(today, WEEKLY_REMINDER_AT):
        return []
    monday = today - timedelta(days=today.weekday())
    return [
        Message(
            user_id,
            "weekly_summary",
            f"weekly_summary:{user_id}:{monday.isoformat()}",
            "请提交本周周总结",
            f"今天是本周最后一个工作日，本周（{monday} 起）的周总结还没有提交。",
        )
        for user_id in sorted(set(without_summary))
    ]


def leave_decisions(
    decisions: Iterable[LeaveDecision], now: datetime, settings: PolicySettings
) -> list[Message]:
    """A decided leave request → its requester, once per request and decision."""
    if not settings.notify_leave_decision:
        return []
    recent = timedelta(days=LEAVE_DECISION_DAYS)
    labels = {"approved": "已批准", "rejected": "未批准"}
    return [
        Message(
            d.user_id,
            "leave_decision",
            f"leave_decision:{d.request_id}:{d.status}",
            f"请假{labels[d.status]}",
            f"{d.duty_date} 的请假{labels[d.status]}。" + (f"说明：{d.reason}" if d.reason else ""),
        )
        for d in decisions
        if d.status in labels and now - recent <= d.decided_at <= now
    ]


def duty_list(
    team_id: int,
    duties: Iterable[DutyFact],
    names: Mapping[int, str],
    day: date,
    now: datetime,
    settings: PolicySettings,
) -> list[Message]:
    """Tomorrow's duty list to the team group at ``notify_duty_list_at`` (the day before)."""
    eve = day - timedelta(days=1)
    if not settings.notify_duty_list or to_local(now).date() != eve:
        return []
    if now < _at(eve, clock(settings.notify_duty_list_at)):
        return []
    rows = [
        f"- {_hm(d.start)}–{_hm(d.end)} {d.place} {names.get(d.user_id, '')}".rstrip()
        for d in sorted(duties, key=lambda d: (d.start, d.place, d.user_id))
        if d.day == day and not d.on_leave
    ]
    if not rows:
        return []
    return [
        Message(
            None,
            "duty_list",
            f"duty_list:{team_id}:{day.isoformat()}",
            f"明日值班（{day.month}月{day.day}日）",
            "\n".join(rows),
            TEAM,
        )
    ]


def _deadline_text(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def new_tasks(tasks: Iterable[TaskFact], now: datetime, settings: PolicySettings) -> list[Message]:
    """A task just given → each assignee, once (a server off for days does not announce old ones)."""
    if not settings.notify_new_task:
        return []
    recent = timedelta(days=NEW_TASK_DAYS)
    return [
        Message(
            t.user_id,
            "new_task",
            f"new_task:{t.assignment_id}",
            "新的交办任务",
            f"{t.title}（截止 {_deadline_text(t.deadline)}）。请在“我的值班”查看，完成后标记完成。",
        )
        for t in tasks
        if t.open and now - recent <= t.created_at <= now and t.deadline > now
    ]


def tasks_due_tomorrow(
    tasks: Iterable[TaskFact], now: datetime, settings: PolicySettings
) -> list[Message]:
    """An open task due tomorrow (college time) → its assignee, once, from ``TASK_DUE_AT``.

    A task given today already said its deadline in the new-task message, so it gets none.
    """
    today = to_local(now).date()
    if not settings.notify_task_due or now < _at(today, TASK_DUE_AT):
        return []
    tomorrow = today + timedelta(days=1)
    return [
        Message(
            t.user_id,
            "task_due",
            f"task_due:{t.assignment_id}",
            "交办任务明天到期",
            f"{t.title} 将于 {_deadline_text(t.deadline)} 截止，还没有标记完成。",
        )
        for t in tasks
        if t.open
        and to_local(t.deadline).date() == tomorrow
        and to_local(t.created_at).date() < today
    ]

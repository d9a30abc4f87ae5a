"""``flask notify run``: compute what is due for every team, record it once, send it.

One pass: read each team's facts (``data.notify.reading``), run the pure triggers
(``data.policy.reminders``), route each message to its rows (inbox, e-mail, robots) and enqueue
them under unique keys in one write transaction, then deliver what is pending. Running it twice
at the same minute, or in two processes at once, records and sends each message once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import write_transaction
from data.models import Notification, NotifyChannel, Role, Team, User
from data.notify import channels, outbox
from data.notify.reading import TeamFacts, team_facts
from data.policy import reminders
from data.policy.reminders import COUNSELOR, TEAM, Message

ROBOTS = ("wecom", "dingtalk")


@dataclass(frozen=True)
class Person:
    """A recipient: e-mail address and the kinds they switched off."""

    user_id: int
    name: str
    email: str = ""
    opt_out: frozenset[str] = frozenset()


@dataclass
class Targets:
    """Where one team's messages can go."""

    people: dict[int, Person] = field(default_factory=dict)
    counselors: list[int] = field(default_factory=list)
    email_channel: int | None = None
    counselor_channels: list[tuple[int, str]] = field(default_factory=list)  # (id, kind)
    team_channels: list[tuple[int, str]] = field(default_factory=list)


def due_messages(facts: TeamFacts, now: datetime) -> list[Message]:
    """Every trigger over one team's facts."""
    s = facts.settings
    messages = [
        *reminders.missed_signout(facts.duties, now, s),
        *reminders.shift_start(facts.duties, now, s),
        *reminders.leave_decisions(facts.decisions, now, s),
        *reminders.weekly_summary(facts.without_summary, facts.teaching_days, now, s),
        *reminders.new_tasks(facts.tasks, now, s),
        *reminders.tasks_due_tomorrow(facts.tasks, now, s),
    ]
    if facts.semester_id is not None:
        messages += reminders.second_late(facts.late_counts, facts.semester_id, s)
    if facts.digest is not None:
        messages += reminders.digest(facts.team_id, facts.digest, now, s)
    tomorrow = facts.tomorrow[0].day if facts.tomorrow else None
    if tomorrow is not None:
        messages += reminders.duty_list(
            facts.team_id, facts.tomorrow, facts.names, tomorrow, now, s
        )
    return messages


def targets(session: Session, team_id: int) -> Targets:
    """The team's people (e-mail, opt-outs), counselors and enabled channels."""
    found = Targets()
    for user in session.scalars(select(User).where(User.team_id == team_id, User.active)):
        opt_out = frozenset(getattr(user, "notify_opt_out", None) or ())
        found.people[user.id] = Person(user.id, user.name, getattr(user, "email", ""), opt_out)
        if user.role is Role.counselor:
            found.counselors.append(user.id)
    query = select(NotifyChannel).where(
        NotifyChannel.team_id == team_id, NotifyChannel.enabled.is_(True)
    )
    for channel in sorted(session.scalars(query), key=lambda c: (c.purpose != "team", c.id)):
        if channel.kind == "email":
            found.email_channel = found.email_channel or channel.id
            if channel.purpose == "counselor":
                found.counselor_channels.append((channel.id, channel.kind))
        elif channel.purpose == "team":
            found.team_channels.append((channel.id, channel.kind))
        else:
            found.counselor_channels.append((channel.id, channel.kind))
    return found


def _opted_out(person: Person, kind: str) -> bool:
    # The last missed sign-out reminder is switched off with the first.
    return kind in person.opt_out or kind.removesuffix("_last") in person.opt_out


def _to_person(msg: Message, person: Person, t: Targets) -> list[dict[str, Any]]:
    rows = [dict(user_id=person.user_id, channel="inbox", key=f"{msg.key}:inbox:{person.user_id}")]
    if person.email and t.email_channel and not _opted_out(person, msg.kind):
        rows.append(
            dict(
                user_id=person.user_id,
                channel="email",
                key=f"{msg.key}:email:{person.user_id}",
                channel_id=t.email_channel,
                address=person.email,
            )
        )
    return rows


def route(msg: Message, t: Targets) -> list[dict[str, Any]]:
    """The outbox rows (enqueue arguments less the message itself) of one message."""
    if msg.channel_scope == TEAM:
        return [
            dict(user_id=None, channel=kind, key=f"{msg.key}:{kind}:{cid}", channel_id=cid)
            for cid, kind in t.team_channels
            if kind in ROBOTS
        ]
    if msg.channel_scope != COUNSELOR:
        person = t.people.get(msg.user_id) if msg.user_id is not None else None
        return _to_person(msg, person, t) if person else []
    rows = [
        dict(user_id=uid, channel="inbox", key=f"{msg.key}:inbox:{uid}") for uid in t.counselors
    ]
    for cid, kind in t.counselor_channels:
        if kind in ROBOTS:
            rows.append(
                dict(user_id=None, channel=kind, key=f"{msg.key}:{kind}:{cid}", channel_id=cid)
            )
            continue
        for uid in t.counselors:  # the counselor's SMTP channel, to each counselor's address
            if email := t.people[uid].email:
                key = f"{msg.key}:email:{uid}"
                rows.append(
                    dict(user_id=uid, channel="email", key=key, channel_id=cid, address=email)
                )
    return rows


def _line(row: dict[str, Any], msg: Message, t: Targets, prefix: str) -> str:
    who = t.people[row["user_id"]].name if row.get("user_id") in t.people else "群"
    to = row.get("address") or who
    return f"{prefix}{msg.kind} {row['channel']} → {to}：{msg.title}"


def planned(session: Session, at: datetime) -> list[tuple[int, Message, dict[str, Any], Targets]]:
    """Every (team, message, row) due at ``at`` whose key is not recorded yet."""
    plan = []
    for team_id in session.scalars(select(Team.id).order_by(Team.id)):
        t = targets(session, team_id)
        for msg in due_messages(team_facts(session, team_id, at), at):
            plan.extend((team_id, msg, row, t) for row in route(msg, t))
    keys = [row["key"] for _, _, row, _ in plan]
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))
        known.update(session.scalars(query))
    return [p for p in plan if p[2]["key"] not in known]


def run(
    session: Session, at: datetime, dry_run: bool = False, *, sender: Any = channels
) -> list[str]:
    """Record what is due at ``at`` and deliver pending messages; one line per message.

    ``sender`` replaces the channel module for delivery (tests); a dry run writes nothing.
    """
    plan = planned(session, at)
    if dry_run:
        return [_line(row, msg, t, "（预演）") for _, msg, row, t in plan]
    lines = []
    with write_transaction(session):
        for team_id, msg, row, t in plan:
            recorded = outbox.enqueue(
                session,
                team_id=team_id,
                kind=msg.kind,
                title=msg.title,
                body=msg.body,
                at=at,
                **row,
            )
            if recorded is not None:
                lines.append(_line(row, msg, t, ""))
    lines += outbox.deliver(session, at, sender=sender)
    return lines

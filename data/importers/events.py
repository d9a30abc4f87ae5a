"""Import historical sign-in/out events (SPEC §6) and attach them to their duties."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.attendance import semester_duties, team_settings
from data.importers.common import (
    EVENT_COLUMNS,
    Errors,
    ImportReport,
    known_user,
    read_rows,
    users_by_username,
)
from data.models import CheckAction, CheckEvent, CheckMethod, Place, Semester, Team, User
from data.policy.classify import match_events
from data.policy.types import Event
from data.tabular import MAX_UPLOAD_ROWS, Row
from data.timeutil import parse_local, to_local

ACTIONS = {"签到": CheckAction.sign_in, "签退": CheckAction.sign_out}
MOMENT_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$"
)


@dataclass
class EventRow:
    """A validated event row, and the duty it belongs to once attached."""

    row: int
    user: User
    action: CheckAction
    at: datetime
    duty_date: date | None = None
    shift_id: int | None = None
    place_id: int | None = None


def import_events(
    session: Session,
    path: str | Path,
    *,
    team: Team | None = None,
    skip_bad: bool = False,
    max_rows: int | None = MAX_UPLOAD_ROWS,
) -> ImportReport:
    """Add historical sign-ins/sign-outs (e.g. from paper sheets) as ``CheckMethod.import_``.

    With ``team`` every 学号 must belong to that team. Events are attached to the scheduled
    duty they belong to (``attach_duties``); the rest stay unattached (extra duty). An event
    already stored (same person, action and time) or repeated in the file is skipped and
    counted in ``duplicates``; so is a second sign-in (or sign-out) for a duty that already
    has one, which changes nothing at the door either.
    """
    rows = read_rows(path, EVENT_COLUMNS, max_rows=max_rows)
    errors = Errors()
    usernames = sorted({row["学号"] for row in rows if row["学号"]})
    users = {u.username: u for u in users_by_username(session, usernames)}
    if team is not None:
        users = {name: u for name, u in users.items() if u.team_id == team.id}
    unknown = "学号不在本团队名单中" if team is not None else "找不到该学号的账号"
    parsed = [_parse_event(row, users, errors, unknown) for row in rows]

    report = errors.report(skip_bad)
    if errors and not skip_bad:
        return report
    events = [e for e in parsed if e is not None and e.row not in errors.rows]
    events = _drop_known(session, events, report)
    attach_duties(session, events)
    events = _drop_repeated_duties(session, events, report)
    session.add_all(
        CheckEvent(
            user_id=event.user.id,
            action=event.action,
            at=event.at,
            method=CheckMethod.import_,
            duty_date=event.duty_date,
            shift_id=event.shift_id,
            place_id=event.place_id,
        )
        for event in events
    )
    report.created = report.rows_written = len(events)
    report.attached = sum(1 for e in events if e.duty_date is not None)
    session.flush()
    report.written = True
    return report


def parse_moment(text: str) -> datetime | None:
    """'YYYY-MM-DD HH:MM[:SS]' local time (also with '/' and one-digit parts) → aware UTC."""
    match = MOMENT_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return parse_local(f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}")
    except ValueError:
        return None


def _parse_event(row: Row, users: dict[str, User], errors: Errors, unknown: str) -> EventRow | None:
    user = known_user(row, users, errors, unknown)
    at = parse_moment(row["时间"])
    if at is None:
        shown = row["时间"] or "（空）"
        errors.add(row.number, "时间", f"时间应为 YYYY-MM-DD HH:MM[:SS] 格式：{shown}")
    action = ACTIONS.get(row["动作"])
    if action is None:
        errors.add(row.number, "动作", f"动作应为“签到”或“签退”：{row['动作'] or '（空）'}")
    if user is None or at is None or action is None:
        return None
    return EventRow(row.number, user, action, at)


def _drop_known(session: Session, events: list[EventRow], report: ImportReport) -> list[EventRow]:
    """Leave out events already stored or repeated in the file (same person, action, time)."""
    if not events:
        return []
    query = select(CheckEvent.user_id, CheckEvent.action, CheckEvent.at).where(
        CheckEvent.user_id.in_(sorted({e.user.id for e in events})),
        CheckEvent.at >= min(e.at for e in events),
        CheckEvent.at <= max(e.at for e in events),
    )
    seen = {tuple(row) for row in session.execute(query)}
    fresh = []
    for event in sorted(events, key=lambda e: (e.at, e.row)):
        key = (event.user.id, event.action, event.at)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        fresh.append(event)
    return fresh


def attach_duties(session: Session, events: list[EventRow]) -> None:
    """Fill ``duty_date``/``shift_id``/``place_id`` of events that belong to a scheduled duty.

    Each event is looked up in the semester of the person's team that contains its local date
    and matched by the policy engine (``match_events``); events outside every semester or
    matching no duty stay unattached, which the engine counts as extra duty (加班).
    """
    by_semester: dict[int, tuple[Semester, list[EventRow]]] = {}
    semesters: dict[int | None, list[Semester]] = {}
    for event in events:
        team_id = event.user.team_id
        if team_id not in semesters:
            query = select(Semester).where(Semester.team_id == team_id)
            semesters[team_id] = list(session.scalars(query)) if team_id is not None else []
        day = to_local(event.at).date()
        semester = next((s for s in semesters[team_id] if s.start <= day <= s.end), None)
        if semester is not None:
            by_semester.setdefault(semester.id, (semester, []))[1].append(event)
    for semester, semester_events in by_semester.values():
        _attach_in_semester(session, semester, semester_events)


def _attach_in_semester(session: Session, semester: Semester, events: list[EventRow]) -> None:
    duties = semester_duties(session, semester)
    if not duties:
        return
    settings = team_settings(session, semester.team_id)
    rows: dict[tuple[int, datetime, str], EventRow] = {}
    by_user: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        plain = Event(at=event.at, action=event.action.value)
        rows[(event.user.id, plain.at, plain.action)] = event
        by_user[event.user.id].append(plain)
    places = dict(
        session.execute(select(Place.name, Place.id).where(Place.team_id == semester.team_id)).all()
    )
    duty_places = {duty.key: places.get(duty.place) for duty in duties}
    matched, _leftovers = match_events(duties, by_user, settings)
    for (user_id, day, shift_id), plain_events in matched.items():
        for plain in plain_events:
            event = rows[(user_id, plain.at, plain.action)]
            event.duty_date, event.shift_id = day, shift_id
            event.place_id = duty_places.get((user_id, day, shift_id))


def _drop_repeated_duties(
    session: Session, events: list[EventRow], report: ImportReport
) -> list[EventRow]:
    """A second sign-in (or sign-out) for one duty changes nothing, as at the door."""
    attached = [e for e in events if e.duty_date is not None]
    if not attached:
        return events
    days = [e.duty_date for e in attached]
    query = select(
        CheckEvent.user_id, CheckEvent.duty_date, CheckEvent.shift_id, CheckEvent.action
    ).where(
        CheckEvent.user_id.in_(sorted({e.user.id for e in attached})),
        CheckEvent.duty_date >= min(days),
        CheckEvent.duty_date <= max(days),
    )
    taken = {tuple(row) for row in session.execute(query)}
    kept = []
    for event in events:
        if event.duty_date is not None:
            key = (event.user.id, event.duty_date, event.shift_id, event.action)
            if key in taken:
                report.duplicates += 1
                label = "签到" if event.action is CheckAction.sign_in else "签退"
                report.notes.append(f"第 {event.row} 行：该次值班已有{label}记录，未重复导入")
                continue
            taken.add(key)
        kept.append(event)
    return kept

"""What the demo's phases share: dates and times, the semester plans, the builder's state."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from data.demo.vocabulary import (
    EVENTS,
    GRADES_TEXT,
    NOTICES,
    QUESTIONS,
    SCHOLARSHIPS,
    TASKS,
    TOPICS,
)
from data.models import Meeting, Place, Presence, Semester, Stage, Team, User
from data.policy.settings import PolicySettings
from data.policy.types import Duty, Event, LeaveInfo, ShiftSpec
from data.timeutil import LOCAL_TZ


def semester_bounds(today: date) -> tuple[tuple[str, date, date], tuple[str, date, date]]:
    """(name, start, end) of the current semester (containing ``today``) and of the previous one.

    Autumn term (Sep–Jan; August counts as the coming autumn term): first Monday of September to
    mid-January. Spring term (Feb–Jul): last Monday of February to early July. When ``today``
    falls before the regular start, the term starts on the Monday of today's week; after the
    regular end (late January/July), the term runs to the month's end.
    """
    month = today.month
    if month >= 8 or month == 1:
        year = today.year if month >= 8 else today.year - 1
        start, end = _first_monday(year, 9), date(year + 1, 1, 16)
        if today > end:
            end = date(year + 1, 1, 31)
        current_name = f"{year}-{year + 1}学年第一学期"
        previous = (
            f"{year - 1}-{year}学年第二学期",
            _last_monday_of_february(year),
            date(year, 7, 10),
        )
    else:
        year = today.year
        start, end = _last_monday_of_february(year), date(year, 7, 10)
        if today > end:
            end = date(year, 7, 31)
        current_name = f"{year - 1}-{year}学年第二学期"
        previous = (f"{year - 1}-{year}学年第一学期", _first_monday(year - 1, 9), date(year, 1, 16))
    if today < start:
        start = today - timedelta(days=today.weekday())
    return (current_name, start, end), previous


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday_of_february(year: int) -> date:
    last = date(year, 3, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def local_at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=LOCAL_TZ).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Person:
    user: User
    quality: float  # 0..1, drives records, summaries and evaluations
    device: str
    ip_prefix: str
    post: str


@dataclass(frozen=True)
class Plan:
    """How many of each pattern a semester gets; lates are per person (one entry each)."""

    late_counts: tuple[int, ...]
    absent: int
    missed: int
    early: int
    leave: int
    phone: int
    after_start: int
    swaps: int
    extras: int


CURRENT_PLAN = Plan(
    late_counts=(1, 3, 2, 4, 2, 1, 1, 1),
    absent=3,
    missed=3,
    early=2,
    leave=6,
    phone=2,
    after_start=1,
    swaps=3,
    extras=4,
)
PREVIOUS_PLAN = Plan(
    late_counts=(3, 2, 1, 1, 1, 1),
    absent=2,
    missed=2,
    early=2,
    leave=7,
    phone=1,
    after_start=0,
    swaps=2,
    extras=3,
)


@dataclass
class SemesterData:
    """What one semester's generation produced, kept in memory for the assessment."""

    semester: Semester
    members: list[Person]
    shifts: list[ShiftSpec]
    duties: list[Duty]  # expected duties up to the last generated day
    events: dict[tuple, list[Event]] = field(default_factory=lambda: defaultdict(list))
    extra_events: dict[int, list[Event]] = field(default_factory=lambda: defaultdict(list))
    leaves: dict[tuple, list[LeaveInfo]] = field(default_factory=lambda: defaultdict(list))
    records: Counter = field(default_factory=Counter)  # user id → work records
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    late_counts: Counter = field(default_factory=Counter)
    meetings: list[tuple[Meeting, dict[int, Presence]]] = field(default_factory=list)


class BuilderBase:
    """The state every phase shares: the session, the one random stream, today, counts.

    Every phase draws from ``self.rng`` in a fixed order (``Builder.build``): reordering calls,
    even across modules, changes the generated data for a given seed.
    """

    # Set by the phases as they run, read by the later ones.
    team: Team
    counselor: User
    leadership: User
    assistants: list[Person]
    leader: Person
    typical: Person
    veterans: list[Person]
    new: list[Person]
    resigned: list[Person]
    not_rehired: list[Person]
    main_place: Place
    aid_place: Place
    previous: Semester
    current: Semester
    trial_stage: dict[int, Stage]
    joined: dict[tuple[int, int], date]  # (semester id, user id) → first day on duty
    scheduled_extra: tuple[int, date] | None
    previous_grades: dict[str, int]

    def __init__(
        self, session: Session, seed: int, today: date, now: datetime | None = None
    ) -> None:
        self.session = session
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        self.now = now
        self.settings = PolicySettings()
        self.counts: Counter = Counter()
        (cur_name, cur_start, cur_end), (prev_name, prev_start, prev_end) = semester_bounds(today)
        self.cur_bounds = (cur_name, cur_start, cur_end)
        self.prev_bounds = (prev_name, prev_start, prev_end)
        # Created a month before the previous semester: the team's "founding".
        self.epoch = local_at(prev_start - timedelta(days=30), 9)

    # -- bookkeeping -------------------------------------------------------------------------

    def add(self, *objects: object) -> None:
        for obj in objects:
            self.counts[type(obj).__tablename__] += 1  # type: ignore[attr-defined]
        self.session.add_all(objects)

    def fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            grade=rng.choice(GRADES_TEXT),
            n=rng.randint(3, 40),
            m=rng.randint(2, 12),
            scholarship=rng.choice(SCHOLARSHIPS),
            notice=rng.choice(NOTICES),
            topic=rng.choice(TOPICS),
            question=rng.choice(QUESTIONS),
            event=rng.choice(EVENTS),
        )

    def task_text(self, parts: int | None = None) -> str:
        parts = parts or self.rng.choice((1, 1, 2))
        return "；".join(self.fill(t) for t in self.rng.sample(TASKS, parts)) + "。"

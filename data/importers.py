"""Import the roster, the weekly duty schedule and historical check events (SPEC §6).

Every import validates the whole file first. Bad rows are reported as ``RowError`` (row number
as seen in Excel, column, reason). With bad rows and ``skip_bad=False`` nothing is written and
the report has ``written=False``; with ``skip_bad=True`` all good rows are written and the bad
ones are listed as skipped. File-level problems raise ``ImportFileError``.

The functions only add to / change objects in the given session; the caller commits (or rolls
back) the one transaction.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.attendance import semester_duties, team_settings
from data.audit import record, snapshot
from data.models import (
    ROLE_LABELS,
    STAGE_LABELS,
    Appointment,
    AppointmentEvent,
    CheckAction,
    CheckEvent,
    CheckMethod,
    Place,
    Role,
    Semester,
    Shift,
    Stage,
    Team,
    User,
)
from data.policy.classify import match_events
from data.policy.types import Event
from data.services import Refused
from data.services.schedule import check_from, default_from, replace_schedule
from data.tabular import Row, TableError, read_table
from data.timeutil import local_today, parse_local, to_local, utcnow

ROSTER_COLUMNS = (
    "学号",
    "姓名",
    "性别",
    "学历层次",
    "年级",
    "专业",
    "手机",
    "QQ",
    "政治面貌",
    "家庭经济困难",
    "角色",
    "岗位",
)
ROSTER_OPTIONAL = ("邮箱",)
SCHEDULE_COLUMNS = ("学号", "星期", "开始", "结束", "岗位")
EVENT_COLUMNS = ("学号", "时间", "动作")

# Roster column → User attribute, for the free-text profile fields.
PROFILE_FIELDS = {
    "姓名": "name",
    "性别": "gender",
    "学历层次": "degree_level",
    "年级": "grade",
    "专业": "major",
    "手机": "phone",
    "QQ": "qq",
    "政治面貌": "political_status",
    "岗位": "post",
}
# 邮箱 is part of the roster format (SPEC §6) but is stored only once User has a column for it.
if "email" in User.__table__.c:
    PROFILE_FIELDS["邮箱"] = "email"
PROFILE_LABELS = {attribute: column for column, attribute in PROFILE_FIELDS.items()}
# Rows with these roles are put in post by ``import_roster(..., semester=...)``.
IN_POST_ROLES = (Role.assistant, Role.leader)
IN_POST_STAGES = (Stage.trial, Stage.appointed)
# Applicants not yet in post are appointed; anyone who left or was turned down is left alone.
APPOINTABLE_STAGES = (Stage.applied, Stage.reviewed)
APPOINTMENT_FIELDS = ("stage", "trial_start", "appointed_on", "ended_on")
IMPORT_REASON = "名单导入：在岗人员上岗（不经试用）"
ROLE_BY_LABEL = {label: role for role, label in ROLE_LABELS.items()}
HARDSHIP = {"是": True, "否": False}
GENDERS = ("男", "女")
ACTIONS = {"签到": CheckAction.sign_in, "签退": CheckAction.sign_out}
WEEKDAY_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7}

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
QQ_RE = re.compile(r"^[1-9][0-9]{4,11}$")
CLOCK_RE = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
MOMENT_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$"
)

PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 10


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, bad header, empty…)."""


@dataclass(frozen=True)
class ProfileChange:
    """The roster fields that changed for one existing person: (column, old, new)."""

    username: str
    name: str
    fields: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        shown = "；".join(f"{column} {old or '（空）'} → {new}" for column, old, new in self.fields)
        return f"{self.username} {self.name}：{shown}"


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行［{self.column}］：{self.reason}"


@dataclass
class ImportReport:
    """What an import did: counts of users (roster), shifts (schedule) or events (events)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # schedule: shifts no longer in the file, ended from the date
    from_day: date | None = None  # schedule: the date the imported schedule applies from
    attached: int = 0  # events: attached to a scheduled duty
    duplicates: int = 0  # events already recorded, skipped without error
    skipped: int = 0  # bad rows left out because of skip_bad
    rows_written: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    passwords: list[tuple[str, str, str]] = field(default_factory=list)  # 学号, 姓名, 初始密码
    notes: list[str] = field(default_factory=list)
    # Roster: profile changes of existing people, and who was put in post ("学号 姓名").
    changes: list[ProfileChange] = field(default_factory=list)
    appointed: list[str] = field(default_factory=list)
    in_post: list[str] = field(default_factory=list)  # already in post, left alone
    not_appointed: list[str] = field(default_factory=list)  # left or turned down, left alone

    @property
    def rejected(self) -> bool:
        """Bad rows were found and nothing was written."""
        return bool(self.errors) and not self.written


class _Errors:
    """Collects row errors; a row with any error is bad."""

    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.rows: set[int] = set()

    def add(self, row: int, column: str, reason: str) -> None:
        self.items.append(RowError(row, column, reason))
        self.rows.add(row)

    def __bool__(self) -> bool:
        return bool(self.items)

    def report(self, skip_bad: bool) -> ImportReport:
        report = ImportReport(errors=sorted(self.items))
        if skip_bad:
            report.skipped = len(self.rows)
        return report


def _read(path: str | Path, columns: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    try:
        return read_table(path, columns, optional)
    except TableError as exc:
        raise ImportFileError(str(exc)) from exc


def _max_length(attribute: str) -> int:
    return User.__table__.c[attribute].type.length


# --- Roster ------------------------------------------------------------------------------


@dataclass
class _Person:
    row: int
    username: str
    profile: dict[str, str]  # User attribute → non-empty text
    hardship: bool | None
    role: Role | None


def import_roster(
    session: Session,
    path: str | Path,
    *,
    team: Team,
    skip_bad: bool = False,
    semester: Semester | None = None,
    appointed_on: date | None = None,
    actor_id: int | None = None,
) -> ImportReport:
    """Create or update the users of ``team`` from a roster file.

    New users get a random initial password (returned in ``report.passwords``) and must change
    it at first login. Existing users get their profile updated (listed in ``report.changes``);
    a blank cell keeps the stored value, passwords are never touched and 角色 is taken only at
    a person's first import. A blank 角色 means 助管 for a new user.

    With ``semester`` every 助管/团长 row is also put in post for it (SPEC §7): appointed from
    ``appointed_on`` (default ``default_appointment_day``), no trial, one audit entry each;
    people already in post, or who left or were turned down this semester, are left alone.
    """
    if semester is not None:
        appointed_on = appointed_on or default_appointment_day(semester, local_today())
        _check_appointment(semester, team, appointed_on)
    rows = _read(path, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    errors = _Errors()
    people = [_parse_person(row, errors) for row in rows]
    _flag_duplicates(
        ((p.row, p.username) for p in people if p.username),
        errors,
        "学号",
        lambda username: f"学号 {username} 在文件中重复",
    )
    usernames = [p.username for p in people if p.username]
    existing = {u.username: u for u in _users_by_username(session, usernames)}
    for person in people:
        user = existing.get(person.username)
        if user is not None and (team.id is None or user.team_id != team.id):
            errors.add(person.row, "学号", f"学号 {person.username} 已属于其他团队的账号")

    report = errors.report(skip_bad)
    if errors and not skip_bad:
        return report
    to_post: list[User] = []
    for person in people:
        if person.row in errors.rows:
            continue
        user = existing.get(person.username)
        if user is None:
            password = new_password()
            user = _new_user(team, person, password)
            session.add(user)
            report.created += 1
            report.passwords.append((user.username, user.name, password))
        else:
            changes = _update_user(user, person)
            if changes:
                report.updated += 1
                report.changes.append(ProfileChange(user.username, user.name, changes))
            else:
                report.unchanged += 1
            if person.role is not None and person.role is not user.role:
                report.notes.append(
                    f"第 {person.row} 行：{user.username} 的角色仍为“{ROLE_LABELS[user.role]}”"
                    f"（名单中的角色只在首次导入时采用）"
                )
        if (person.role or Role.assistant) in IN_POST_ROLES and user.role in IN_POST_ROLES:
            to_post.append(user)
        report.rows_written += 1
    session.flush()
    if semester is not None and appointed_on is not None:
        _put_in_post(session, semester, appointed_on, to_post, report, actor_id)
    report.written = True
    return report


def default_appointment_day(semester: Semester, today: date) -> date:
    """Today while the semester runs, its start date otherwise (SPEC §7)."""
    return today if semester.start <= today <= semester.end else semester.start


def _check_appointment(semester: Semester, team: Team, day: date) -> None:
    if team.id is None or semester.team_id != team.id:
        raise ImportFileError(f"学期“{semester.name}”不属于团队“{team.name}”")
    if semester.finalized_at is not None:
        raise ImportFileError(f"学期“{semester.name}”的考核已定稿，不能再安排上岗")
    if not semester.start <= day <= semester.end:
        raise ImportFileError(
            f"上岗日期 {day} 不在学期“{semester.name}”（{semester.start} 至 {semester.end}）内"
        )


def _put_in_post(
    session: Session,
    semester: Semester,
    day: date,
    users: list[User],
    report: ImportReport,
    actor_id: int | None,
) -> None:
    """Appoint ``users`` for ``semester`` from ``day``: a history event and an audit entry each."""
    current = {
        a.user_id: a
        for a in session.scalars(
            select(Appointment).where(
                Appointment.semester_id == semester.id,
                Appointment.user_id.in_([u.id for u in users]),
            )
        )
    }
    changed: list[tuple[Appointment, dict | None]] = []
    for user in users:
        label = f"{user.username} {user.name}"
        appointment = current.get(user.id)
        if appointment is not None and appointment.stage in IN_POST_STAGES:
            report.in_post.append(label)
            continue
        if appointment is not None and appointment.stage not in APPOINTABLE_STAGES:
            report.not_appointed.append(f"{label}（{STAGE_LABELS[appointment.stage]}）")
            continue
        if not user.active:
            report.not_appointed.append(f"{label}（账号已停用）")
            continue
        before = None
        if appointment is None:
            appointment = Appointment(user_id=user.id, semester_id=semester.id, applied_on=day)
            session.add(appointment)
        else:
            before = snapshot(appointment, APPOINTMENT_FIELDS)
        appointment.history.append(
            AppointmentEvent(
                from_stage=appointment.stage if before else None,
                to_stage=Stage.appointed,
                on=day,
                by_id=actor_id,
                reason=IMPORT_REASON,
            )
        )
        appointment.stage = Stage.appointed
        appointment.appointed_on = day
        changed.append((appointment, before))
        report.appointed.append(label)
    session.flush()  # appointment ids for the audit entries
    for appointment, before in changed:
        record(
            session,
            actor_id=actor_id,
            team_id=semester.team_id,
            action="appointment.import",
            entity="appointment",
            entity_id=appointment.id,
            before=before,
            after=snapshot(appointment, APPOINTMENT_FIELDS) | {"reason": IMPORT_REASON},
        )


def new_password() -> str:
    """A random initial password without look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _parse_person(row: Row, errors: _Errors) -> _Person:
    username = row["学号"]
    if not username:
        errors.add(row.number, "学号", "学号不能为空")
    elif not USERNAME_RE.match(username):
        errors.add(
            row.number, "学号", f"学号只能由字母、数字、- 和 _ 组成（最多 32 位）：{username}"
        )
    profile = {}
    for column, attribute in PROFILE_FIELDS.items():
        value = row[column]
        limit = _max_length(attribute)
        if len(value) > limit:
            errors.add(row.number, column, f"{column}过长（最多 {limit} 个字符）")
        elif value:
            profile[attribute] = value
    if not row["姓名"]:
        errors.add(row.number, "姓名", "姓名不能为空")
    _check_pattern(row, errors, "性别", lambda v: v in GENDERS, "性别应为“男”或“女”")
    _check_pattern(row, errors, "手机", PHONE_RE.match, "手机号码格式不正确")
    _check_pattern(row, errors, "QQ", QQ_RE.match, "QQ 号应为 5–12 位数字")
    hardship = None
    if row["家庭经济困难"]:
        hardship = HARDSHIP.get(row["家庭经济困难"])
        if hardship is None:
            errors.add(row.number, "家庭经济困难", f"应为“是”或“否”：{row['家庭经济困难']}")
    role = None
    if row["角色"]:
        role = ROLE_BY_LABEL.get(row["角色"])
        if role is None:
            allowed = "/".join(ROLE_LABELS.values())
            errors.add(row.number, "角色", f"角色应为 {allowed} 之一：{row['角色']}")
    return _Person(row.number, username, profile, hardship, role)


def _check_pattern(row: Row, errors: _Errors, column: str, test, reason: str) -> None:
    value = row[column]
    if value and not test(value):
        errors.add(row.number, column, f"{reason}：{value}")


def _flag_duplicates(
    keys: Iterable[tuple[int, object]],
    errors: _Errors,
    column: str,
    reason: Callable[[object], str],
) -> None:
    """Mark every row whose key also appears on another row."""
    rows_by_key: dict[object, list[int]] = defaultdict(list)
    for row, key in keys:
        rows_by_key[key].append(row)
    for key, rows in rows_by_key.items():
        if len(rows) < 2:
            continue
        for row in rows:
            others = "、".join(str(r) for r in rows if r != row)
            errors.add(row, column, f"{reason(key)}（另见第 {others} 行）")


def _users_by_username(session: Session, usernames: Sequence[str]) -> list[User]:
    found: list[User] = []
    for start in range(0, len(usernames), 500):
        chunk = usernames[start : start + 500]
        found.extend(session.scalars(select(User).where(User.username.in_(chunk))))
    return found


def _new_user(team: Team, person: _Person, password: str) -> User:
    user = User(
        team=team,
        username=person.username,
        role=person.role or Role.assistant,
        hardship=bool(person.hardship),
        must_change_password=True,
        **{attribute: "" for attribute in PROFILE_FIELDS.values()},
    )
    for attribute, value in person.profile.items():
        setattr(user, attribute, value)
    user.set_password(password)
    return user


def _update_user(user: User, person: _Person) -> tuple[tuple[str, str, str], ...]:
    """Apply the row's non-blank fields; (column, old, new) for each that changed.

    角色 is left out on purpose: after the first import the team's election or an audited
    counselor decision changes it, never a roster file (SPEC §6).
    """
    wanted: dict[str, object] = dict(person.profile)
    if person.hardship is not None:
        wanted["hardship"] = person.hardship
    changes = []
    for attribute, value in wanted.items():
        old = getattr(user, attribute)
        if old != value:
            setattr(user, attribute, value)
            changes.append(
                (PROFILE_LABELS.get(attribute, "家庭经济困难"), _shown(old), _shown(value))
            )
    return tuple(changes)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value or "")


# --- Schedule ----------------------------------------------------------------------------

ShiftKey = tuple[int, time, time, str]  # weekday, start, end, place name


@dataclass
class _Slot:
    row: int
    user_id: int
    key: ShiftKey


def import_schedule(
    session: Session,
    path: str | Path,
    *,
    semester: Semester,
    skip_bad: bool = False,
    from_day: date | None = None,
    today: date | None = None,
) -> ImportReport:
    """The file's weekly schedule for ``semester`` from ``from_day`` on (SPEC §3, §7).

    A semester's first schedule applies from its start; a later one from ``from_day`` (default
    tomorrow), and the duties before that date keep the schedule in force then. A shift
    (weekday, start, end, place) still in the file keeps its id, so leave and overrides attached
    to it stay; people and shifts no longer in the file end the day before. Places are created
    by name when missing.
    """
    if semester.finalized_at is not None:
        raise ImportFileError(f"学期“{semester.name}”的考核已定稿，不能再修改值班表")
    today = today or local_today(utcnow())
    has_schedule = session.scalar(select(Shift.id).where(Shift.semester_id == semester.id).limit(1))
    if from_day is None:
        from_day = default_from(semester, today) if has_schedule else semester.start
    try:
        check_from(semester, from_day)
    except Refused as exc:
        raise ImportFileError(str(exc)) from None
    rows = _read(path, SCHEDULE_COLUMNS)
    errors = _Errors()
    members = {
        u.username: u for u in session.scalars(select(User).where(User.team_id == semester.team_id))
    }
    parsed = [_parse_slot(row, members, errors) for row in rows]
    slots = [slot for slot in parsed if slot is not None]
    _check_slot_conflicts(slots, errors)

    report = errors.report(skip_bad)
    if errors and not skip_bad:
        return report
    wanted: dict[ShiftKey, list[int]] = defaultdict(list)
    for slot in slots:
        if slot.row not in errors.rows:
            wanted[slot.key].append(slot.user_id)
            report.rows_written += 1
    counts = replace_schedule(session, semester, wanted, from_day, today)
    report.created, report.updated = counts.created, counts.updated
    report.unchanged, report.removed = counts.unchanged, counts.removed
    report.from_day = from_day
    session.flush()
    report.written = True
    return report


def parse_weekday(text: str) -> int | None:
    """1–7, 周一…周日, 星期一…星期日 (also 周天/星期天/礼拜一…) → 1 (Monday) … 7 (Sunday)."""
    if text in {"1", "2", "3", "4", "5", "6", "7"}:
        return int(text)
    for prefix in ("星期", "礼拜", "周"):
        if text.startswith(prefix):
            return WEEKDAY_NAMES.get(text[len(prefix) :])
    return None


def parse_clock(text: str) -> time | None:
    """'HH:MM' (also H:MM, HH:MM:SS and a full-width colon) → time, or None."""
    match = CLOCK_RE.match(text)
    if not match:
        return None
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _parse_slot(row: Row, members: dict[str, User], errors: _Errors) -> _Slot | None:
    user = _known_user(row, members, errors, "学号不在本团队名单中")
    weekday = parse_weekday(row["星期"])
    if weekday is None:
        errors.add(row.number, "星期", f"星期应为 1–7 或 周一…周日：{row['星期'] or '（空）'}")
    start = _clock(row, "开始", errors)
    end = _clock(row, "结束", errors)
    if start is not None and end is not None and start >= end:
        errors.add(row.number, "结束", f"结束时间 {row['结束']} 应晚于开始时间 {row['开始']}")
    place = row["岗位"]
    if not place:
        errors.add(row.number, "岗位", "岗位不能为空")
    elif len(place) > Place.__table__.c.name.type.length:
        errors.add(row.number, "岗位", "岗位名称过长")
    if row.number in errors.rows:
        return None
    return _Slot(row.number, user.id, (weekday, start, end, place))


def _known_user(row: Row, users: dict[str, User], errors: _Errors, unknown: str) -> User | None:
    username = row["学号"]
    if not username:
        errors.add(row.number, "学号", "学号不能为空")
        return None
    user = users.get(username)
    if user is None:
        errors.add(row.number, "学号", f"{unknown}：{username}")
    elif not user.active:
        errors.add(row.number, "学号", f"账号已停用：{username}")
    return user


def _clock(row: Row, column: str, errors: _Errors) -> time | None:
    value = parse_clock(row[column])
    if value is None:
        errors.add(row.number, column, f"时间应为 HH:MM 格式：{row[column] or '（空）'}")
    return value


def _check_slot_conflicts(slots: list[_Slot], errors: _Errors) -> None:
    """The same person twice in one shift, or in two shifts at overlapping times."""
    _flag_duplicates(
        ((s.row, (s.user_id, *s.key)) for s in slots),
        errors,
        "学号",
        lambda _key: "同一人同一班次重复安排",
    )
    by_person_day: dict[tuple[int, int], list[_Slot]] = defaultdict(list)
    for slot in slots:
        by_person_day[(slot.user_id, slot.key[0])].append(slot)
    for day_slots in by_person_day.values():
        for i, slot in enumerate(day_slots):
            for other in day_slots[:i]:
                if other.key == slot.key:
                    continue
                if slot.key[1] < other.key[2] and other.key[1] < slot.key[2]:
                    errors.add(slot.row, "开始", f"与第 {other.row} 行的班次时间重叠")


# --- Events ------------------------------------------------------------------------------


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
    session: Session, path: str | Path, *, team: Team | None = None, skip_bad: bool = False
) -> ImportReport:
    """Add historical sign-ins/sign-outs (e.g. from paper sheets) as ``CheckMethod.import_``.

    With ``team`` every 学号 must belong to that team. Events are attached to the scheduled
    duty they belong to (``attach_duties``); the rest stay unattached (extra duty). An event
    already stored (same person, action and time) or repeated in the file is skipped and
    counted in ``duplicates``; so is a second sign-in (or sign-out) for a duty that already
    has one, which changes nothing at the door either.
    """
    rows = _read(path, EVENT_COLUMNS)
    errors = _Errors()
    usernames = sorted({row["学号"] for row in rows if row["学号"]})
    users = {u.username: u for u in _users_by_username(session, usernames)}
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


def _parse_event(
    row: Row, users: dict[str, User], errors: _Errors, unknown: str
) -> EventRow | None:
    user = _known_user(row, users, errors, unknown)
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

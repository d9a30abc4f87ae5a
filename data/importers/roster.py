"""Import the roster (SPEC §6): create or update people, optionally put them in post."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record, snapshot
from data.importers.common import (
    EMAIL_RE,
    PHONE_RE,
    QQ_RE,
    ROSTER_COLUMNS,
    ROSTER_OPTIONAL,
    USERNAME_RE,
    Errors,
    ImportFileError,
    ImportReport,
    ProfileChange,
    flag_duplicates,
    read_rows,
    users_by_username,
)
from data.models import (
    ROLE_LABELS,
    STAGE_LABELS,
    Appointment,
    AppointmentEvent,
    Role,
    Semester,
    Stage,
    Team,
    User,
)
from data.tabular import MAX_UPLOAD_ROWS, Row
from data.timeutil import local_today

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

PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 10


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
    max_rows: int | None = MAX_UPLOAD_ROWS,
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
    rows = read_rows(path, ROSTER_COLUMNS, ROSTER_OPTIONAL, max_rows)
    errors = Errors()
    people = [_parse_person(row, errors) for row in rows]
    flag_duplicates(
        ((p.row, p.username) for p in people if p.username),
        errors,
        "学号",
        lambda username: f"学号 {username} 在文件中重复",
    )
    usernames = [p.username for p in people if p.username]
    existing = {u.username: u for u in users_by_username(session, usernames)}
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


def _parse_person(row: Row, errors: Errors) -> _Person:
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
    _check_pattern(row, errors, "邮箱", EMAIL_RE.match, "邮箱格式不正确")
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


def _check_pattern(row: Row, errors: Errors, column: str, test, reason: str) -> None:
    value = row[column]
    if value and not test(value):
        errors.add(row.number, column, f"{reason}：{value}")


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


def _max_length(attribute: str) -> int:
    return User.__table__.c[attribute].type.length

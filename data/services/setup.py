"""First run (issue 12): on an install without any user, the college's counselor names the team
and makes their own account in the browser; afterwards the door to it is shut for good.

The college is kept in ``Team.college``; the team's name is ``Team.name`` (the name the login page,
the directory and the exports show). A team made earlier on the command line (``create-semester``
on an empty database) is adopted and renamed when it is the only one, so its semesters stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data.audit import snapshot
from data.importers import USERNAME_RE
from data.inputs import as_text, clean_text, shorten
from data.models import Role, Team, User
from data.services import Refused, audit

TEAM_NAME_MAX = Team.__table__.c.name.type.length
COLLEGE_MAX = Team.__table__.c.college.type.length
NAME_MAX = User.__table__.c.name.type.length
PASSWORD_MIN, PASSWORD_MAX = 8, 128
# Any constant works: it only has to be the same for every first-run transaction.
SETUP_LOCK_KEY = 120_001


class AlreadySetUp(Refused):
    """The install has users: the first-run page no longer exists."""


def needs_setup(session: Session) -> bool:
    """True while the database holds no user at all."""
    return session.scalar(select(User.id).limit(1)) is None


def lone_team_name(session: Session) -> str | None:
    """The team's name when the install has exactly one team, else None."""
    names = session.scalars(select(Team.name).limit(2)).all()
    return names[0] if len(names) == 1 else None


def check_team_name(session: Session, name: str, team_id: int | None = None) -> str:
    """A team name on one line, not empty, not too long, not another team's."""
    name = clean_text(name, TEAM_NAME_MAX + 1)  # one more: too long is refused, not cut
    if not name:
        raise Refused("请填写团队名称")
    if len(name) > TEAM_NAME_MAX:
        raise Refused(f"团队名称不能超过 {TEAM_NAME_MAX} 个字")
    other = session.scalar(select(Team.id).where(Team.name == name, Team.id != (team_id or 0)))
    if other is not None:
        raise Refused(f"已有名为“{shorten(name)}”的团队，请换一个名称")
    return name


def _check_account(username: str, name: str, password: str, confirm: str) -> tuple[str, str]:
    username, name = as_text(username).strip(), clean_text(name, NAME_MAX + 1)
    if not USERNAME_RE.match(username):
        raise Refused("学号/工号只能由字母、数字、- 和 _ 组成（最多 32 位）")
    if not name or len(name) > NAME_MAX:
        raise Refused(f"请填写姓名（最多 {NAME_MAX} 字）")
    if not PASSWORD_MIN <= len(as_text(password)) <= PASSWORD_MAX:
        raise Refused(f"密码至少 {PASSWORD_MIN} 位（最多 {PASSWORD_MAX} 位）")
    if password != confirm:
        raise Refused("两次输入的密码不一致")
    return username, name


def _lock(session: Session) -> None:
    # SQLite's write transaction (BEGIN IMMEDIATE) already queues first-run writers; PostgreSQL
    # needs a lock of its own, since "no user yet" cannot be locked as a row.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})


def _adoptable(session: Session, name: str) -> Team | None:
    """The existing team to set up: the one with this name, else the only one, else None."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None and session.scalar(select(func.count(Team.id))) == 1:
        team = session.scalars(select(Team)).one()
    return team


def first_run(
    session: Session,
    college: str,
    team_name: str,
    username: str,
    name: str,
    password: str,
    confirm: str,
    *,
    at: datetime,
    ip: str = "",
) -> User:
    """Name the team and create its counselor; refused (AlreadySetUp) once any user exists.

    Call inside ``write_transaction``: the "no user yet" check and the writes are one
    transaction, so two first-run forms sent at once give one counselor.
    """
    _lock(session)
    if not needs_setup(session):
        raise AlreadySetUp("系统已完成首次设置")
    college = clean_text(college, COLLEGE_MAX + 1)
    if not college:
        raise Refused("请填写学院名称")
    if len(college) > COLLEGE_MAX:
        raise Refused(f"学院名称不能超过 {COLLEGE_MAX} 个字")
    username, name = _check_account(username, name, password, confirm)
    team = _adoptable(session, clean_text(team_name, TEAM_NAME_MAX + 1))
    team_name = check_team_name(session, team_name, team.id if team else None)
    before = snapshot(team, ("name", "college")) if team else None
    if team is None:
        team = Team(name=team_name)
        session.add(team)
    team.name, team.college = team_name, college
    session.flush()
    counselor = User(team_id=team.id, username=username, name=name, role=Role.counselor)
    counselor.set_password(password)
    counselor.must_change_password = False  # they chose it just now
    session.add(counselor)
    session.flush()
    after = snapshot(team, ("name", "college"))
    action = "team.adopt" if before is not None else "team.create"
    audit(session, counselor, action, "team", team.id, before, after, at=at, ip=ip)
    account = snapshot(counselor, ("username", "name", "role", "must_change_password"))
    audit(session, counselor, "user.create", "user", counselor.id, None, account, at=at, ip=ip)
    return counselor

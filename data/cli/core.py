"""Core commands: init-db, create-user, create-semester (backup and restore: data/cli/backup.py)."""

from __future__ import annotations

import secrets
from datetime import date

import click
from sqlalchemy import select

from data.cli.common import database, team_or_new
from data.migrate import upgrade
from data.models import ROLE_LABELS, Role, User
from data.services import Refused, semester_setup

ROLE_CHOICES = {label: role for role, label in ROLE_LABELS.items()} | {r.value: r for r in Role}


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (alembic migrations)."""
    upgrade(database().engine)
    click.echo("数据库已就绪（迁移到最新版本）。")


@click.command("create-user")
@click.argument("username")
@click.argument("name")
@click.option(
    "--role",
    default="assistant",
    help="assistant/leader/counselor/leadership 或 助管/团长/兼辅/领导",
)
@click.option("--team", "team_name", help="团队名称（默认唯一的团队；没有团队时新建）")
@click.option("--password", help="初始密码（不给则随机生成并打印一次）")
def create_user(
    username: str, name: str, role: str, team_name: str | None, password: str | None
) -> None:
    """Create one account; the user must change the password at first login."""
    if role not in ROLE_CHOICES:
        raise click.ClickException(f"未知角色：{role}（可用：助管、团长、兼辅、领导）")
    username = username.strip()
    if not username or len(username) > 32:
        raise click.ClickException("学号/工号不能为空且不超过 32 个字符")
    with database().writing() as session:
        if session.scalar(select(User.id).where(User.username == username)):
            raise click.ClickException(f"学号/工号已存在：{username}")
        team = team_or_new(session, team_name)
        user = User(team=team, username=username, name=name.strip(), role=ROLE_CHOICES[role])
        secret = password or secrets.token_urlsafe(9)
        user.set_password(secret)
        user.must_change_password = True
        session.add(user)
    # Shown once; only the hash is stored.
    shown = f"，初始密码：{secret}" if password is None else ""
    click.echo(f"已创建 {username} {name}{shown}（首次登录须修改密码）。")


@click.command("create-semester")
@click.argument("name")
@click.argument("start")
@click.argument("end")
@click.option(
    "--team", "team_name", help="团队名称（默认唯一的团队；还没有团队时新建，默认名“默认团队”）"
)
def create_semester(name: str, start: str, end: str, team_name: str | None) -> None:
    """Create a semester: NAME START END (dates YYYY-MM-DD); on an empty database also its team."""
    try:
        start_day, end_day = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise click.ClickException(f"日期格式应为 YYYY-MM-DD：{start} {end}") from None
    try:
        name = semester_setup.check_fields(name, start_day, end_day)  # before a team is made
        with database().writing() as session:
            team = team_or_new(session, team_name)  # SPEC §7: works on an empty database
            semester_setup.new_semester(session, team, name, start_day, end_day)
    except Refused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"已创建学期 {name}（{start_day} 至 {end_day}）。")


COMMANDS = [init_db, create_user, create_semester]

"""Demo commands: ``seed-demo`` (a realistic team and two semesters) and ``demo-logins``."""

from __future__ import annotations

from datetime import date

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data.cli.common import database
from data.demo import DEMO_LOGINS, TEAM_NAME
from data.demo import seed_demo as generate_demo
from data.models import Team, User
from data.timeutil import local_today, utcnow


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from exc


@click.command("seed-demo")
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="随机种子（同一种子数据相同）"
)
@click.option("--today", callback=_parse_day, help="演示数据的“今天”，YYYY-MM-DD（默认本地今天）")
@click.option("--force", is_flag=True, help="数据库中已有用户时仍然生成")
@click.option("--if-empty", is_flag=True, help="数据库中已有用户时什么也不做（不报错）")
def seed_demo(seed: int, today: date | None, force: bool, if_empty: bool) -> None:
    """Create the demo team 数学与物理学院助管团 with two semesters of activity."""
    day = today or local_today()
    # Seeding for the real today also fills in today's duties that are already over.
    moment = utcnow() if today is None else None
    with database().writing() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            if if_empty:
                click.echo("数据库中已有数据，跳过演示数据。")
                return
            if not force:
                raise click.ClickException(
                    "数据库中已有用户，未生成演示数据（确需生成请加 --force）"
                )
        logins = [login[1] for login in DEMO_LOGINS]
        clash = session.scalar(
            select(User.username).where(User.username.in_(logins)).limit(1)
        ) or session.scalar(select(Team.name).where(Team.name == TEAM_NAME))
        if clash is not None:
            raise click.ClickException(f"演示数据已存在（{clash}），请换一个空数据库")
        try:
            summary = generate_demo(session, seed=seed, today=day, now=moment)
        except IntegrityError as exc:  # a generated 学号 already taken by a real account
            raise click.ClickException("演示账号与现有账号重名，请换一个空数据库") from exc
    click.echo(f"演示数据已生成（种子 {seed}，今天 {day}）：")
    for line in summary.lines():
        click.echo(f"  {line}")
    click.echo("演示账号：")
    _echo_logins()


def _echo_logins() -> None:
    for role, username, password, note in DEMO_LOGINS:
        click.echo(f"  {role:<6} {username:<10} 密码 {password:<15} {note}")


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the documented demo accounts and passwords (only when the demo team exists)."""
    with database().session() as session:
        seeded = session.scalar(select(Team.id).where(Team.name == TEAM_NAME)) is not None
    if not seeded:
        # Not an error: the command answered the question; a real install has no demo.
        click.echo("数据库中没有演示团队，无演示账号（可用 seed-demo 生成）")
        return
    click.echo("演示账号（seed-demo 生成）：")
    _echo_logins()


COMMANDS = [seed_demo, demo_logins]

"""Helpers shared by CLI commands."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import Database
from data.models import Semester, Team


def database() -> Database:
    return current_app.extensions["zhuguantong.db"]


def resolve_team(session: Session, team_name: str | None) -> Team:
    """The named team, or the only team when there is exactly one."""
    if team_name:
        team = session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            raise click.ClickException(f"找不到团队：{team_name}")
        return team
    teams = session.scalars(select(Team).limit(2)).all()
    if not teams:
        raise click.ClickException("数据库中还没有团队，请先导入名单或运行 seed-demo")
    if len(teams) > 1:
        raise click.ClickException("有多个团队，请用 --team 指定")
    return teams[0]


DEFAULT_TEAM_NAME = "默认团队"


def parse_day(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, or a one-line refusal naming the option."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.ClickException(f"{option} 日期格式应为 YYYY-MM-DD：{value}") from None


def team_or_new(session: Session, team_name: str | None) -> Team:
    """``resolve_team``, except that on a database without teams a new one is added."""
    if session.scalar(select(Team.id).limit(1)) is not None:
        return resolve_team(session, team_name)
    name = (team_name or "").strip() or DEFAULT_TEAM_NAME
    limit = Team.__table__.c.name.type.length
    if len(name) > limit:
        raise click.ClickException(f"团队名称不超过 {limit} 个字符")
    team = Team(name=name)
    session.add(team)
    return team


def resolve_semester(session: Session, name: str, team: Team) -> Semester:
    semester = session.scalar(
        select(Semester).where(Semester.team_id == team.id, Semester.name == name)
    )
    if semester is None:
        raise click.ClickException(f"找不到学期：{name}")
    return semester

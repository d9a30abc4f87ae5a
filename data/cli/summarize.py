"""summarize SEMESTER: store a finalized semester's figures for 学期对比 (SPEC §8).

Finalize does this itself; the command fills in semesters finalized before summaries existed.
Running it again rewrites the same rows.
"""

from __future__ import annotations

import click

from data.cli.common import database, resolve_semester, resolve_team
from data.summaries import store_summaries
from data.timeutil import utcnow


@click.command("summarize")
@click.argument("semester")
@click.option("--team", "team_name", help="团队名称（默认唯一的团队）")
def summarize(semester: str, team_name: str | None) -> None:
    """Store the per-person, per-week figures of a finalized semester (idempotent)."""
    with database().writing() as session:
        team = resolve_team(session, team_name)
        chosen = resolve_semester(session, semester, team)
        if chosen.finalized_at is None:
            # A semester that can still change would go stale: only locked ones are summarised.
            raise click.ClickException(f"学期“{chosen.name}”尚未结束考核并锁定，不能汇总")
        members = store_summaries(session, chosen, utcnow())
        name = chosen.name
    click.echo(f"已汇总 {name} 学期：{members} 人")


COMMANDS = [summarize]

"""notify run: compute the reminders due now, record each once, send what is pending."""

from __future__ import annotations

import click

from data.cli.common import database
from data.notify.run import run
from data.services import leader_terms
from data.timeutil import parse_local, utcnow


@click.group("notify")
def notify() -> None:
    """Reminders (SPEC §4b): run every minute by zhuguantong-notify.timer or cron."""


@notify.command("run")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的提醒，不写入、不发送")
@click.option("--now", "now_text", help="按该时刻计算（YYYY-MM-DD HH:MM，北京时间；默认现在）")
def run_command(dry_run: bool, now_text: str | None) -> None:
    """Record the reminders due now and deliver pending ones; one line per message."""
    try:
        at = parse_local(now_text) if now_text is not None else utcnow()
    except ValueError:
        raise click.ClickException(f"--now 时间格式应为 YYYY-MM-DD HH:MM：{now_text}") from None
    with database().session() as session:
        # 团长 terms confirmed for a later day take effect on it (not in a dry run).
        lines = [] if dry_run else leader_terms.catch_up(session, None, at)
        lines += run(session, at, dry_run=dry_run)
    for line in lines:
        click.echo(line)


COMMANDS = [notify]

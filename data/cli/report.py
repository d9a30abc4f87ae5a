"""export-report SEMESTER PATH: the semester workbook of SPEC §6."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import click

from data.cli.common import database, resolve_semester, resolve_team
from data.export import report_frames, write_workbook
from data.report import build_report
from data.timeutil import local_to_utc, utcnow


@click.command("export-report")
@click.argument("semester")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="团队名称（默认唯一的团队）")
@click.option("--as-of", "as_of", help="统计截至的日期 YYYY-MM-DD（默认现在）")
def export_report(semester: str, path: Path, team_name: str | None, as_of: str | None) -> None:
    """Write the semester workbook (考勤汇总, 预警, 工作记录, 例会, 考核结果, 补贴)."""
    if path.suffix.lower() != ".xlsx":
        raise click.ClickException("报表文件名须以 .xlsx 结尾")
    if not path.parent.exists():
        raise click.ClickException(f"目录不存在：{path.parent}")
    moment = utcnow()
    if as_of:
        try:
            moment = local_to_utc(date.fromisoformat(as_of), time(23, 59, 59))
        except ValueError:
            raise click.ClickException("--as-of 日期格式应为 YYYY-MM-DD") from None
    with database().session() as session:
        team = resolve_team(session, team_name)
        chosen = resolve_semester(session, semester, team)
        report = build_report(session, chosen, moment)
        frames = report_frames(report)
    write_workbook(frames, path)
    click.echo(f"已导出 {chosen.name} 学期报表：{path}（{len(report.members)} 人）")


COMMANDS = [export_report]

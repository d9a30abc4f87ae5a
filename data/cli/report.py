"""export-report SEMESTER PATH: the semester workbook of SPEC §6."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import click

from data.cli.common import database, parse_day, resolve_semester, resolve_team
from data.export import report_frames
from data.report import build_report
from data.timeutil import local_to_utc, local_today, utcnow
from data.xlsx import write_workbook


@click.command("export-report")
@click.argument("semester")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="团队名称（默认唯一的团队）")
@click.option(
    "--as-of", "as_of", help="统计截至该日结束（YYYY-MM-DD，按现在的记录，含补签；默认现在）"
)
def export_report(semester: str, path: Path, team_name: str | None, as_of: str | None) -> None:
    """Write the semester workbook (考勤汇总, 预警, 工作记录, 例会, 考核结果, 补贴)."""
    if path.suffix.lower() != ".xlsx":
        raise click.ClickException("报表文件名须以 .xlsx 结尾")
    if not path.parent.exists():
        raise click.ClickException(f"目录不存在：{path.parent}")
    day = parse_day(as_of, "--as-of") if as_of is not None else None
    with database().session() as session:
        team = resolve_team(session, team_name)
        chosen = resolve_semester(session, semester, team)
        if day is not None and day < chosen.start:
            raise click.ClickException(
                f"--as-of {day} 早于学期“{chosen.name}”的开始日期 {chosen.start}"
            )
        moment = end_of_local_day(day) if day is not None else utcnow()
        report = build_report(session, chosen, moment)
        frames = report_frames(report)
    write_workbook(frames, path)
    if day is not None and day > local_today():
        # Reported as asked (SPEC §7), but duties not yet held count as not signed in.
        click.echo(f"注意：--as-of {day} 晚于今天，尚未到来的班次按现有记录统计", err=True)
    click.echo(f"已导出 {chosen.name} 学期报表：{path}（{len(report.members)} 人）")


def end_of_local_day(day: date) -> datetime:
    """The last instant of a local (Asia/Shanghai) day, in UTC: everything of that day counts."""
    return local_to_utc(day + timedelta(days=1), time(0)) - timedelta(microseconds=1)


COMMANDS = [export_report]

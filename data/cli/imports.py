"""Import commands (SPEC §6, §7): import-roster, import-schedule, import-events.

Bad rows are listed on stderr as "第 N 行［列］：原因"; unless ``--skip-bad`` is given nothing
is written and the command fails with a one-line message.
"""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import click

from data.cli.common import database, parse_day, resolve_semester, resolve_team, team_or_new
from data.importers import (
    ImportFileError,
    ImportReport,
    default_appointment_day,
    import_events,
    import_roster,
    import_schedule,
)
from data.timeutil import local_today

SKIP_BAD_HELP = "跳过有问题的行，只导入正确的行（默认：有任何问题都不导入）"


def _check(report: ImportReport) -> None:
    """List bad rows; fail when they stopped the import."""
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.rejected:
        raise click.ClickException(
            f"{len({e.row for e in report.errors})} 行数据有问题，未导入任何数据"
            "（修改后重新导入，或用 --skip-bad 只导入正确的行）"
        )
    for note in report.notes:
        click.echo(note, err=True)


def _skipped(report: ImportReport) -> str:
    return f"，跳过有问题的 {report.skipped} 行" if report.skipped else ""


def _run(importer, *args, **kwargs) -> ImportReport:
    # No row cap here: the cap protects a web worker shared by everyone, while the operator at
    # the server's shell may import a whole term of paper sign-in sheets (> 5,000 events).
    try:
        return importer(*args, max_rows=None, **kwargs)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import-roster")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="团队名称（默认唯一的团队；还没有团队时新建）")
@click.option(
    "--semester",
    "semester_name",
    help="同时让名单中的助管/团长在该学期上岗（已在岗的人不变）",
)
@click.option(
    "--from",
    "from_day",
    help="上岗日期 YYYY-MM-DD（默认：学期进行中为今天，否则为学期开始日）",
)
@click.option(
    "--passwords-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="把新账号的初始密码写入此 CSV 文件（不打印到屏幕）",
)
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_roster_command(
    path: Path,
    team_name: str | None,
    semester_name: str | None,
    from_day: str | None,
    passwords_file: Path | None,
    skip_bad: bool,
) -> None:
    """导入助管名单（.xlsx/.csv）：新建或更新账号，新账号首次登录须改密码。"""
    if from_day is not None and semester_name is None:
        raise click.ClickException("--from 须与 --semester 一起使用")
    day = parse_day(from_day, "--from") if from_day is not None else None
    if passwords_file is not None and passwords_file.exists():
        raise click.ClickException(
            f"密码文件已存在，为免覆盖已发的密码请换一个文件名：{passwords_file}"
        )
    with database().writing() as session:
        team = team_or_new(session, team_name)
        semester = resolve_semester(session, semester_name, team) if semester_name else None
        if semester is not None and day is None:
            day = default_appointment_day(semester, local_today())
        report = _run(
            import_roster,
            session,
            path,
            team=team,
            skip_bad=skip_bad,
            semester=semester,
            appointed_on=day,
        )
        _check(report)
        if passwords_file is not None and report.passwords:
            _write_passwords(passwords_file, report.passwords)
    _show_passwords(report, passwords_file)
    for change in report.changes:
        click.echo(f"更新 {change}")
    if semester is not None and day is not None:
        _show_posts(report, semester_name, day)
    click.echo(
        f"导入名单：新增 {report.created} 人，更新 {report.updated} 人，"
        f"未变 {report.unchanged} 人{_skipped(report)}"
    )


def _show_posts(report: ImportReport, semester_name: str, day: date) -> None:
    if report.appointed:
        names = "、".join(report.appointed)
        click.echo(f"{semester_name}：{len(report.appointed)} 人自 {day} 起上岗：{names}")
    if report.in_post:
        click.echo(f"已在岗，未改动：{'、'.join(report.in_post)}")
    if report.not_appointed:
        click.echo(f"本学期已离岗或未通过，未改动：{'、'.join(report.not_appointed)}")


def _write_passwords(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """A new CSV (UTF-8 with BOM, for Excel) readable by the owner only."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["学号", "姓名", "初始密码"])
            writer.writerows(rows)
    except OSError as exc:
        raise click.ClickException(f"无法写入密码文件 {path}：{exc.strerror}") from exc


def _show_passwords(report: ImportReport, passwords_file: Path | None) -> None:
    if not report.passwords:
        return
    if passwords_file is not None:
        click.echo(f"{len(report.passwords)} 个新账号的初始密码已写入 {passwords_file}")
        return
    click.echo("新账号初始密码（只显示这一次，首次登录须修改）：")
    click.echo("学号\t姓名\t初始密码")
    for username, name, password in report.passwords:
        click.echo(f"{username}\t{name}\t{password}")


@click.command("import-schedule")
@click.argument("semester_name", metavar="SEMESTER")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="团队名称（默认唯一的团队）")
@click.option(
    "--from",
    "from_text",
    metavar="YYYY-MM-DD",
    help="新值班表的生效日期（默认：学期首份值班表自学期开始，之后的自明天起）",
)
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_schedule_command(
    semester_name: str, path: Path, team_name: str | None, from_text: str | None, skip_bad: bool
) -> None:
    """导入学期值班表（.xlsx/.csv）：自生效日期起替换原有安排，之前的值班不变。"""
    try:
        from_day = date.fromisoformat(from_text) if from_text else None
    except ValueError:
        raise click.ClickException(f"--from 应为 YYYY-MM-DD 格式：{from_text}") from None
    with database().writing() as session:
        team = resolve_team(session, team_name)
        semester = resolve_semester(session, semester_name, team)
        report = _run(
            import_schedule,
            session,
            path,
            semester=semester,
            skip_bad=skip_bad,
            from_day=from_day,
        )
        _check(report)
    click.echo(
        f"导入值班表（{semester_name}，自 {report.from_day} 起生效）：{report.rows_written} 条安排；"
        f"班次新增 {report.created} 个，调整 {report.updated} 个，不变 {report.unchanged} 个，"
        f"结束 {report.removed} 个{_skipped(report)}"
    )


@click.command("import-events")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="只接受该团队的学号（默认不限）")
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_events_command(path: Path, team_name: str | None, skip_bad: bool) -> None:
    """导入历史签到/签退记录（.xlsx/.csv），例如纸质签到表。"""
    with database().writing() as session:
        team = resolve_team(session, team_name) if team_name else None
        report = _run(import_events, session, path, team=team, skip_bad=skip_bad)
        _check(report)
    # Re-importing the same file must visibly change nothing (SPEC §7).
    known = f"；已存在 {report.duplicates} 条，跳过" if report.duplicates else ""
    click.echo(
        f"导入签到记录：新增 {report.created} 条（对应到班次 {report.attached} 条）"
        f"{_skipped(report)}{known}"
    )


COMMANDS = [import_roster_command, import_schedule_command, import_events_command]

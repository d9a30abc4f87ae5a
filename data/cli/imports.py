"""Import commands (SPEC §6, §7): import-roster, import-schedule, import-events.

Bad rows are listed on stderr as "第 N 行［列］：原因"; unless ``--skip-bad`` is given nothing
is written and the command fails with a one-line message.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import click
from sqlalchemy import select

from data.cli.common import database, resolve_semester, resolve_team
from data.importers import (
    ImportFileError,
    ImportReport,
    import_events,
    import_roster,
    import_schedule,
)
from data.models import Team

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
    try:
        return importer(*args, **kwargs)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import-roster")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="团队名称（默认唯一的团队；还没有团队时新建）")
@click.option(
    "--passwords-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="把新账号的初始密码写入此 CSV 文件（不打印到屏幕）",
)
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_roster_command(
    path: Path, team_name: str | None, passwords_file: Path | None, skip_bad: bool
) -> None:
    """导入助管名单（.xlsx/.csv）：新建或更新账号，新账号首次登录须改密码。"""
    if passwords_file is not None and passwords_file.exists():
        raise click.ClickException(
            f"密码文件已存在，为免覆盖已发的密码请换一个文件名：{passwords_file}"
        )
    with database().session() as session:
        if session.scalar(select(Team.id).limit(1)) is None:
            team = Team(name=team_name or "默认团队")
            session.add(team)
        else:
            team = resolve_team(session, team_name)
        report = _run(import_roster, session, path, team=team, skip_bad=skip_bad)
        _check(report)
        if passwords_file is not None and report.passwords:
            _write_passwords(passwords_file, report.passwords)
    _show_passwords(report, passwords_file)
    click.echo(
        f"导入名单：新增 {report.created} 人，更新 {report.updated} 人，"
        f"未变 {report.unchanged} 人{_skipped(report)}"
    )


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
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_schedule_command(
    semester_name: str, path: Path, team_name: str | None, skip_bad: bool
) -> None:
    """导入学期值班表（.xlsx/.csv）：替换该学期原有的班次和安排。"""
    with database().session() as session:
        team = resolve_team(session, team_name)
        semester = resolve_semester(session, semester_name, team)
        report = _run(import_schedule, session, path, semester=semester, skip_bad=skip_bad)
        _check(report)
    click.echo(
        f"导入值班表（{semester_name}）：{report.rows_written} 条安排；班次新增 {report.created} 个，"
        f"调整 {report.updated} 个，不变 {report.unchanged} 个，删除 {report.removed} 个"
        f"{_skipped(report)}"
    )


@click.command("import-events")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="只接受该团队的学号（默认不限）")
@click.option("--skip-bad", is_flag=True, help=SKIP_BAD_HELP)
def import_events_command(path: Path, team_name: str | None, skip_bad: bool) -> None:
    """导入历史签到/签退记录（.xlsx/.csv），例如纸质签到表。"""
    with database().session() as session:
        team = resolve_team(session, team_name) if team_name else None
        report = _run(import_events, session, path, team=team, skip_bad=skip_bad)
        _check(report)
    click.echo(
        f"导入签到记录：新增 {report.created} 条（对应到班次 {report.attached} 条），"
        f"已存在跳过 {report.duplicates} 条{_skipped(report)}"
    )


COMMANDS = [import_roster_command, import_schedule_command, import_events_command]

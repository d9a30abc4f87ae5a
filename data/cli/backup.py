"""backup and restore: the whole database to a file and back (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from data.backup import BackupError, backup_into, backup_to, restore_from
from data.cli.common import database
from data.timeutil import LOCAL_TZ


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="写入该目录，文件名带时间（zhuguantong-YYYYmmdd-HHMMSS）",
)
@click.option("--keep", type=click.IntRange(min=1), help="与 --into 一起：只保留最新的 N 份")
def backup(path: Path | None, directory: Path | None, keep: int | None) -> None:
    """Write a consistent copy of the database to PATH (SQLite file or pg_dump archive)."""
    if (path is None) == (directory is None):
        raise click.ClickException("请给出备份文件 PATH，或用 --into DIR 写入带时间的文件")
    if keep is not None and directory is None:
        raise click.ClickException("--keep 只能与 --into 一起使用")
    db = database()
    try:
        if directory is None:
            backup_to(db, path)
            click.echo(f"已备份到 {path}")
            return
        written, removed = backup_into(db, directory, keep, datetime.now(LOCAL_TZ))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    dropped = f"，删除了 {len(removed)} 份旧备份" if removed else ""
    click.echo(f"已备份到 {written}{dropped}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="数据库中已有数据时也覆盖")
def restore(path: Path, force: bool) -> None:
    """Replace the database with the backup at PATH (stop the web app first), then migrate."""
    try:
        restore_from(database(), path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已从 {path} 恢复数据库（并迁移到最新版本）。")


COMMANDS = [backup, restore]

"""Flask CLI commands (SPEC §7): ``flask --app app <command>``.

Each module lists its commands in ``COMMANDS``; ``register_cli`` adds them all to the app.
Errors are raised as ``click.ClickException`` with a one-line message and a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import click
from flask import Flask
from flask.cli import with_appcontext

MODULES = (
    "data.cli.core",
    "data.cli.backup",
    "data.cli.imports",
    "data.cli.demo",
    "data.cli.report",
    "data.cli.notify",
    "data.cli.summarize",
)


def register_cli(app: Flask) -> None:
    for name in MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command module not written yet
        for command in module.COMMANDS:
            # The `flask` CLI pushes an app context itself; the test runner does not.
            if not getattr(command, "_in_app_context", False):
                command.callback = with_appcontext(command.callback)
                command.parse_args = _one_line_usage(command.parse_args)
                for sub in getattr(command, "commands", {}).values():  # a group's commands
                    sub.parse_args = _one_line_usage(sub.parse_args)
                command._in_app_context = True
            app.cli.add_command(command)


def _one_line_usage(parse_args: Callable) -> Callable:
    """Usage errors (missing argument, unknown option, bad value) as one line, not click's block."""

    def parse(ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return parse_args(ctx, args)
        except click.UsageError as exc:
            # SPEC §7: one line on bad input; click would add "Usage: …" and "Try … --help".
            raise click.ClickException(f"{exc.format_message()}（用 --help 查看用法）") from None

    return parse

"""Flask CLI commands (SPEC §7): ``flask --app app <command>``.

Each module lists its commands in ``COMMANDS``; ``register_cli`` adds them all to the app.
Errors are raised as ``click.ClickException`` with a one-line message and a non-zero exit.
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask
from flask.cli import with_appcontext

MODULES = ("data.cli.core", "data.cli.imports", "data.cli.demo", "data.cli.report")


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
                command._in_app_context = True
            app.cli.add_command(command)

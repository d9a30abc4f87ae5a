"""Apply and create alembic migrations programmatically (no alembic.ini needed).

python -m data.migrate revision "message"   # autogenerate against an up-to-date SQLite file
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from data.db import normalize_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database up to ``revision``."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] != "revision":
        raise SystemExit("usage: python -m data.migrate revision MESSAGE")
    from data.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/autogen.db"
        engine = make_engine(url)
        upgrade(engine)
        config = alembic_config(url)
        command.revision(config, message=argv[2], autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv)

"""The yardstick of SPEC §8: a bare Flask endpoint that inserts one row into SQLite.

    gunicorn -w 2 -b 127.0.0.1:8099 'bench.bare_insert:create_app()'   # BARE_DATABASE_URL=sqlite:///…

Same engine settings as the app (``data.db.make_engine``: WAL, busy timeout, synchronous=NORMAL),
one short write transaction per request, no session, login or templates. ``bench.checkin`` starts
it next to the real app and fires the same number of requests at both.
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from data.db import make_engine
from data.timeutil import utcnow

metadata = MetaData()
hits = Table(
    "bare_hit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("payload", String(64), nullable=False, default=""),
)


def prepare(url: str) -> None:
    """Create the table once, before the workers start (so they do not race on DDL)."""
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["BARE_DATABASE_URL"])

    @app.post("/insert")
    def insert_one():
        user_id = request.form.get("user_id", type=int, default=0)
        with engine.begin() as conn:
            conn.execute(
                insert(hits).values(
                    user_id=user_id, at=utcnow(), payload=request.form.get("payload", "")[:64]
                )
            )
        return "ok\n", 200

    return app

"""Engine and session setup, the same for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data import revision  # registers the events that bump the data revision on commit

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs (Heroku-style ``postgres://`` too)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the dashboard read while the door writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn) -> None:
    # Writers that must not lose a race (the door) ask for the write lock up front.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, **kwargs) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's legacy transaction handling issues BEGIN lazily and breaks SAVEPOINT;
        # hand transaction control to SQLAlchemy (the documented pysqlite recipe).
        event.listen(engine, "begin", _sqlite_begin)

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A database host that stops answering must fail a request (and /healthz) in seconds, not hang.
    kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    return create_engine(url, **kwargs)


@contextmanager
def write_transaction(
    session: Session, *, data: bool = True, team: int | None = None
) -> Iterator[Session]:
    """The one way writes are committed: a fresh transaction that holds the write lock.

    Whatever the session read before is ended first: in WAL mode a read transaction that later
    writes fails at once ("database is locked") if another writer committed meanwhile. On SQLite
    the new transaction starts with BEGIN IMMEDIATE, so concurrent writers queue on the busy
    timeout instead of failing; PostgreSQL needs nothing special. Commits on success, rolls back
    on any error (a refusal included), so a refused change leaves nothing half-written.
    ``data=False``: the transaction writes only ``revision.NOT_DATA`` tables (logins).
    ``team``: it writes only door rows of that team through Core statements (the door), so
    only the team's revision changes (``revision.mark_team_written``).
    """
    session.rollback()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    # Core statements on the session's connection escape the ORM's events: bump regardless.
    if team is not None:
        revision.mark_team_written(session, team)
    elif data:
        revision.mark_written(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error (reads, tests)."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session in one write transaction (the CLI's commands), like the web's writes."""
        session = self.sessionmaker()
        try:
            with write_transaction(session):
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

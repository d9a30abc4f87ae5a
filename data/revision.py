"""The data revision: a token in the database that changes with every committed write.

The report cache (``data.report_cache``) keys on it, so a cached report is used only while the
data it was built from is unchanged, in every worker process, since the token lives in the
database. A session that writes is marked (an ORM flush, an INSERT/UPDATE/DELETE statement,
``write_transaction``) and its commit stores a fresh token in the same transaction, so a write
and its new revision become visible together and a rolled-back write changes nothing.

The token is random rather than a counter: a restored backup or a truncated table can never
bring back a value that once stood for other data.

Logins are not data: a transaction that writes only ``NOT_DATA`` tables keeps the revision, so
a morning of logins does not empty every cache. The door's writes (a person's sign-in or
sign-out, its work record and used kiosk code) are read by no other team: they change only
their team's token (``team_revision``, ``mark_team_written``), so at university scale one
team's sign-ins do not empty every other team's cached reports. Readers that cache one team's
data key on ``current(session, team_id)``, both tokens together.

A writer that knows the revision its cached reads were made under says so (``expect``); if its
commit replaces exactly that token, it knows its own write is the only change in between
(``succession``) and may carry its cache forward.
"""

from __future__ import annotations

import functools
import re
import uuid
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Integer, String, Table, bindparam, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import ScalarSelect

from data.models.revision import DataRevision, TeamRevision

_DIRTY = "data_revision.dirty"
_TEAM_DIRTY = "data_revision.team"
_EXPECT = "data_revision.expect"
_SUCCESSION = "data_revision.succession"
# Tables no report, count or cache reads: writing only these keeps the revision.
NOT_DATA = frozenset({"login_session"})
_ROW = 1
_TABLE = DataRevision.__table__
_CURRENT = select(_TABLE.c.value).where(_TABLE.c.id == _ROW)
# Built once: the door pays for this statement on every sign-in.
_BUMP = update(_TABLE).where(_TABLE.c.id == _ROW).values(value=bindparam("token"))
_BUMP_FROM = _BUMP.where(_TABLE.c.value == bindparam("expected"))
_TEAM = TeamRevision.__table__
_GLOBAL_TOKEN = select(_TABLE.c.value).where(_TABLE.c.id == _ROW).scalar_subquery()


def token_columns(team_id: Any) -> tuple[ScalarSelect, ScalarSelect]:
    """The global token and ``team_id``'s as scalar subqueries, to read within another query
    (``combined`` joins what they give; the team's is None until its first door write)."""
    team = select(_TEAM.c.value).where(_TEAM.c.team_id == team_id).scalar_subquery()
    return _GLOBAL_TOKEN, team


_TOKENS = select(*token_columns(bindparam("team_id")))
_GLOBAL_UNCHANGED = bindparam("expected_global") == _GLOBAL_TOKEN
# The team's token replaced only if neither token moved since ``expected`` was read.
_TEAM_BUMP_FROM = (
    update(_TEAM)
    .where(
        _TEAM.c.team_id == bindparam("team"),
        _TEAM.c.value == bindparam("expected_team"),
        _GLOBAL_UNCHANGED,
    )
    .values(value=bindparam("token"))
)
_NO_TEAM_TOKEN = "-"
_WRITE_SQL = re.compile(r"\s*(insert|update|delete|replace|merge)\b", re.IGNORECASE)


def current(session: Session, team_id: int | None = None) -> str | None:
    """The revision token as the session's transaction sees it (None: the row is missing).

    With ``team_id``: the token of what one team's cache may hold, the global token and the
    team's together, one statement.
    """
    if team_id is None:
        return session.connection().execute(_CURRENT).scalar()
    return combined(*session.connection().execute(_TOKENS, {"team_id": team_id}).one())


def combined(global_token: str | None, team_token: str | None) -> str | None:
    """One key of both tokens (None while the global row is missing)."""
    if global_token is None:
        return None
    return f"{global_token}/{team_token or _NO_TEAM_TOKEN}"


def mark_written(session: Session) -> None:
    """Make the session's next commit bump the revision (writes that bypass the ORM)."""
    session.info[_DIRTY] = True


def mark_team_written(session: Session, team_id: int) -> None:
    """The session's next commit writes door rows of ``team_id`` only: bump that team's token.

    Any other write in the same transaction (an ORM flush, a DML statement through the session)
    still bumps the global token, which every cache key includes.
    """
    session.info[_TEAM_DIRTY] = team_id


def expect(session: Session, token: str | None) -> None:
    """The revision this session's cached reads were made under (see ``succession``)."""
    if token is not None:
        session.info[_EXPECT] = token


def succession(session: Session) -> tuple[str, str] | None:
    """(expected, new) if the last commit replaced exactly the expected token, once; else None.

    Then nothing but this session's own transaction was committed between the two: reads made
    under ``expected`` and adjusted for what the transaction wrote hold under ``new``.
    """
    return session.info.pop(_SUCCESSION, None)


def bump(connection: Connection, expected: str | None = None) -> tuple[str, bool]:
    """Store a fresh token in the connection's transaction: (token, it replaced ``expected``).

    The UPDATE holds the row until commit (SQLite's write lock, PostgreSQL's row lock), so a
    replaced ``expected`` means no other commit came between.
    """
    token = uuid.uuid4().hex
    if expected is not None:
        done = connection.execute(_BUMP_FROM, {"token": token, "expected": expected})
        if done.rowcount == 1:
            return token, True
    done = connection.execute(_BUMP, {"token": token})
    if done.rowcount == 0:
        # Only a truncated table (the PostgreSQL test fixture) lacks the row the migration adds.
        connection.execute(_upsert(connection, token))
    return token, False


def _upsert(connection: Connection, token: str):
    statement = _dialect_insert(connection.dialect.name, _TABLE).values(id=_ROW, value=token)
    return statement.on_conflict_do_update(index_elements=["id"], set_={"value": token})


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:
    # After a flush its new/dirty/deleted collections still show what it wrote.
    written = chain(session.new, session.dirty, session.deleted)
    if any(getattr(row, "__tablename__", None) not in NOT_DATA for row in written):
        session.info[_DIRTY] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) not in NOT_DATA:
            state.session.info[_DIRTY] = True
    elif isinstance(statement, TextClause) and _WRITE_SQL.match(statement.text):
        state.session.info[_DIRTY] = True


def bump_team(connection: Connection, team_id: int, expected: str | None) -> str | None:
    """Store a fresh token for the team: the combined revision now if it replaced ``expected``
    (a succession), else None.

    ``expected`` is a combined revision (``current(session, team_id)``); it is replaced only if
    neither token moved since, and the row lock held until commit keeps it so.
    """
    token = uuid.uuid4().hex
    global_token, _, team_token = (expected or "").partition("/")
    if team_token:
        params = {"token": token, "team": team_id, "expected_global": global_token}
        if team_token == _NO_TEAM_TOKEN:  # the team's first token: an insert nobody beat
            done = connection.execute(_first_team_token(connection.dialect.name), params)
        else:
            done = connection.execute(_TEAM_BUMP_FROM, {**params, "expected_team": team_token})
        if done.rowcount == 1:
            return combined(global_token, token)
    connection.execute(_team_upsert(connection.dialect.name), {"team": team_id, "token": token})
    return None


def _dialect_insert(dialect: str, table: Table):
    """An INSERT with ON CONFLICT (the dialects' own; the row may or may not exist)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


@functools.cache
def _first_team_token(dialect: str):
    """Insert the team's row only if the global token is still the expected one."""
    unchanged = select(
        bindparam("team", type_=Integer()), bindparam("token", type_=String())
    ).where(_GLOBAL_UNCHANGED)
    statement = _dialect_insert(dialect, _TEAM).from_select(["team_id", "value"], unchanged)
    # An INSERT keeps its rowcount only when asked to (SQLAlchemy 2).
    return statement.on_conflict_do_nothing(index_elements=["team_id"]).execution_options(
        preserve_rowcount=True
    )


@functools.cache
def _team_upsert(dialect: str):
    statement = _dialect_insert(dialect, _TEAM).values(
        team_id=bindparam("team"), value=bindparam("token")
    )
    return statement.on_conflict_do_update(
        index_elements=["team_id"], set_={"value": statement.excluded.value}
    )


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Pending objects are flushed after this hook; flush now so they mark the session too.
    session.flush()
    expected = session.info.pop(_EXPECT, None)
    team_id = session.info.pop(_TEAM_DIRTY, None)
    session.info.pop(_SUCCESSION, None)
    if session.info.pop(_DIRTY, False):
        # A global write: every cache key changes. Succession only for a global expectation.
        token, replaced = bump(session.connection(), None if team_id else expected)
        if replaced:
            session.info[_SUCCESSION] = (expected, token)
    elif team_id is not None:
        new = bump_team(session.connection(), team_id, expected)
        if new is not None:
            session.info[_SUCCESSION] = (expected, new)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back savepoint keeps the outer transaction's writes: only the root clears.
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)
        session.info.pop(_TEAM_DIRTY, None)
        session.info.pop(_EXPECT, None)

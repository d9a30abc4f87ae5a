"""The data revision: a token in the database that changes with every committed write.

The report cache (``data.report_cache``) keys on it, so a cached report is used only while the
data it was built from is unchanged, in every worker process, since the token lives in the
database. A session that writes is marked (an ORM flush, an INSERT/UPDATE/DELETE statement,
``write_transaction``) and its commit stores a fresh token in the same transaction, so a write
and its new revision become visible together and a rolled-back write changes nothing.

The token is random rather than a counter: a restored backup or a truncated table can never
bring back a value that once stood for other data.

Logins are not data: a transaction that writes only ``NOT_DATA`` tables keeps the revision, so
a morning of logins does not empty every cache. A writer that knows the revision its cached
reads were made under says so (``expect``); if its commit replaces exactly that token, it knows
its own write is the only change in between (``succession``) and may carry its cache forward.
"""

from __future__ import annotations

import re
import uuid
from itertools import chain

from sqlalchemy import Connection, bindparam, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

from data.models.revision import DataRevision

_DIRTY = "data_revision.dirty"
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
_WRITE_SQL = re.compile(r"\s*(insert|update|delete|replace|merge)\b", re.IGNORECASE)


def current(session: Session) -> str | None:
    """The revision token as the session's transaction sees it (None: the row is missing)."""
    return session.execute(_CURRENT).scalar()


def mark_written(session: Session) -> None:
    """Make the session's next commit bump the revision (writes that bypass the ORM)."""
    session.info[_DIRTY] = True


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
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(_TABLE).values(id=_ROW, value=token)
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


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Pending objects are flushed after this hook; flush now so they mark the session too.
    session.flush()
    expected = session.info.pop(_EXPECT, None)
    session.info.pop(_SUCCESSION, None)
    if session.info.pop(_DIRTY, False):
        token, replaced = bump(session.connection(), expected)
        if replaced:
            session.info[_SUCCESSION] = (expected, token)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back savepoint keeps the outer transaction's writes: only the root clears.
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)
        session.info.pop(_EXPECT, None)

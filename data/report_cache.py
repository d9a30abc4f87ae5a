"""The semester report, built once per (database, semester, team revision, minute) per process.

Every one-semester dashboard callback reads the same ``build_report``; at university scale it
costs most of a callback's CPU, while the data changes far less often than pages are opened.
The key's revision (``data.revision.current(session, team_id)``) changes with every committed
write that this team's report can read, in every worker, so a cached report never outlives the
data it was built from; another team's door writes leave it alone. The minute floor bounds
how far the outcomes' "now" can lag: a page may be up to 59 s behind the door, and shows the
report's ``as_of``.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import weakref
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data import revision
from data.models import Semester
from data.report import SemesterReport, build_report

# A university-scale report is a few MB (its duty outcomes); 8 bounds the process's share.
CACHE_SIZE = 8

_lock = threading.Lock()
_entries: OrderedDict[tuple, SemesterReport] = OrderedDict()
# Engines get a number for life: id() may be reused once an engine is gone (tests, CLI).
_engine_numbers: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_numbers = itertools.count(1)


def cached_report(session: Session, semester: Semester, now: datetime) -> SemesterReport:
    """``build_report(session, semester, now)``, reused while nothing was written this minute."""
    # Read first: a write during the build gets a new key. The team's revision: another
    # team's sign-ins leave this report cached.
    token = revision.current(session, semester.team_id)
    if token is None:  # no revision row: nothing tells a write apart, so never reuse
        return build_report(session, semester, now)
    key = (_database_number(session), semester.id, token, now.replace(second=0, microsecond=0))
    with _lock:
        report = _entries.get(key)
    if report is None:
        report = build_report(session, semester, now)
    elif report.semester is not semester:
        # The cached semester belongs to a closed session: pages lazy-load from the caller's.
        report = dataclasses.replace(report, semester=semester)
    with _lock:
        _entries[key] = report
        _entries.move_to_end(key)
        while len(_entries) > CACHE_SIZE:
            _entries.popitem(last=False)
    return report


def clear() -> None:
    """Forget every cached report (tests, memory measurements)."""
    with _lock:
        _entries.clear()


def _database_number(session: Session) -> int:
    engine = session.get_bind()
    with _lock:
        number = _engine_numbers.get(engine)
        if number is None:
            number = _engine_numbers[engine] = next(_numbers)
    return number

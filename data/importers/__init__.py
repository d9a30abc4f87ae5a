"""Import the roster, the weekly duty schedule and historical check events (SPEC §6).

Every import validates the whole file first. Bad rows are reported as ``RowError`` (row number
as seen in Excel, column, reason). With bad rows and ``skip_bad=False`` nothing is written and
the report has ``written=False``; with ``skip_bad=True`` all good rows are written and the bad
ones are listed as skipped. File-level problems raise ``ImportFileError``.

The functions only add to / change objects in the given session; the caller commits (or rolls
back) the one transaction. ``common`` holds the file formats and the report; ``roster``,
``schedule`` and ``events`` one import each.
"""

from data.importers.common import (
    EVENT_COLUMNS,
    PHONE_RE,
    QQ_RE,
    ROSTER_COLUMNS,
    ROSTER_OPTIONAL,
    SCHEDULE_COLUMNS,
    USERNAME_RE,
    ImportFileError,
    ImportReport,
    ProfileChange,
    RowError,
)
from data.importers.events import EventRow, attach_duties, import_events, parse_moment
from data.importers.roster import default_appointment_day, import_roster, new_password
from data.importers.schedule import import_schedule, parse_clock, parse_weekday

__all__ = [
    "EVENT_COLUMNS",
    "PHONE_RE",
    "QQ_RE",
    "ROSTER_COLUMNS",
    "ROSTER_OPTIONAL",
    "SCHEDULE_COLUMNS",
    "USERNAME_RE",
    "EventRow",
    "ImportFileError",
    "ImportReport",
    "ProfileChange",
    "RowError",
    "attach_duties",
    "default_appointment_day",
    "import_events",
    "import_roster",
    "import_schedule",
    "new_password",
    "parse_clock",
    "parse_moment",
    "parse_weekday",
]

"""The one set of parsers for everything that comes from outside: form fields, query parameters,
upload cells, CLI arguments and Dash callback inputs.

Plain functions over plain values (no Flask, no database). Each takes ``Any`` because a Dash
callback or a hostile client may send a list, a dict, a number or ``None`` where text is
expected; anything of the wrong shape parses to ``None`` (or ``""`` for text), never raises.
Numbers are ASCII only: ``str.isdigit`` accepts "²" and "١٢", and ``int()`` of a 5,000-digit
string raises; both are refused here before any conversion.
"""

from __future__ import annotations

import math
import re
from datetime import date, time
from typing import Any

MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow the database's integer type
MAX_INT_DIGITS = 12  # more digits than any bound we accept; keeps int() cheap
INT_TEXT = re.compile(r"[+-]?[0-9]{1,12}")
FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})")
DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME_TEXT = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# C0 controls except tab/newline/carriage return, DEL, C1 controls, lone surrogates and the
# non-characters Excel and PostgreSQL refuse (NUL above all).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\r\n?")

TEXT_MAX = 200  # a name, a title, a place: one line
BLOCK_MAX = 2000  # a reason, a note, a summary paragraph


def as_text(raw: Any) -> str:
    """``raw`` as text: strings as they are, integers as digits, anything else (lists, dicts,
    floats, booleans, None) as ""."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw) if abs(raw) < 10**MAX_INT_DIGITS else ""
    return ""


def parse_int(raw: Any, low: int, high: int) -> int | None:
    """An integer within [low, high] written in ASCII digits, else None."""
    text = as_text(raw).strip()
    if not INT_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(raw: Any) -> int | None:
    """A positive database id, else None."""
    return parse_int(raw, 1, MAX_ID)


def parse_ids(values: Any) -> list[int]:
    """Ticked checkbox ids, in order and without repeats; garbage becomes 0 (found nowhere)."""
    if not isinstance(values, list | tuple):
        values = [values]
    return list(dict.fromkeys(parse_id(v) or 0 for v in values))


def parse_float(raw: Any, low: float, high: float) -> float | None:
    """A finite decimal within [low, high] (ASCII digits, at most 6 decimals), else None."""
    if isinstance(raw, float) and not isinstance(raw, bool):
        value = raw
    else:
        text = as_text(raw).strip()
        if not FLOAT_TEXT.fullmatch(text):
            return None
        value = float(text)
    if not math.isfinite(value):
        return None
    return value if low <= value <= high else None


def parse_day(raw: Any) -> date | None:
    """A YYYY-MM-DD date, else None (nothing else is accepted)."""
    text = as_text(raw).strip()
    if not DAY_TEXT.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_clock(raw: Any) -> time | None:
    """An HH:MM time of day, else None."""
    match = TIME_TEXT.fullmatch(as_text(raw).strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_choice(raw: Any, choices: Any) -> str | None:
    """``raw`` if it is one of ``choices`` (strings), else None."""
    text = as_text(raw).strip()
    return text if text in choices else None


def strip_controls(text: str) -> str:
    """``text`` without NUL and the other control characters no export or database takes."""
    return _CONTROL.sub("", text)


def clean_text(raw: Any, limit: int = TEXT_MAX) -> str:
    """One line of text: controls removed, runs of whitespace made one space, at most ``limit``."""
    return " ".join(strip_controls(as_text(raw)).split())[:limit]


def clean_block(raw: Any, limit: int = BLOCK_MAX) -> str:
    """Free text that keeps its own lines and spacing (reasons, summaries), controls removed."""
    text = _LINE_BREAKS.sub("\n", strip_controls(as_text(raw)))
    return text.strip()[:limit]


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for echoing input in messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

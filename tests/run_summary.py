"""Figures a test run reports at its end (and CI's log keeps): fuzz and end-to-end counts.

Tests append one line each to ``test-artifacts/<name>.txt``; the root conftest empties the files
at the start of a run and prints them in pytest's terminal summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import request_finished

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FILES = ("fuzz.txt", "e2e.txt")


def append(name: str, line: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / name).open("a", encoding="utf-8") as out:
        out.write(line + "\n")


@contextmanager
def counting_responses(label: str) -> Iterator[Counter]:
    """Count every response any Flask app in this process sends, by status class; at the end
    append "label: N requests, 2xx …, 3xx …, 4xx …, 5xx …" to fuzz.txt."""
    counts: Counter = Counter()

    def note(_sender, response, **_extra) -> None:
        counts[f"{response.status_code // 100}xx"] += 1

    request_finished.connect(note, weak=False)
    try:
        yield counts
    finally:
        request_finished.disconnect(note)
        classes = ", ".join(f"{key} {counts[key]}" for key in ("2xx", "3xx", "4xx", "5xx"))
        append("fuzz.txt", f"{label}: {sum(counts.values())} requests, {classes}")


def start_run() -> None:
    """Empty the summary files, so a run reports only its own figures."""
    for name in FILES:
        (ARTIFACTS / name).unlink(missing_ok=True)


def print_summary(terminalreporter) -> None:
    for name in FILES:
        path = ARTIFACTS / name
        if path.exists() and path.read_text(encoding="utf-8").strip():
            terminalreporter.write_sep("-", f"test-artifacts/{name}")
            terminalreporter.write(path.read_text(encoding="utf-8"))

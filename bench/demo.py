"""The demo team: seeding time and the cross-semester pages on it, each next to a baseline.

    python -m bench.demo [--repeat N] [--today YYYY-MM-DD] [--keep]

These figures used to be asserted in tests (``seed-demo`` under 10 s, 学期对比 under 1 s), which
failed on a loaded machine. Here every figure is printed with a ratio to a baseline measured
in the same run on the same machine, so a slow box shows up in both and the ratio stays
meaningful:

- seeding vs a bare ``executemany`` insert of as many rows as the demo writes;
- the 学期对比 and 会议模式 callbacks (through Dash's own endpoint, as the demo counselor)
  vs one ``build_report`` of the current semester, which each of them contains.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select, text

from bench.dashboard import body_for
from data.db import Database
from data.demo import seed_demo
from data.migrate import upgrade
from data.models import Semester
from data.report import build_report
from data.timeutil import LOCAL_TZ

COUNSELOR = ("T0001", "demo-counselor")  # the demo's fixed counselor login (README)
PAGES = ("compare-body", "meeting-mode-body")  # cross-semester pages: target 1 s (SPEC §8)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bare_insert_seconds(database: Database, rows: int) -> float:
    """The same number of rows as the demo, in one executemany: the machine's raw write speed."""
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)"))
        started = time.perf_counter()
        conn.execute(
            text("INSERT INTO bench_rows (a, b) VALUES (:a, :b)"),
            [{"a": f"row {i}", "b": i} for i in range(rows)],
        )
        seconds = time.perf_counter() - started
        conn.execute(text("DROP TABLE bench_rows"))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    url = f"sqlite:///{workdir / 'demo.db'}"
    try:
        database = Database(url)
        upgrade(database.engine)
        started = time.perf_counter()
        with database.session() as s:
            summary = seed_demo(s, seed=2026, today=args.today)
        seed = time.perf_counter() - started
        rows = sum(summary.counts.values())
        bare = bare_insert_seconds(database, rows)

        now = datetime.combine(args.today, datetime.min.time().replace(hour=12), LOCAL_TZ)
        with database.sessionmaker() as s:
            current = s.scalar(select(Semester).where(Semester.name == summary.current_semester))
            report = median_seconds(lambda: build_report(s, current, now), args.repeat)
            current_id = current.id
        database.dispose()

        from app import create_app

        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "CLOCK": lambda: now}
        )
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        username, password = COUNSELOR
        client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        callbacks = {c["output"]: c for c in app.extensions["dash"]._callback_list}
        timed = []
        for output, callback in callbacks.items():
            if not any(p in output for p in PAGES):
                continue
            body = body_for(callback, current_id)

            def call(body: dict = body) -> None:
                response = client.post("/dashboard/_dash-update-component", json=body)
                assert response.status_code == 200, response.status_code

            timed.append((output[:40], median_seconds(call, args.repeat)))
        app.extensions["zhuguantong.db"].dispose()
    finally:
        if args.keep:
            print(f"database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"seed-demo ({rows} rows): {seed:.2f} s; bare insert of as many rows {bare:.3f} s; "
        f"× {seed / bare:.0f}"
    )
    print(f"build_report, current semester (baseline): {report * 1000:.0f} ms")
    print(f"{'callback output':<42}{'median ms':>10}{'× report':>10}{'target':>8}")
    for output, seconds in timed:
        print(f"{output:<42}{seconds * 1000:>10.0f}{seconds / report:>10.1f}{'1 s':>8}")


if __name__ == "__main__":
    main()

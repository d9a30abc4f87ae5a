"""Every dashboard callback at university scale, next to the raw SQL aggregate it stands on.

    python -m bench.dashboard [--db PATH] [--repeat N]
    python -m bench.dashboard --quick

Uses the database built by ``bench.attendance`` (30 teams × 60 assistants × 10 semesters;
built here if missing). Every past semester is locked and summarised as finalize does
(``data.summaries``), once per database. Each callback is called through Dash's own endpoint
(``/_dash-update-component``) with the Flask test client, as a logged-in counselor, for the
newest semester of one team, so the figure includes JSON serialisation. Times are CPU time of
this process (``time.process_time``), so the ratios hold on a loaded machine: the first call
(cold) and the median of the repeats, each against the raw SQL aggregate measured in the same
run, and the process's peak memory.

``--quick`` (under a minute) builds two small databases (2 teams × 20 assistants × 10 and
× 30 semesters, kept in bench/.data) and times only 学期对比 at both sizes and the one-semester
考勤 callback with its report rebuilt each time (a cache miss, the first view after a write),
then prints ``RESULT compare_cpu_ms=… semester_cpu_ms=…`` (10 semesters, medians) as its last
line.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bench.attendance import HERE, raw_aggregate
from bench.scale import build
from data import report_cache
from data.db import Database
from data.migrate import is_migrated, upgrade
from data.models import Role, Semester, SemesterMemberSummary, Team, User
from data.summaries import store_summaries
from data.timeutil import local_to_utc
from web_deploy import freeze_startup_objects

CROSS_SEMESTER = {"compare"}  # pages whose callbacks read every semester (target 300 ms)
PASSWORD = "bench-password-1"
COMPARE = "compare-body"
SEMESTER = "attendance-body"  # the one-semester callback --quick times (考勤)


def ensure_staff(database: Database) -> None:
    with database.session() as s:
        if s.scalar(select(User.id).where(User.username == "BENCH-T")):
            return
        team = s.scalar(select(Team).order_by(Team.id).limit(1))
        user = User(team=team, username="BENCH-T", name="基准兼辅", role=Role.counselor)
        user.set_password(PASSWORD)
        s.add(user)


def summarise_finished(database: Database) -> int:
    """Lock and summarise every semester but each team's newest, as finalize would have."""
    done = 0
    with database.sessionmaker() as s:
        semesters = s.scalars(select(Semester).order_by(Semester.team_id, Semester.start)).all()
        latest = dict(
            s.execute(
                select(Semester.team_id, func.max(Semester.start)).group_by(Semester.team_id)
            ).all()
        )
        summarised = set(s.scalars(select(SemesterMemberSummary.semester_id).distinct()))
        for semester in semesters:
            if semester.start == latest[semester.team_id] or semester.id in summarised:
                continue
            moment = local_to_utc(semester.end + timedelta(days=1), dtime(9, 0))
            semester.finalized_at = semester.finalized_at or moment
            store_summaries(s, semester, moment)
            s.commit()
            done += 1
    return done


def prepare(path: Path, scale: str) -> tuple[Database, float]:
    """The bench database at ``scale`` (built when missing), summarised; seconds spent."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{path}")
    if not is_migrated(database.engine):
        build(database, scale)
    upgrade(database.engine)  # bring an older bench database up to the current schema
    ensure_staff(database)
    summarise_finished(database)
    return database, time.perf_counter() - started


def newest_semester(database: Database) -> Semester:
    with database.sessionmaker(expire_on_commit=False) as s:
        return s.scalars(
            select(Semester).where(Semester.team_id == 1).order_by(Semester.start.desc())
        ).first()


def raw_cpu(database: Database, semester: Semester, repeat: int) -> float:
    """CPU seconds of the raw SQL aggregate of one semester (the baseline)."""
    with database.sessionmaker() as s:
        semester = s.get(Semester, semester.id)
        started = time.process_time()
        for _ in range(repeat):
            raw_aggregate(s, semester)
        return (time.process_time() - started) / repeat


def logged_in(path: Path, semester: Semester) -> tuple[Flask, FlaskClient]:
    from app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True})
    freeze_startup_objects()  # as gunicorn's workers do (deploy/gunicorn.conf.py)
    # The bench semesters are in the past: look at the newest as if its last day were today.
    app.config["CLOCK"] = lambda: local_to_utc(semester.end, dtime(18, 0))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "BENCH-T", "password": PASSWORD, "csrf_token": token})
    return app, client


def body_for(callback: dict, semester_id: int) -> dict:
    """A minimal update request: the semester picker set, every other input empty."""
    inputs = []
    for item in callback["inputs"]:
        value = semester_id if item["id"] == "shell-semester" else None
        if item["id"] == "shell-url" and item["property"] == "search":
            value = f"?semester={semester_id}"
        inputs.append({**item, "value": value})
    output = callback["output"]
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in output.strip(".").split("...")
        if part
    ]
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in callback["inputs"][:1]],
        "state": [{**s, "value": None} for s in callback.get("state", [])],
    }


def semester_callbacks(app: Flask) -> list[dict]:
    """The callbacks that follow the semester picker (one per page body, download…)."""
    callbacks = app.extensions["dash"]._callback_list
    return [c for c in callbacks if any(i["id"] == "shell-semester" for i in c["inputs"])]


def time_callback(
    client: FlaskClient, callback: dict, semester_id: int, repeat: int, *, miss: bool = False
) -> tuple[float, float, int]:
    """(cold CPU s, median CPU s, response bytes) of one callback over ``repeat`` calls.

    ``miss``: the report cache is emptied before every call, as after a write (the cost of
    the first view after a sign-in, or of a new minute).
    """
    body = body_for(callback, semester_id)
    samples = []
    for _ in range(repeat):
        if miss:
            report_cache.clear()
        started = time.process_time()
        response = client.post("/dashboard/_dash-update-component", json=body)
        samples.append(time.process_time() - started)
        assert response.status_code in (200, 204), (callback["output"], response.status_code)
    return samples[0], statistics.median(samples), len(response.data)


def find(app: Flask, output: str) -> dict:
    return next(c for c in semester_callbacks(app) if c["output"].startswith(output + "."))


def run_full(args: argparse.Namespace) -> None:
    database, _ = prepare(args.db, "university")
    semester = newest_semester(database)
    raw = raw_cpu(database, semester, args.repeat)
    app, client = logged_in(args.db, semester)
    rows = []
    for callback in semester_callbacks(app):
        cold, median, size = time_callback(client, callback, semester.id, args.repeat)
        missed = time_callback(client, callback, semester.id, args.repeat, miss=True)[1]
        slug = callback["output"].strip(".").split("-")[0]
        rows.append((slug, callback["output"][:44], cold, median, missed, size))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"raw SQL aggregate (one semester, one team): {raw * 1000:.1f} ms CPU")
    print(
        f"{'callback output':<46}{'cold ms':>9}{'hit ms':>9}{'miss ms':>9}{'× raw':>7}"
        f"{'target':>8}{'KB':>6}"
    )
    for slug, output, cold, median, missed, size in rows:
        target = "300 ms" if slug in CROSS_SEMESTER else "150 ms"
        print(
            f"{output:<46}{cold * 1000:>9.1f}{median * 1000:>9.1f}{missed * 1000:>9.1f}"
            f"{missed / raw:>7.0f}{target:>8}{size / 1024:>6.0f}"
        )
    print("(hit: the semester report cached; miss: rebuilt for every call, as after a write)")
    print(f"peak RSS of this process (app + bench): {rss:.0f} MB")
    ten = next(row[3] for row in rows if row[1].startswith(COMPARE))
    thirty = compare_at_thirty(args)
    print(
        f"学期对比 at 30 semesters (1 team × 60 assistants, {args.db.parent / 'wide30.db'}): "
        f"{thirty * 1000:.1f} ms CPU = {thirty / ten:.2f}× the 10-semester one (target < 1.5×)"
    )
    print(json.dumps({"callbacks": len(rows)}))


def compare_at_thirty(args: argparse.Namespace) -> float:
    """Median CPU seconds of 学期对比 for a team of the same size with 30 semesters."""
    path = args.db.parent / "wide30.db"
    database, _ = prepare(path, "wide30")
    semester = newest_semester(database)
    app, client = logged_in(path, semester)
    return time_callback(client, find(app, COMPARE), semester.id, args.repeat)[1]


def run_quick(args: argparse.Namespace) -> None:
    results = {}
    for scale in ("quick", "quick30"):
        path = HERE / ".data" / f"{scale}.db"
        database, setup = prepare(path, scale)
        semester = newest_semester(database)
        raw = raw_cpu(database, semester, args.repeat)
        app, client = logged_in(path, semester)
        compare = time_callback(client, find(app, COMPARE), semester.id, args.repeat)
        # The one-semester callback as a first view after a write: its report rebuilt.
        one = time_callback(client, find(app, SEMESTER), semester.id, args.repeat, miss=True)
        with database.sessionmaker() as s:
            count = s.scalar(select(func.count(Semester.id)).where(Semester.team_id == 1))
        results[scale] = (count, raw, compare, one, setup)
        database.dispose()
    print(f"{'database':<34}{'raw ms':>8}{'cold ms':>9}{'med ms':>9}{'× raw':>7}{'setup s':>9}")
    for scale, (count, raw, compare, one, setup) in results.items():
        for name, (cold, median, _) in (("学期对比", compare), ("考勤 (miss)", one)):
            label = f"{scale}: {count} semesters, {name}"
            print(
                f"{label:<34}{raw * 1000:>8.1f}{cold * 1000:>9.1f}{median * 1000:>9.1f}"
                f"{median / raw:>7.0f}{setup:>9.1f}"
            )
    ten, thirty = results["quick"][2][1], results["quick30"][2][1]
    print(f"学期对比 30 vs 10 semesters: {thirty / ten:.2f}× (target < 1.5×)")
    semester_ms = results["quick"][3][1] * 1000
    print(f"RESULT compare_cpu_ms={ten * 1000:.1f} semester_cpu_ms={semester_ms:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / ".data" / "university.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small databases, under a minute")
    args = parser.parse_args()
    if args.quick:
        run_quick(args)
    else:
        run_full(args)


if __name__ == "__main__":
    main()

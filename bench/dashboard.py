"""Every dashboard callback at university scale, next to the raw SQL aggregate it stands on.

    python -m bench.dashboard [--db PATH] [--repeat N]

Uses the database built by ``bench.attendance`` (30 teams × 60 assistants × 10 semesters;
built here if missing). Each callback is called through Dash's own endpoint
(``/_dash-update-component``) with the Flask test client, as a logged-in counselor, for the
newest semester of one team, so the figure includes JSON serialisation. Prints medians, the
ratio to the raw SQL aggregate measured in the same run, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import time
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import select

from bench.attendance import HERE, raw_aggregate
from bench.scale import build
from data.db import Database
from data.migrate import is_migrated, upgrade
from data.models import Role, Semester, Team, User
from data.timeutil import local_to_utc

CROSS_SEMESTER = {"compare"}  # pages whose callbacks read every semester (target 1 s, not 300 ms)
PASSWORD = "bench-password-1"


def ensure_staff(database: Database) -> None:
    with database.session() as s:
        if s.scalar(select(User.id).where(User.username == "BENCH-T")):
            return
        team = s.scalar(select(Team).order_by(Team.id).limit(1))
        user = User(team=team, username="BENCH-T", name="基准兼辅", role=Role.counselor)
        user.set_password(PASSWORD)
        s.add(user)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=HERE / ".data" / "university.db")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{args.db}")
    if not is_migrated(database.engine):
        build(database, "university")
    upgrade(database.engine)  # bring an older bench database up to the current schema
    ensure_staff(database)
    with database.sessionmaker() as s:
        semester = s.scalars(
            select(Semester).where(Semester.team_id == 1).order_by(Semester.start.desc())
        ).first()
        started = time.perf_counter()
        for _ in range(args.repeat):
            raw_aggregate(s, semester)
        raw = (time.perf_counter() - started) / args.repeat

    from app import create_app

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{args.db}", "SECRET_KEY": "bench", "TESTING": True}
    )
    # The bench semesters are in the past: look at the newest as if its last day were today.
    app.config["CLOCK"] = lambda: local_to_utc(semester.end, dtime(18, 0))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "BENCH-T", "password": PASSWORD, "csrf_token": token})
    dash_app = app.extensions["dash"]
    rows = []
    for callback in dash_app._callback_list:
        if not any(i["id"] == "shell-semester" for i in callback["inputs"]):
            continue
        body = body_for(callback, semester.id)
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = client.post("/dashboard/_dash-update-component", json=body)
            samples.append(time.perf_counter() - t0)
            assert response.status_code in (200, 204), (callback["output"], response.status_code)
        slug = callback["output"].strip(".").split("-")[0]
        rows.append((slug, callback["output"][:48], statistics.median(samples), len(response.data)))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"raw SQL aggregate (one semester, one team): {raw * 1000:.1f} ms")
    print(f"{'callback output':<50}{'median ms':>10}{'× raw':>8}{'target':>8}{'KB':>7}")
    for slug, output, seconds, size in rows:
        target = "1 s" if slug in CROSS_SEMESTER else "300 ms"
        print(
            f"{output:<50}{seconds * 1000:>10.1f}{seconds / raw:>8.0f}{target:>8}{size / 1024:>7.0f}"
        )
    print(f"peak RSS of this process (app + bench): {rss:.0f} MB")
    print(json.dumps({"callbacks": len(rows)}))


if __name__ == "__main__":
    main()

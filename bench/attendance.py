"""One semester's per-assistant summary at university scale, next to a raw SQL aggregate.

    python -m bench.attendance [--scale university|small|college] [--db PATH] [--repeat N]

Builds the database once (kept at --db, default bench/.data/<scale>.db) and then times, in the
same process and on the same rows: the raw SQL aggregate (GROUP BY over the semester's events),
the read model (``semester_attendance`` + per-user summaries) and the full report
(``build_report``: warnings, assessment and stipend too). Prints medians of CPU time and
ratios, with the start-up heap frozen as a served worker has it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import case, func, select

from bench.scale import as_of, build
from data.attendance import semester_attendance
from data.db import Database
from data.migrate import is_migrated
from data.models import CheckEvent, Semester, User
from data.report import build_report
from data.timeutil import local_to_utc
from web_deploy import freeze_startup_objects

HERE = Path(__file__).resolve().parent


def raw_aggregate(session, semester: Semester) -> list:
    """What SQL alone gives: per-user sign-ins, sign-outs and late sign-ins (no rules applied)."""
    begin = local_to_utc(semester.start, dtime(0, 0))
    end = local_to_utc(semester.end, dtime(23, 59, 59))
    return session.execute(
        select(
            CheckEvent.user_id,
            func.sum(case((CheckEvent.action == "sign_in", 1), else_=0)),
            func.sum(case((CheckEvent.action == "sign_out", 1), else_=0)),
            func.count(CheckEvent.id),
        )
        .where(
            CheckEvent.user_id.in_(select(User.id).where(User.team_id == semester.team_id)),
            CheckEvent.at >= begin,
            CheckEvent.at <= end,
        )
        .group_by(CheckEvent.user_id)
    ).all()


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median CPU seconds of ``fn`` (CPU, not wall time: the ratios hold on a busy machine)."""
    samples, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = fn()
        samples.append(time.process_time() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="university")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = args.db or HERE / ".data" / f"{args.scale}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{path}")
    if not is_migrated(database.engine):
        built = build(database, args.scale)
        print(
            f"built {args.scale}: {built.teams} teams, {built.users} users, {built.semesters} semesters, "
            f"{built.duties:,} duties, {built.events:,} events in {built.seconds:.0f} s"
        )
    with database.sessionmaker() as session:
        events = session.scalar(select(func.count(CheckEvent.id)))
        semester = session.scalars(
            select(Semester).where(Semester.team_id == 1).order_by(Semester.start.desc())
        ).first()
        now = as_of(semester.end)
        # As a served worker does after start-up: full collections walk only what the
        # measured calls allocate.
        freeze_startup_objects()
        raw_t, raw = timed(lambda: raw_aggregate(session, semester), args.repeat)
        model_t, summaries = timed(
            lambda: semester_attendance(session, semester, now).summaries(), args.repeat
        )
        report_t, report = timed(lambda: build_report(session, semester, now), args.repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    duties = sum(s.expected for s in summaries.values())
    print(
        f"database: {events:,} events in all; one semester of one team: {len(raw)} assistants, {duties} duties"
    )
    print(f"{'measure':<44}{'median ms':>10}{'× raw SQL':>11}")
    print(f"{'raw SQL aggregate (GROUP BY user)':<44}{raw_t * 1000:>10.1f}{1:>11.1f}")
    print(
        f"{'read model: semester_attendance + summaries':<44}{model_t * 1000:>10.1f}{model_t / raw_t:>11.1f}"
    )
    print(
        f"{'full report: + warnings, assessment, stipend':<44}{report_t * 1000:>10.1f}{report_t / raw_t:>11.1f}"
    )
    print(f"peak RSS of this process: {rss:.0f} MB; members in report: {len(report.members)}")


if __name__ == "__main__":
    main()

"""Finished semesters summarised once (issue 16 item 2): stored rows equal a fresh computation."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import dashboard.tables.compare as compare_tables
from dashboard.tables.compare import FULL, SAME, compare_frame, compare_stats
from data.models import Assessment, Semester, SemesterMemberSummary, SemesterSummary, User
from data.policy.classify import summarize
from data.report import build_report
from data.services.semesters import finalize, unlock
from data.summaries import (
    COUNTS,
    delete_summaries,
    figures_of,
    report_rows,
    semester_week,
    stored_figures,
)
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.db


def semesters(session) -> tuple[Semester, Semester]:
    previous, current = session.scalars(select(Semester).order_by(Semester.start)).all()
    return previous, current


def summarize_cli(demo_app, *args: str):
    return demo_app.test_cli_runner().invoke(args=["summarize", *args])


def stored_rows(session, semester_id: int) -> list[SemesterSummary]:
    return list(
        session.scalars(select(SemesterSummary).where(SemesterSummary.semester_id == semester_id))
    )


def counts(row) -> tuple[int, ...]:
    return tuple(getattr(row, name) for name in COUNTS)


def summed(rows) -> tuple[int, ...]:
    return tuple(sum(getattr(r, name) for r in rows) for name in COUNTS)


def test_stored_rows_equal_a_fresh_report_per_person_and_week(demo_app, demo_db):
    with demo_db.session() as s:
        previous, current = semesters(s)
    result = summarize_cli(demo_app, previous.name)
    assert result.exit_code == 0, result.output
    with demo_db.session() as s:
        previous, current = semesters(s)
        fresh = build_report(s, previous, DEMO_NOW)
        rows = stored_rows(s, previous.id)
        assert rows
        # Per person, the whole term: every AttendanceSummary field.
        by_user: dict[int, list] = defaultdict(list)
        for row in rows:
            by_user[row.user_id].append(row)
        for member in fresh.members:
            assert summed(by_user[member.user_id]) == counts(member.attendance), member.username
        # Per person and teaching week: the fresh outcomes of that week, counted by summarize.
        outcomes: dict[tuple, list] = defaultdict(list)
        for o in fresh.attendance.outcomes:
            outcomes[(o.duty.user_id, semester_week(previous.start, o.duty.day))].append(o)
        per_week: dict[tuple, list] = defaultdict(list)
        for row in rows:
            per_week[(row.user_id, row.week)].append(row)
        assert set(per_week) == set(outcomes)
        for key, items in outcomes.items():
            assert summed(per_week[key]) == counts(summarize(items)), key
        # The figures 学期对比 reads: whole term and 同期 week N, stored == computed now.
        week = semester_week(current.start, DEMO_NOW.date())
        computed = report_rows(fresh)
        for upto in (None, week):
            stored = stored_figures(s, [previous.id], upto)[previous.id]
            assert stored == figures_of(*computed, fresh.estimate, upto)
        whole = stored_figures(s, [previous.id])[previous.id]
        assert counts(whole.total) == counts(fresh.attendance.total())
        assert whole.hours == round(sum(m.hours for m in fresh.members), 2)
        grades = Counter(m.final_grade for m in fresh.members)
        assert whole.grades == {g: grades[g] for g in ("excellent", "qualified", "unqualified")}
        assert whole.assistants == len(fresh.members) and whole.estimate == fresh.estimate
        cut = stored_figures(s, [previous.id], week)[previous.id]
        assert 0 < cut.total.expected < whole.total.expected
        first_weeks = (
            o
            for o in fresh.attendance.outcomes
            if semester_week(previous.start, o.duty.day) <= week
        )
        assert cut.total == summarize(first_weeks)


@pytest.mark.parametrize("published", [True, False])
def test_compare_is_identical_with_and_without_stored_summaries(
    demo_app, demo_db, monkeypatch, published
):
    """Published grades are read from Assessment; unpublished ones are the stored 预估 grades."""
    with demo_db.session() as s:
        delete_summaries(s, semesters(s)[0])  # the demo stores them: compute fresh first
        if not published:
            s.execute(update(Assessment).values(published=False))
        s.commit()

    def frames():
        with demo_db.session() as s:
            return [
                compare_frame(compare_stats(s, semesters(s)[1], DEMO_NOW, scope=scope))
                for scope in (SAME, FULL)
            ]

    before = frames()
    assert summarize_cli(demo_app, semesters_names(demo_db)[0]).exit_code == 0
    engine_runs: list[str] = []
    original = compare_tables.cached_report

    def spy(session, semester, now):
        engine_runs.append(semester.name)
        return original(session, semester, now)

    monkeypatch.setattr(compare_tables, "cached_report", spy)
    after = frames()
    for old, new in zip(before, after, strict=True):
        assert new.equals(old), (old, new)
    assert after[1]["考核"][0] == ("已结束" if published else "未发布（预估）")
    # Only the running semester ran the engine: the finished one was read back.
    assert engine_runs == [semesters_names(demo_db)[1]] * 2


def semesters_names(demo_db) -> list[str]:
    with demo_db.session() as s:
        return [x.name for x in semesters(s)]


def test_finalize_writes_unlock_removes_relock_rewrites(demo_db):
    with demo_db.session() as s:
        previous, _ = semesters(s)
        counselor = s.scalar(select(User).where(User.username == "T0001"))
        assert stored_rows(s, previous.id)  # the demo locks it as finalize does: summarised
        assert unlock(s, counselor, previous, "补录纸质签到表", at=DEMO_NOW)
        assert finalize(s, counselor, previous, at=DEMO_NOW)  # a relock writes them
        written = sorted(
            (r.user_id, r.week, r.month, counts(r)) for r in stored_rows(s, previous.id)
        )
        members = s.scalar(
            select(func.count()).where(SemesterMemberSummary.semester_id == previous.id)
        )
        assert written and members == len(build_report(s, previous, DEMO_NOW).members)
    with demo_db.session() as s:
        previous, _ = semesters(s)
        counselor = s.scalar(select(User).where(User.username == "T0001"))
        assert unlock(s, counselor, previous, "再次补录", at=DEMO_NOW + timedelta(minutes=1))
        assert not stored_rows(s, previous.id)
        assert not s.scalar(
            select(func.count()).where(SemesterMemberSummary.semester_id == previous.id)
        )
        assert finalize(s, counselor, previous, at=DEMO_NOW + timedelta(minutes=2))
        again = sorted((r.user_id, r.week, r.month, counts(r)) for r in stored_rows(s, previous.id))
        assert again == written


def test_summarize_command(demo_app, demo_db):
    previous, current = semesters_names(demo_db)
    first = summarize_cli(demo_app, previous)
    assert first.exit_code == 0 and first.output.count("\n") == 1, first.output
    assert previous in first.output and "人" in first.output
    with demo_db.session() as s:
        rows = sorted(
            counts(r) + (r.user_id, r.week, r.month) for r in stored_rows(s, semesters(s)[0].id)
        )
    again = summarize_cli(demo_app, previous)  # idempotent: the same rows, not twice as many
    assert again.exit_code == 0 and again.output == first.output
    with demo_db.session() as s:
        assert (
            sorted(
                counts(r) + (r.user_id, r.week, r.month) for r in stored_rows(s, semesters(s)[0].id)
            )
            == rows
        )
    for args, message in (
        (["没有这个学期"], "找不到学期"),
        ([current], "尚未结束考核并锁定"),  # still running: not finalized
        ([], "SEMESTER"),
    ):
        result = summarize_cli(demo_app, *args)
        assert result.exit_code != 0, args
        assert message in result.output and result.output.strip().count("\n") == 0, result.output
    with demo_db.session() as s:
        assert not stored_rows(s, semesters(s)[1].id)

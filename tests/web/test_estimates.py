"""Honest estimates before publication (SPEC §3 Assessment; issue 10 item 4), on the demo."""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from data.models import Assessment, Semester
from data.report import build_report, is_estimate
from data.timeutil import LOCAL_TZ
from tests.conftest import DEMO_NOW
from tests.dash_helpers import logged_in, texts
from web import get_session

pytestmark = pytest.mark.db

HARD_RULES = ("迟到 ", "例会旷到", "课程考试不及格", "违反学校规章制度")


def semesters(session) -> tuple[Semester, Semester]:
    previous, current = session.scalars(select(Semester).order_by(Semester.start)).all()
    return previous, current


def test_mid_term_nobody_fails_for_missing_evaluations(demo_db):
    with demo_db.session() as s:
        _, current = semesters(s)
        report = build_report(s, current, DEMO_NOW)
    assert report.estimate and all(m.estimate for m in report.members)
    assert len(report.members) >= 30
    failing = [m for m in report.members if m.final_grade == "unqualified"]
    # Before the fix 14 of 39 were 不合格 (预估) only because evaluations counted 0.
    for m in failing:
        assert any(r.startswith(HARD_RULES) for r in m.assessment.reasons), (m.name, m.assessment)
    for m in report.members:
        a = m.attendance
        if not (a.late or a.absent or a.missed_sign_out):
            assert m.final_grade != "unqualified", m.name
        assert m.assessment.reasons[-1].startswith("预估：")
    # The estimated stipend applies the estimated grade's factor (0.5 only for real risks).
    factors = report.attendance.settings.grade_factors
    for m in report.members:
        assert float(m.stipend.factor) == factors[m.final_grade]


def test_published_semester_is_final_and_equals_the_stored_grades(demo_db):
    with demo_db.session() as s:
        previous, _ = semesters(s)
        report = build_report(s, previous, DEMO_NOW)
        stored = dict(
            s.execute(
                select(Assessment.user_id, Assessment.grade).where(
                    Assessment.semester_id == previous.id
                )
            ).all()
        )
        # Before the publication date the same semester reads as an estimate.
        assert is_estimate(s, previous, datetime.combine(previous.end, time(23), LOCAL_TZ))
    assert not report.estimate
    assert {m.user_id: m.final_grade for m in report.members} == {
        uid: grade.value for uid, grade in stored.items()
    }
    assert not any(r.startswith("预估") for m in report.members for r in m.assessment.reasons)


def test_export_report_as_of_shows_estimates_until_published(demo_app, demo_db, tmp_path):
    with demo_db.session() as s:
        previous, _ = semesters(s)
        name, end = previous.name, previous.end
    runner = demo_app.test_cli_runner()

    def grades(as_of) -> list[str]:
        path = tmp_path / f"{as_of}.xlsx"
        result = runner.invoke(args=["export-report", name, str(path), "--as-of", str(as_of)])
        assert result.exit_code == 0, result.output
        book = load_workbook(path, read_only=True)
        rows = list(book["考核结果"].iter_rows(min_row=2, values_only=True))
        stipend = [r[3] for r in book["补贴"].iter_rows(min_row=2, values_only=True)]
        assert [r[3] for r in rows] == stipend  # both sheets label the grade alike
        return [r[3] for r in rows]

    before = grades(end + timedelta(days=1))  # the demo publishes five days after the end
    assert before and all(g.endswith("（预估）") for g in before)
    after = grades(DEMO_NOW.date())
    assert after and not any("预估" in g for g in after)
    assert {g.removesuffix("（预估）") for g in before} <= {"优秀", "合格", "不合格"}


@pytest.fixture
def pages(demo_app):
    return (
        importlib.import_module("dashboard.pages.meeting_mode"),
        importlib.import_module("dashboard.pages.compare"),
    )


def slide_texts(deck, topic: str) -> str:
    """The text of every slide of one topic (e.g. "warnings", "warnings-chart", "warnings-list")."""
    found: list[str] = []

    def walk(node) -> None:
        ident = getattr(node, "id", None)
        if isinstance(ident, str) and ident.startswith(f"meeting-mode-section-{topic}"):
            found.append(texts(node))
            return
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                walk(child)

    walk(deck)
    assert found, topic
    return " ".join(found)


def test_meeting_mode_and_compare_name_nobody_before_publication(demo_app, pages):
    meeting, compare = pages
    with logged_in(demo_app, "T0001"):
        session = get_session()
        previous, current = semesters(session)
        report = build_report(session, current, DEMO_NOW)
        at_risk = [
            m
            for m in report.members
            if m.final_grade == "unqualified" or m.warning.level == "critical"
        ]
        assert at_risk  # the demo has real risks (≥ 3 lates), so the check means something
        body, _, _ = meeting.render_meeting_mode(current.id)
        graded = slide_texts(body, "assessment")
        warned = slide_texts(body, "warnings")
        failing = sum(1 for m in report.members if m.final_grade == "unqualified")
        critical = sum(1 for m in report.members if m.warning.level == "critical")
        assert f"不合格风险 {failing} 人" in graded
        assert f"不合格风险 {critical} 人" in warned
        for m in report.members:
            assert m.name not in graded and m.name not in warned, m.name
        compared = texts(compare.render_compare(current.id))
        assert not any(m.name in compared for m in at_risk)
        # Once published (the previous term) the meeting names who was 不合格 and why.
        done = build_report(session, previous, DEMO_NOW)
        body, _, _ = meeting.render_meeting_mode(previous.id)
        named = texts(body)
        assert all(m.name in named for m in done.members if m.final_grade == "unqualified")

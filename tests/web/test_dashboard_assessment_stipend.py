"""考核 and 补贴 pages: callbacks called directly on the demo data, checked against the engine."""

from __future__ import annotations

import base64
import importlib
import io
from datetime import date
from decimal import Decimal

import dash
import pandas as pd
import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from data.models import Assessment, Grade, Semester, User
from data.report import build_report
from tests.conftest import DEMO_NOW
from tests.dash_helpers import figure_of, logged_in, texts
from web import get_session

pytestmark = pytest.mark.db


@pytest.fixture
def assessment(demo_app):
    # The app has loaded the page modules by now: reuse them rather than registering again.
    return importlib.import_module("dashboard.pages.assessment")


@pytest.fixture
def stipend(demo_app):
    return importlib.import_module("dashboard.pages.stipend")


GRADE_CN = {"excellent": "优秀", "qualified": "合格", "unqualified": "不合格"}


def find(component, component_id: str):
    """The component with ``component_id`` inside a rendered tree, else None."""
    if component is None or isinstance(component, str | int | float):
        return None
    if isinstance(component, list | tuple):
        for child in component:
            hit = find(child, component_id)
            if hit is not None:
                return hit
        return None
    if getattr(component, "id", None) == component_id:
        return component
    return find(getattr(component, "children", None), component_id)


def semesters() -> tuple[Semester, Semester]:
    """The demo's (previous, current) semesters."""
    previous, current = get_session().scalars(select(Semester).order_by(Semester.start)).all()
    return previous, current


def read_download(data: dict) -> dict[str, pd.DataFrame]:
    raw = base64.b64decode(data["content"]) if data.get("base64") else data["content"]
    return pd.read_excel(io.BytesIO(raw), sheet_name=None, dtype={"学号": str})


# --- 考核


def test_assessment_grid_matches_the_engine_for_the_finished_semester(
    demo_app, assessment, stipend
):
    with logged_in(demo_app, "T0001"):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
        assert report.assessed
        body = assessment.render_assessment(previous.id)
        rows = {r["学号"]: r for r in find(body, "assessment-grid").rowData}
        assert len(rows) == len(report.members) > 30
        for m in report.members:
            row = rows[m.username]
            assert row["总分"] == m.assessment.total
            assert row["出勤"] == m.assessment.attendance
            assert row["兼辅评价"] == m.assessment.counselor
            assert row["等级"] == GRADE_CN[m.final_grade]
            assert row["续聘"] == ("不再聘任" if m.final_grade == "unqualified" else "可续聘")
        assert find(body, "assessment-estimate") is None
        # The grade bars show the engine's counts in the order 优秀/合格/不合格.
        bars = figure_of(find(body, "assessment-grades")).data[0]
        assert list(bars.y) == [
            sum(1 for m in report.members if m.final_grade == g)
            for g in ("excellent", "qualified", "unqualified")
        ]


def test_unqualified_list_and_rehire_equal_the_engines(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
        failing = [m for m in report.members if m.final_grade == "unqualified"]
        assert failing, "the demo's previous semester has 不合格 members"
        body = assessment.render_assessment(previous.id)
        items = find(body, "assessment-failing").children
        assert len(items) == len(failing)
        for item, m in zip(items, failing, strict=True):
            text = texts(item)
            assert m.name in text and m.username in text
            for reason in m.assessment.reasons:
                assert reason in text
        rehire = texts(find(body, "assessment-rehire"))
        assert f"不再聘任 {len(failing)} 人" in rehire
        assert f"可续聘 {len(report.members) - len(failing)} 人" in rehire
        assert "第七条三" in rehire


def test_history_counts_stored_grades_per_semester(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        previous, current = semesters()
        session = get_session()
        figure = figure_of(assessment.render_history(current.id))
        stored = session.scalars(select(Assessment).where(Assessment.semester_id == previous.id))
        expected = {GRADE_CN[g]: 0 for g in GRADE_CN}
        for a in stored:
            expected[GRADE_CN[a.final_grade.value]] += 1
        for trace in figure.data:
            assert list(trace.x) == [previous.name, current.name + "（预估）"]
            assert trace.y[0] == expected[trace.name]


def test_current_semester_is_shown_as_an_estimate(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        body = assessment.render_assessment(current.id)
        assert "学期尚未结束，以下为截至目前的预估" in texts(body)
        rows = find(body, "assessment-grid").rowData
        assert rows and all(r["等级"].endswith("（预估）") for r in rows)
        assert all(r["续聘"] == "学期结束后确定" for r in rows)
        assert find(body, "assessment-rehire") is None


def test_an_override_is_marked_with_its_reason(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001") as counselor:
        previous, _ = semesters()
        session = get_session()
        stored = session.scalars(
            select(Assessment)
            .where(Assessment.semester_id == previous.id, Assessment.grade == Grade.qualified)
            .order_by(Assessment.id)
        ).first()
        stored.override_grade = Grade.unqualified
        stored.override_reason = "多次无故不参加学院活动安排"
        stored.overridden_by_id = counselor.id
        session.commit()
        username = session.get(User, stored.user_id).username
        body = assessment.render_assessment(previous.id)
        row = next(r for r in find(body, "assessment-grid").rowData if r["学号"] == username)
        assert row["等级"] == "不合格"
        assert row["改判"] == "由合格改判"
        assert row["改判说明"] == "多次无故不参加学院活动安排"
        assert "兼辅改判：多次无故不参加学院活动安排" in texts(find(body, "assessment-failing"))


def test_assessment_export_holds_the_grid(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
        sheets = read_download(assessment.export_assessment(1, previous.id))
        frame = sheets["考核"]
        assert list(frame["学号"]) == [m.username for m in report.members]
        assert list(frame["总分"]) == [m.assessment.total for m in report.members]


# --- 补贴


def test_stipend_totals_equal_the_engines(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
        total = sum((m.stipend.amount for m in report.members), Decimal("0"))
        hours = sum((m.stipend.hours for m in report.members), Decimal("0"))
        body = stipend.render_stipend(previous.id)
        kpis = texts(find(body, "stipend-kpis"))
        assert f"{total:,.2f}" in kpis and f"{hours:.2f}" in kpis
        rows = find(body, "stipend-grid").rowData
        assert sum(Decimal(str(r["金额(元)"])) for r in rows) == total
        by_user = {m.username: m.stipend for m in report.members}
        for r in rows:
            s = by_user[r["学号"]]
            assert Decimal(str(r["工时(小时)"])) == s.hours
            assert Decimal(str(r["系数"])) == s.factor
            assert r["状态"] == "已发放"  # the demo paid the previous term
        assert any(r["嘉奖(元)"] > 0 for r in rows)
        assert find(body, "stipend-estimate") is None


def test_stipend_monthly_chart_and_current_semester_state(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        report = build_report(get_session(), current, DEMO_NOW)
        body = stipend.render_stipend(current.id)
        assert "学期尚未结束，以下为截至目前的预估" in texts(body)
        rows = find(body, "stipend-grid").rowData
        assert {r["状态"] for r in rows} == {"未生成"}
        counted = figure_of(find(body, "stipend-monthly")).data[0]
        months = sorted({k for m in report.members for k in m.stipend.monthly})
        assert list(counted.x) == months
        expected = sum(float(m.stipend.hours) for m in report.members)
        assert sum(counted.y) == pytest.approx(expected, abs=0.05)


def test_stipend_export(demo_app, assessment, stipend):
    with logged_in(demo_app, "L0001"):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
        frame = read_download(stipend.export_stipend(1, previous.id))["补贴"]
        assert frame["金额(元)"].sum() == pytest.approx(
            float(sum(m.stipend.amount for m in report.members))
        )


# --- roles and empty states


@pytest.mark.parametrize("username", ["T0001", "L0001"])
def test_counselor_and_leadership_may_see_both_pages(demo_app, assessment, stipend, username):
    with logged_in(demo_app, username):
        previous, _ = semesters()
        assert find(assessment.render_assessment(previous.id), "assessment-grid") is not None
        assert find(stipend.render_stipend(previous.id), "stipend-grid") is not None
        assert "无权" not in texts(assessment.layout())
        assert "无权" not in texts(stipend.layout())


@pytest.mark.parametrize("username", ["20242103", "20230215"])
def test_leader_and_assistants_are_refused(demo_app, assessment, stipend, username):
    with logged_in(demo_app, username):
        previous, _ = semesters()
        for render in (assessment.render_assessment, stipend.render_stipend):
            with pytest.raises(Forbidden):
                render(previous.id)
        with pytest.raises(Forbidden):
            assessment.export_assessment(1, previous.id)
        with pytest.raises(Forbidden):
            stipend.export_stipend(1, previous.id)
        assert "无权查看此页面" in texts(assessment.layout())
        assert "无权查看此页面" in texts(stipend.layout())


def test_new_semester_without_data_shows_guidance(demo_app, assessment, stipend):
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        session = get_session()
        empty = Semester(
            team_id=current.team_id,
            name="2027-2028学年第一学期",
            start=date(2027, 9, 1),
            end=date(2028, 1, 15),
        )
        session.add(empty)
        session.commit()
        for render, slug in (
            (assessment.render_assessment, "assessment"),
            (stipend.render_stipend, "stipend"),
        ):
            body = render(empty.id)
            assert "还没有聘任的助管" in texts(body)
            assert find(body, f"{slug}-grid") is None
        # No semester at all (or another team's): friendly guidance, no error.
        assert "还没有学期数据" in texts(assessment.render_assessment(None))
        assert "还没有学期数据" in texts(stipend.render_stipend(987654))
        assert assessment.export_assessment(1, None) is dash.no_update

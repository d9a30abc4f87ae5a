"""学期对比, 会议模式 and the semester workbook download, on the demo data."""

from __future__ import annotations

import importlib
import io
import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from dashboard.tables.compare import FULL, SAME, semester_week, week_end
from data.cli.report import end_of_local_day
from data.export import SHEETS
from data.models import Semester, Team
from data.report import build_report
from tests.conftest import DEMO_NOW, AuthActions
from tests.dash_helpers import figure_of, logged_in, texts
from tests.web.test_dashboard_assessment_stipend import find
from web import get_session

pytestmark = pytest.mark.db

PASSWORDS = {
    "T0001": "demo-counselor",
    "L0001": "demo-leader",
    "20242103": "demo1234",
    "20230215": "demo1234",
}


@pytest.fixture
def compare(demo_app):
    # The app has loaded the page modules by now: reuse them rather than registering again.
    return importlib.import_module("dashboard.pages.compare")


@pytest.fixture
def meeting(demo_app):
    return importlib.import_module("dashboard.pages.meeting_mode")


@pytest.fixture
def web_app(demo_app):
    """The demo app with the workbook route (registered here until the shell does it)."""
    from dashboard.downloads import register_downloads

    if "dashboard_report_xlsx" not in demo_app.view_functions:
        register_downloads(demo_app)
    return demo_app


def semesters() -> tuple[Semester, Semester]:
    previous, current = get_session().scalars(select(Semester).order_by(Semester.start)).all()
    return previous, current


def client_as(app, username: str):
    client = app.test_client()
    response = AuthActions(client).login(username, PASSWORDS[username])
    assert response.status_code == 302, username
    return client


# --- 学期对比


def test_compare_rates_equal_the_engine_per_semester(demo_app, compare):
    with logged_in(demo_app, "L0001"):
        previous, current = semesters()
        session = get_session()
        reports = [build_report(session, s, DEMO_NOW) for s in (previous, current)]
        body = compare.render_compare(current.id, FULL)
        rate = figure_of(find(body, "compare-rate")).data[0]
        expected = [r.attendance.total().attended / r.attendance.total().expected for r in reports]
        assert list(rate.y) == pytest.approx(expected)
        labels = [previous.name, current.name + "（进行中）"]
        assert list(rate.x) == [compare.chart_name(label) for label in labels]
        late = figure_of(find(body, "compare-late")).data[0]
        assert list(late.y) == pytest.approx(
            [r.attendance.total().late / len(r.members) for r in reports]
        )
        hours = figure_of(find(body, "compare-hours")).data[0]
        assert list(hours.y) == pytest.approx(
            [sum(m.hours for m in r.members) / len(r.members) for r in reports], abs=0.01
        )
        rows = find(body, "compare-grid").rowData
        assert [r["学期"] for r in rows] == [previous.name, current.name]
        for row, report in zip(rows, reports, strict=True):
            total = report.attendance.total()
            assert row["应值班次"] == total.expected and row["出勤"] == total.attended
            assert row["迟到"] == total.late
            assert row["不合格"] == sum(1 for m in report.members if m.final_grade == "unqualified")
        assert rows[0]["考核"] == "已结束" and rows[1]["考核"] == "进行中（预估）"
        assert [r["统计截至"] for r in rows] == ["全学期", "截至今天"]
        grades = figure_of(find(body, "compare-grades"))
        assert {t.name for t in grades.data} == {"优秀", "合格", "不合格"}


def test_compare_same_point_equals_the_engine_at_week_n(demo_app, compare):
    """A running semester in week N against a finished one: the finished one as of its week N."""
    with logged_in(demo_app, "L0001"):
        previous, current = semesters()
        session = get_session()
        week = semester_week(current.start, DEMO_NOW.date())
        assert 1 < week < 30
        cut = end_of_local_day(week_end(previous.start, previous.end, week))
        assert cut < end_of_local_day(previous.end)  # a real cut, not the whole term
        then = build_report(session, previous, cut)
        whole = build_report(session, previous, DEMO_NOW)
        running = build_report(session, current, DEMO_NOW)
        body = compare.render_compare(current.id)  # 同期 is the default
        rows = find(body, "compare-grid").rowData
        labels = [f"{previous.name} 第{week}周（同期）", f"{current.name} 第{week}周（进行中）"]
        # The charts break each label into lines (学年 / 学期 / 第N周) to stay upright on a phone.
        lines = [compare.chart_name(label).split("<br>") for label in labels]
        assert lines[0][-1] == f"第{week}周（同期）" and lines[0][0].endswith("学年")
        assert ["".join(parts[:-1]) + " " + parts[-1] for parts in lines] == labels
        names = [compare.chart_name(label) for label in labels]
        assert list(figure_of(find(body, "compare-rate")).data[0].x) == names
        assert [r["统计截至"] for r in rows] == [f"第{week}周（同期）", f"第{week}周（进行中）"]
        for row, report in zip(rows, (then, running), strict=True):
            total = report.attendance.total()
            assert row["应值班次"] == total.expected and row["出勤"] == total.attended
            assert row["迟到"] == total.late and row["缺勤"] == total.absent
            hours = sum(m.hours for m in report.members)
            assert row["人均工时(小时)"] == pytest.approx(hours / len(report.members), abs=0.01)
            assert row["人均迟到"] == pytest.approx(total.late / len(report.members), abs=0.01)
        assert rows[0]["应值班次"] < whole.attendance.total().expected
        assert f"第 {week} 周" in texts(body) and "同期" in texts(body)
        # An unknown scope value is the default view, not an error.
        assert find(compare.render_compare(current.id, "bogus"), "compare-grid").rowData == rows


def test_compare_week_of_the_semester():
    start = date(2026, 9, 9)  # a Wednesday: its week is week 1
    assert semester_week(start, date(2026, 9, 7)) == 1
    assert semester_week(start, date(2026, 9, 13)) == 1
    assert semester_week(start, date(2026, 9, 14)) == 2
    assert week_end(start, date(2027, 1, 15), 1) == date(2026, 9, 13)
    assert week_end(start, date(2027, 1, 15), 12) == date(2026, 9, 13) + timedelta(weeks=11)
    assert week_end(start, date(2026, 10, 1), 12) == date(2026, 10, 1)  # a shorter term


def test_compare_without_a_running_semester_shows_whole_terms(demo_app, compare):
    later = datetime(2027, 3, 1, 12, 0, tzinfo=DEMO_NOW.tzinfo)  # between the terms
    demo_app.config["CLOCK"] = lambda: later
    with logged_in(demo_app, "L0001"):
        _, current = semesters()
        body = compare.render_compare(current.id, SAME)
        assert "目前没有进行中的学期" in texts(body)
        assert "同期）" not in texts(body)


def test_compare_renders_and_exports(demo_app, compare):
    # Its speed is measured by `python -m bench.demo`, not asserted here (a loaded machine).
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        body = compare.render_compare(current.id)
        grid = find(body, "compare-grid")
        assert grid.rowData
        rate = next(c for c in grid.columnDefs if c["field"] == "出勤率")
        assert "%" in rate["valueFormatter"]["function"]  # 99.4%, not 0.9936
        content = _bytes(compare.export_compare(1, current.id, FULL))
        frame = pd.read_excel(io.BytesIO(content), sheet_name="学期对比")
        assert len(frame) == 2
        sheet = load_workbook(io.BytesIO(content))["学期对比"]
        cell = sheet.cell(row=2, column=list(frame.columns).index("出勤率") + 1)
        assert 0 < cell.value <= 1 and cell.number_format == "0.0%"


def test_compare_for_an_empty_team_gives_guidance(demo_app, compare):
    with logged_in(demo_app, "T0001"):
        session = get_session()
        team = Team(name="外语学院助管团")
        session.add(team)
        session.flush()
        empty = Semester(
            team_id=team.id, name="新学期", start=date(2026, 9, 1), end=date(2027, 1, 15)
        )
        session.add(empty)
        session.commit()
    # A university-wide leader sees every team's semesters; an empty team gets guidance.
    with logged_in(demo_app, "L0001") as leader:
        leader.team_id = None
        body = compare.render_compare(empty.id)
        assert "还没有有数据的学期" in texts(body)
        assert "在上方切换学期" in texts(body)


# --- 会议模式


def _slides(body) -> dict[str, object]:
    """Slide id (without the page prefix) → the slide."""
    return {s.id.removeprefix("meeting-mode-section-"): s for s in body.children}


def _graphs(component) -> int:
    """How many figures a component tree holds."""
    if isinstance(component, list | tuple):
        return sum(_graphs(c) for c in component)
    if not hasattr(component, "children"):
        return 0
    return (type(component).__name__ == "Graph") + _graphs(component.children)


def _title(slide) -> str:
    return slide.children.children[0].children[0].children


def test_meeting_mode_has_one_slide_per_kpi_group_or_figure(demo_app, meeting):
    with logged_in(demo_app, "T0001"):
        previous, current = semesters()
        report = build_report(get_session(), current, DEMO_NOW)
        body, href, exit_href = meeting.render_meeting_mode(current.id)
        assert href == f"/dashboard/report.xlsx?semester={current.id}"
        assert exit_href == f"/dashboard/?semester={current.id}"
        assert body.className == "slides"
        slides = _slides(body)
        assert list(slides)[:4] == ["overview", "attendance", "attendance-weekly", "attendance-top"]
        assert {"warnings", "records", "meetings", "assessment", "grades", "stipend"} <= set(slides)
        titles = [_title(s) for s in slides.values()]
        assert "考核（预估）" in titles and titles[-1] == "补贴（预估）"
        # Numbered "k / n" in every footer, and at most one figure per slide.
        count = len(slides)
        for i, slide in enumerate(slides.values(), start=1):
            assert f"{i} / {count}" in texts(slide)
            assert _graphs(slide) <= 1
        overview = texts(slides["overview"])
        total = report.attendance.total()
        assert f"{len(report.members)}" in overview and "在岗助管" in overview
        assert f"{total.attended / total.expected:.1%}" in overview
        assert "学期尚未结束，以下为截至目前的预估" in texts(slides["assessment"])
        counts = figure_of(find(slides["warnings-chart"], "meeting-mode-warnings"))
        levels = [m.warning.level for m in report.members]
        assert list(counts.data[0].y) == [levels.count(x) for x in ("critical", "warning", "info")]
        assert counts.layout.height is None and counts.layout.font.size >= 24  # sized to the slide
        # The finished term: final grades, no estimate banner.
        body, _, _ = meeting.render_meeting_mode(previous.id)
        assert "预估" not in texts(body)
        assert "不合格及原因" in texts(body)


def test_meeting_mode_shows_no_personal_data(demo_app, meeting):
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        body, _, _ = meeting.render_meeting_mode(current.id)
        text = texts(body)
        phones = [u.phone for u in get_session().scalars(select(Team)).first().members if u.phone]
        assert phones and not any(p in text for p in phones)
        assert "政治面貌" not in text and "家庭经济困难" not in text


def test_meeting_mode_roles_and_empty_state(demo_app, meeting, compare):
    for username in ("20242103", "20230215"):
        with logged_in(demo_app, username):
            _, current = semesters()
            for render in (meeting.render_meeting_mode, compare.render_compare):
                with pytest.raises(Forbidden):
                    render(current.id)
            assert "无权查看此页面" in texts(meeting.layout())
            assert "无权查看此页面" in texts(compare.layout())
    with logged_in(demo_app, "L0001"):
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
        body, href, _ = meeting.render_meeting_mode(empty.id)
        assert "暂时没有可汇报的内容" in texts(body)
        assert href.endswith(f"semester={empty.id}")
        body, href, exit_href = meeting.render_meeting_mode(None)
        assert "还没有学期数据" in texts(body) and href == "" and exit_href == "/dashboard/"
        assert "无权" not in texts(meeting.layout())


# --- the workbook download


def _bytes(data: dict) -> bytes:
    import base64

    return base64.b64decode(data["content"]) if data.get("base64") else data["content"]


@pytest.mark.parametrize("username", ["T0001", "L0001"])
def test_workbook_download_matches_the_engine(web_app, username):
    client = client_as(web_app, username)
    with logged_in(web_app, username):
        previous, _ = semesters()
        report = build_report(get_session(), previous, DEMO_NOW)
    response = client.get(f"/dashboard/report.xlsx?semester={previous.id}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None, dtype={"学号": str})
    assert list(sheets) == list(SHEETS)
    for name, columns in SHEETS.items():
        assert list(sheets[name].columns)[: len(columns)] == columns
    attendance = sheets["考勤汇总"]
    assert list(attendance["学号"]) == [m.username for m in report.members]
    assert list(attendance["迟到"]) == [m.attendance.late for m in report.members]
    assert attendance["迟到"].sum() > 0


@pytest.mark.parametrize("username", ["20242103", "20230215"])
def test_workbook_download_refused_to_leader_and_assistant(web_app, username):
    client = client_as(web_app, username)
    with logged_in(web_app, username):
        previous, _ = semesters()
    response = client.get(f"/dashboard/report.xlsx?semester={previous.id}")
    assert response.status_code == 403
    assert "无权" in response.get_data(as_text=True)


def test_workbook_download_unknown_or_foreign_semester(web_app):
    with logged_in(web_app, "T0001"):
        session = get_session()
        team = Team(name="外语学院助管团")
        session.add(team)
        session.flush()
        foreign = Semester(
            team_id=team.id, name="外院学期", start=date(2026, 9, 1), end=date(2027, 1, 15)
        )
        session.add(foreign)
        session.commit()
        foreign_id = foreign.id
    client = client_as(web_app, "T0001")
    for query in (f"?semester={foreign_id}", "?semester=999999", "?semester=abc", ""):
        response = client.get("/dashboard/report.xlsx" + query)
        assert response.status_code == 404, query
        assert "找不到该学期" in response.get_data(as_text=True)
    anonymous = web_app.test_client().get(f"/dashboard/report.xlsx?semester={foreign_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# --- Dash's own endpoint


# The page controls beside the semester picker, as the browser sends them.
EXTRA_INPUTS = {
    "compare-body": [{"id": "compare-scope", "property": "value", "value": "same"}],
    "stipend-body": [
        {"id": "stipend-month", "property": "value", "value": None},
        {"id": "stipend-range", "property": "start_date", "value": None},
        {"id": "stipend-range", "property": "end_date", "value": None},
    ],
}


def _update(client, semester_id: int, output: str = "compare-body"):
    payload = {
        "output": f"{output}.children",
        "outputs": {"id": output, "property": "children"},
        "inputs": [{"id": "shell-semester", "property": "value", "value": semester_id}]
        + EXTRA_INPUTS.get(output, []),
        "changedPropIds": ["shell-semester.value"],
        "state": [],
    }
    return client.post(
        "/dashboard/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_dash_endpoint_refuses_assistants_and_the_leader(web_app):
    with logged_in(web_app, "T0001"):
        previous, _ = semesters()
    assert _update(client_as(web_app, "20230215"), previous.id).status_code == 403
    # The 团长 passes the dashboard guard (attendance pages) but not these pages' callbacks.
    for output in ("compare-body", "assessment-body", "stipend-body"):
        assert _update(client_as(web_app, "20242103"), previous.id, output).status_code == 403
    response = _update(client_as(web_app, "L0001"), previous.id)
    assert response.status_code == 200
    assert "出勤率" in json.dumps(response.get_json(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("label", "lines"),
    [
        ("2025-2026学年第二学期 第13周（同期）", ["2025-2026学年", "第二学期", "第13周（同期）"]),
        ("2026-2027学年第一学期（进行中）", ["2026-2027学年", "第一学期（进行中）"]),
        ("秋季学期 第3周（进行中）", ["秋季学期", "第3周（进行中）"]),
        ("秋季学期", ["秋季学期"]),
    ],
)
def test_chart_names_break_into_short_lines(compare, label, lines):
    assert compare.chart_name(label).split("<br>") == lines

"""学期对比, 会议模式 and the semester workbook download, on the demo data."""

from __future__ import annotations

import importlib
import io
import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from data.export import SHEETS
from data.models import Semester, Team
from data.report import build_report
from tests.conftest import DEMO_NOW, AuthActions
from tests.dash_helpers import logged_in, texts
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
        body = compare.render_compare(current.id)
        rate = find(body, "compare-rate").figure.data[0]
        expected = [r.attendance.total().attended / r.attendance.total().expected for r in reports]
        assert list(rate.y) == pytest.approx(expected)
        assert list(rate.x) == [previous.name, current.name + "（进行中）"]
        late = find(body, "compare-late").figure.data[0]
        assert list(late.y) == pytest.approx(
            [r.attendance.total().late / len(r.members) for r in reports]
        )
        hours = find(body, "compare-hours").figure.data[0]
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
        grades = find(body, "compare-grades").figure
        assert {t.name for t in grades.data} == {"优秀", "合格", "不合格"}


def test_compare_renders_and_exports(demo_app, compare):
    # Its speed is measured by `python -m bench.demo`, not asserted here (a loaded machine).
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        body = compare.render_compare(current.id)
        assert find(body, "compare-grid").rowData
        data = compare.export_compare(1, current.id)
        frame = pd.read_excel(io.BytesIO(_bytes(data)), sheet_name="学期对比")
        assert len(frame) == 2


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


def test_meeting_mode_has_one_section_per_topic(demo_app, meeting):
    with logged_in(demo_app, "T0001"):
        previous, current = semesters()
        report = build_report(get_session(), current, DEMO_NOW)
        body, href = meeting.render_meeting_mode(current.id)
        assert href == f"/dashboard/report.xlsx?semester={current.id}"
        sections = body.children
        titles = [s.children[0].children for s in sections]
        assert titles[1:] == ["考勤", "预警", "工作记录", "例会", "考核（预估）", "补贴（预估）"]
        assert all(s.style == {"breakAfter": "page"} for s in sections)
        overview = texts(sections[0])
        total = report.attendance.total()
        assert f"{len(report.members)} 人" in overview
        assert f"{total.attended / total.expected:.1%}" in overview
        assert "学期尚未结束，以下为截至目前的预估" in texts(sections[5])
        counts = find(sections[2], "meeting-mode-warnings").figure.data[0]
        levels = [m.warning.level for m in report.members]
        assert list(counts.y) == [levels.count(x) for x in ("critical", "warning", "info")]
        # The finished term: final grades, no estimate banner.
        body, _ = meeting.render_meeting_mode(previous.id)
        assert "预估" not in texts(body)
        assert "不合格及原因" in texts(body)


def test_meeting_mode_shows_no_personal_data(demo_app, meeting):
    with logged_in(demo_app, "T0001"):
        _, current = semesters()
        body, _ = meeting.render_meeting_mode(current.id)
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
        body, href = meeting.render_meeting_mode(empty.id)
        assert "暂时没有可汇报的内容" in texts(body)
        assert href.endswith(f"semester={empty.id}")
        body, href = meeting.render_meeting_mode(None)
        assert "还没有学期数据" in texts(body) and href == ""
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


def _update(client, semester_id: int, output: str = "compare-body"):
    payload = {
        "output": f"{output}.children",
        "outputs": {"id": output, "property": "children"},
        "inputs": [{"id": "shell-semester", "property": "value", "value": semester_id}],
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

"""考勤 page: callbacks called directly on the demo team, numbers checked against the engine."""

from __future__ import annotations

import importlib
import json
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from data.models import Semester, Team
from data.report import build_report
from tests.conftest import DEMO_NOW, DEMO_TODAY
from tests.dash_helpers import figure_of, logged_in, texts
from web import get_session

pytestmark = pytest.mark.db


def page(name: str):
    """A page module as Dash registered it (dashboard/pages is not a package)."""
    return importlib.import_module(f"dashboard.pages.{name}")


def current_semester_id(app) -> int:
    with app.app_context():
        return get_session().scalar(
            select(Semester.id).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
        )


def find(component, component_id: str):
    """The component with ``id`` inside a rendered tree."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            hit = find(child, component_id)
            if hit is not None:
                return hit
    elif children is not None and not isinstance(children, str | int | float):
        return find(children, component_id)
    for prop in ("body",):
        value = getattr(component, prop, None)
        if value is not None:
            return find(value, component_id)
    return None


def test_grid_matches_the_engine_per_assistant(demo_app):
    attendance = page("attendance")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = attendance.render_attendance(semester_id)
        session = get_session()
        report = build_report(session, session.get(Semester, semester_id), DEMO_NOW)
    grid = find(body, "attendance-grid")
    assert grid is not None
    rows = {r["学号"]: r for r in grid.rowData}
    assert set(rows) == {m.username for m in report.members}
    for m in report.members:
        row = rows[m.username]
        assert row["迟到"] == m.attendance.late
        assert row["缺勤"] == m.attendance.absent
        assert row["应值班次"] == m.attendance.expected
        assert row["出勤"] == m.attendance.attended
        assert row["早退"] == m.attendance.early
        assert row["请假"] == m.attendance.leave
        assert row["漏签退"] == m.attendance.missed_sign_out
        assert row["工时(小时)"] == pytest.approx(m.hours)
    headers = [c["headerName"] for c in grid.columnDefs if not c.get("hide")]
    assert headers == [
        "学号",
        "姓名",
        "应值班次",
        "出勤",
        "迟到",
        "早退",
        "缺勤",
        "请假",
        "漏签退",
        "工时(小时)",
        "出勤率",
    ]
    assert sum(r["迟到"] for r in grid.rowData) > 0  # the demo has lates


def test_heatmap_counts_every_late_duty(demo_app):
    attendance = page("attendance")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = attendance.render_attendance(semester_id)
        session = get_session()
        report = build_report(session, session.get(Semester, semester_id), DEMO_NOW)
    heat = figure_of(find(body, "attendance-heatmap"))
    assert list(heat.data[0].y) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert heat.layout.xaxis.title.text == "班次开始时间"
    total_late = sum(m.attendance.late for m in report.members)
    assert sum(sum(row) for row in heat.data[0].z) == total_late
    bars = figure_of(find(body, "attendance-weekly"))
    assert len(bars.data) >= 3  # several statuses stacked
    assert f"共迟到 {total_late} 次" in texts(body)


def test_today_is_one_line_linking_to_the_board(demo_app):
    attendance = page("attendance")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = attendance.render_attendance(semester_id)
    link = find(body, "attendance-today-link")
    assert link is not None and link.href == "/dashboard/today"
    assert find(body, "attendance-today") is None  # the live states are on the board


def test_previous_semester_differs_and_has_no_today_list(demo_app):
    attendance = page("attendance")
    with demo_app.app_context():
        old = get_session().scalar(select(Semester.id).where(Semester.end < DEMO_TODAY))
    with logged_in(demo_app, "T0001"):
        body = attendance.render_attendance(old)
        assert "今天不在所选学期内" in texts(body)
        assert find(body, "attendance-grid").rowData != []


def test_excel_export(demo_app):
    attendance = page("attendance")
    with logged_in(demo_app, "T0001"):
        data = attendance.export_attendance(1, current_semester_id(demo_app))
    assert data["filename"].startswith("考勤-") and data["filename"].endswith(".xlsx")
    assert data["base64"] is True and len(data["content"]) > 1000


def test_new_semester_without_schedule_shows_guidance(demo_app):
    attendance = page("attendance")
    with demo_app.app_context():
        session = get_session()
        team = session.scalar(select(Team))
        semester = Semester(team=team, name="2027春", start=date(2027, 3, 1), end=date(2027, 7, 10))
        session.add(semester)
        session.commit()
        new_id = semester.id
    with logged_in(demo_app, "T0001"):
        body = attendance.render_attendance(new_id)
    assert "请先导入名单和值班表" in texts(body)
    assert find(body, "attendance-grid") is None


def test_no_semester_is_a_friendly_alert(demo_app):
    attendance = page("attendance")
    with logged_in(demo_app, "T0001"):
        assert "还没有学期数据" in texts(attendance.render_attendance(None))
        assert "还没有学期数据" in texts(attendance.render_attendance(999_999))


@pytest.mark.parametrize("username", ["T0001", "L0001", "20242103"])
def test_staff_may_see_attendance(demo_app, username):
    attendance = page("attendance")
    with logged_in(demo_app, username):
        assert "无权" not in texts(attendance.layout())
        body = attendance.render_attendance(current_semester_id(demo_app))
        assert find(body, "attendance-grid") is not None


def test_assistant_is_refused(demo_app):
    attendance = page("attendance")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "20230215"):
        assert "无权查看此页面" in texts(attendance.layout())
        with pytest.raises(Forbidden):
            attendance.render_attendance(semester_id)
        with pytest.raises(Forbidden):
            attendance.export_attendance(1, semester_id)


def dash_post(client, output: str, semester_id: int):
    """The browser's request for ``output``: the semester picked, the other inputs empty."""
    entry = client.application.extensions["dash"].callback_map[output]

    def values(dependencies):
        return [
            {**d, "value": semester_id if d["id"] == "shell-semester" else None}
            for d in dependencies
        ]

    payload = {
        "output": output,
        "outputs": {"id": output.split(".")[0], "property": output.split(".")[1]},
        "inputs": values(entry["inputs"]),
        "state": values(entry["state"]),
        "changedPropIds": ["shell-semester.value"],
    }
    return client.post(
        "/dashboard/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
    )


def login(client, username: str, password: str) -> None:
    from tests.conftest import csrf_token

    page_html = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page_html)},
    )


def test_http_assistant_gets_403_counselor_gets_the_page(demo_app):
    semester_id = current_semester_id(demo_app)
    assistant = demo_app.test_client()
    login(assistant, "20230215", "demo1234")
    assert dash_post(assistant, "attendance-body.children", semester_id).status_code == 403
    counselor = demo_app.test_client()
    login(counselor, "T0001", "demo-counselor")
    response = dash_post(counselor, "attendance-body.children", semester_id)
    assert response.status_code == 200
    assert "attendance-grid" in response.get_data(as_text=True)

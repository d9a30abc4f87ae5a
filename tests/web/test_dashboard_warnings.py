"""预警 page: levels, the critical set, evidence, device alerts and 先斩后奏 leaves."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from data.models import DeviceAlert, LeaveKind, LeaveRequest, Semester, Team, User
from data.report import build_report
from tests.conftest import DEMO_NOW
from tests.dash_helpers import logged_in, texts
from tests.web.test_dashboard_attendance import current_semester_id, dash_post, find, login, page
from web import get_session

pytestmark = pytest.mark.db


def rendered(app, username: str = "T0001"):
    warnings = page("warnings")
    semester_id = current_semester_id(app)
    with logged_in(app, username):
        body = warnings.render_warnings(semester_id)
        session = get_session()
        report = build_report(session, session.get(Semester, semester_id), DEMO_NOW)
    return body, report


def test_critical_set_equals_the_engine(demo_app):
    body, report = rendered(demo_app)
    rows = find(body, "warnings-grid").rowData
    critical = {r["学号"] for r in rows if r["level"] == "critical"}
    assert critical == {m.username for m in report.members if m.warning.level == "critical"}
    assert critical  # the demo has people at risk
    three_lates = {m.username for m in report.members if m.attendance.late >= 3}
    assert three_lates <= critical
    # Everyone with a level is listed, with the engine's reasons, most severe first.
    assert {r["学号"] for r in rows} == {m.username for m in report.members if m.warning.level}
    ranks = {"critical": 3, "warning": 2, "info": 1}
    assert [ranks[r["level"]] for r in rows] == sorted(
        (ranks[r["level"]] for r in rows), reverse=True
    )
    by_user = {m.username: m for m in report.members}
    for r in rows:
        assert r["原因"] == "；".join(by_user[r["学号"]].warning.reasons)
        assert r["等级"] in {"不合格风险", "警告", "提醒"}


def test_level_cards_count_members(demo_app):
    body, report = rendered(demo_app)
    for level, label in (("critical", "不合格风险"), ("warning", "警告"), ("info", "提醒")):
        card = find(body, f"warnings-count-{label}")
        expected = sum(1 for m in report.members if m.warning.level == level)
        assert texts(card).split()[1] == str(expected)


def test_row_click_opens_the_evidence(demo_app):
    warnings = page("warnings")
    semester_id = current_semester_id(demo_app)
    body, report = rendered(demo_app)
    member = max(report.members, key=lambda m: (m.attendance.late, m.attendance.absent))
    assert member.attendance.late >= 3
    with logged_in(demo_app, "T0001"):
        is_open, title, content = warnings.show_evidence(
            {"rowId": str(member.user_id), "colId": "证据", "rowIndex": 0}, semester_id
        )
    assert is_open is True
    assert member.name in title
    table = find(content, "warnings-evidence")
    text = texts(table)
    assert text.count("迟到 ") >= member.attendance.late  # one row per late, with minutes
    assert "分钟" in text
    rows = table.children[1].children  # tbody rows
    kinds = [row.children[0].children for row in rows]
    assert kinds.count("迟到") == member.attendance.late
    assert kinds.count("缺勤") == member.attendance.absent
    assert kinds.count("漏签退") == member.attendance.missed_sign_out
    assert kinds.count("未写周总结") == member.weeks_without_summary


def test_evidence_is_refused_for_another_team(demo_app):
    warnings = page("warnings")
    with demo_app.app_context():
        session = get_session()
        other = Team(name="外院助管团")
        stranger = User(username="X0001", name="外人", team=other)
        session.add_all([other, stranger])
        session.commit()
        stranger_id = stranger.id
    with logged_in(demo_app, "T0001"):
        result = warnings.show_evidence({"rowId": str(stranger_id)}, current_semester_id(demo_app))
    assert result[0] is not True


def test_device_alerts_and_after_start_leaves(demo_app):
    semester_id = current_semester_id(demo_app)
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id)
        report = build_report(session, semester, DEMO_NOW)
        a, b = report.members[0], report.members[1]
        session.add(
            DeviceAlert(
                team_id=semester.team_id,
                device_id="dev-1",
                on=date(2026, 11, 3),
                user_ids=[a.user_id, b.user_id],
            )
        )
        session.commit()
        after_start = session.scalars(
            select(LeaveRequest).where(
                LeaveRequest.after_start.is_(True),
                LeaveRequest.kind != LeaveKind.phone,
                LeaveRequest.duty_date.between(semester.start, semester.end),
            )
        ).all()
        leave_people = {session.get(User, x.user_id).name for x in after_start}
    body, _ = rendered(demo_app)
    devices = find(body, "warnings-devices").rowData
    assert devices == [
        {
            "日期": "2026-11-03",
            "同一手机登录的账号": f"{a.name}（{a.username}）、{b.name}（{b.username}）",
            "状态": "未处理",
        }
    ]
    assert after_start  # the demo has a 先斩后奏 leave
    leaves = find(body, "warnings-leaves").rowData
    assert {r["姓名"] for r in leaves} == leave_people
    assert all(r["状态"] in {"待审批", "已批准", "已驳回", "已撤销"} for r in leaves)


def test_no_personal_data(demo_app):
    body, _ = rendered(demo_app)
    text = texts(body) + str(find(body, "warnings-grid").rowData)
    with demo_app.app_context():
        phones = [p for p in get_session().scalars(select(User.phone)) if p]
    assert phones and not any(p in text for p in phones)


def test_excel_export(demo_app):
    warnings = page("warnings")
    with logged_in(demo_app, "L0001"):
        data = warnings.export_warnings(1, current_semester_id(demo_app))
    assert data["filename"].startswith("预警-")


def test_empty_semester_shows_guidance(demo_app):
    warnings = page("warnings")
    with demo_app.app_context():
        session = get_session()
        semester = Semester(
            team=session.scalar(select(Team)),
            name="2027春",
            start=date(2027, 3, 1),
            end=date(2027, 7, 10),
        )
        session.add(semester)
        session.commit()
        new_id = semester.id
    with logged_in(demo_app, "T0001"):
        body = warnings.render_warnings(new_id)
    assert "还没有在岗助管" in texts(body)


@pytest.mark.parametrize("username", ["T0001", "L0001", "20242103"])
def test_leader_and_staff_may_see_warnings(demo_app, username):
    warnings = page("warnings")
    with logged_in(demo_app, username):
        assert "无权" not in texts(warnings.layout())
        body = warnings.render_warnings(current_semester_id(demo_app))
    assert find(body, "warnings-grid") is not None


def test_assistant_is_refused(demo_app):
    warnings = page("warnings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "20230215"):
        assert "无权查看此页面" in texts(warnings.layout())
        for call in (
            lambda: warnings.render_warnings(semester_id),
            lambda: warnings.show_evidence({"rowId": "1"}, semester_id),
            lambda: warnings.export_warnings(1, semester_id),
        ):
            with pytest.raises(Forbidden):
                call()
    client = demo_app.test_client()
    login(client, "20230215", "demo1234")
    assert dash_post(client, "warnings-body.children", semester_id).status_code == 403

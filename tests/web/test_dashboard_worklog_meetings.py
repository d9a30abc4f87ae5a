"""工作记录 and 例会与培训 pages: callbacks called directly on the demo team."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from data.models import (
    Meeting,
    Presence,
    Semester,
    Team,
    Training,
    TrainingAttendance,
    User,
    WorkRecord,
)
from data.report import build_report
from tests.conftest import DEMO_NOW, DEMO_TODAY
from tests.dash_helpers import figure_of, logged_in, texts
from tests.web.test_dashboard_attendance import current_semester_id, dash_post, find, login, page
from web import get_session

pytestmark = pytest.mark.db


def report_of(app, semester_id: int):
    with app.app_context():
        session = get_session()
        return build_report(session, session.get(Semester, semester_id), DEMO_NOW)


# --- 工作记录


def test_worklog_grid_matches_the_report(demo_app):
    worklog = page("worklog")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = worklog.render_worklog(semester_id)
    report = report_of(demo_app, semester_id)
    rows = {r["学号"]: r for r in find(body, "worklog-grid").rowData}
    assert set(rows) == {m.username for m in report.members}
    for m in report.members:
        row = rows[m.username]
        assert row["记录率"] == pytest.approx(m.record_rate, abs=1e-4)
        assert row["周总结周数"] == m.weekly_summaries
        assert row["应交周数"] == m.weekly_summaries + m.weeks_without_summary
        assert row["记录条数"] == m.records
    chart = figure_of(find(body, "worklog-weekly"))
    with demo_app.app_context():
        semester = get_session().get(Semester, semester_id)
        total = get_session().scalar(
            select(func.count(WorkRecord.id)).where(
                WorkRecord.duty_date.between(semester.start, semester.end)
            )
        )
    assert sum(chart.data[0].y) == total > 0


def test_recent_records_newest_first_and_searchable(demo_app):
    worklog = page("worklog")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        grid = worklog.render_recent(None, semester_id)
        rows = grid.rowData
        assert len(rows) == 50
        times = [r["提交时间"] for r in rows]
        assert times == sorted(times, reverse=True)
        name = rows[0]["姓名"]
        by_name = worklog.render_recent(f"  {name} ", semester_id).rowData
        assert by_name and all(r["姓名"] == name for r in by_name)
        word = rows[0]["内容"][:2]
        by_word = worklog.render_recent(word, semester_id).rowData
        assert by_word and all(word in r["内容"] or word in r["姓名"] for r in by_word)
        nothing = worklog.render_recent("不可能出现的内容%_", semester_id)
        assert "没有包含" in texts(nothing)


def test_worklog_export(demo_app):
    worklog = page("worklog")
    with logged_in(demo_app, "L0001"):
        data = worklog.export_worklog(1, current_semester_id(demo_app), None)
    assert data["filename"].startswith("工作记录-")


# --- 例会与培训


def test_meeting_progress_equals_the_engine(demo_app):
    meetings = page("meetings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = meetings.render_meetings(semester_id)
    progress = report_of(demo_app, semester_id).meeting_progress
    assert texts(find(body, "meetings-progress")) == f"例会 {progress.held}/{progress.required}"
    assert texts(find(body, "meetings-progress")) == "例会 1/2"  # the demo so far
    assert (find(body, "meetings-warning") is not None) == progress.warn


def test_meeting_list_and_matrix(demo_app):
    meetings = page("meetings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        body = meetings.render_meetings(semester_id)
    report = report_of(demo_app, semester_id)
    listed = find(body, "meetings-list").rowData
    assert [(r["出席"], r["请假"], r["缺席"]) for r in listed] == [
        (m.present, m.excused, m.absent) for m in report.meetings
    ]
    assert [r["会议记录"] for r in listed] == [
        "是" if m.has_minutes else "缺失" for m in report.meetings
    ]
    matrix = find(body, "meetings-matrix").rowData
    assert {r["学号"] for r in matrix} == {m.username for m in report.members}
    columns = [c for c in matrix[0] if c not in ("学号", "姓名")]
    assert len(columns) == len(report.meetings)
    for column, meeting in zip(columns, report.meetings, strict=True):
        cells = [r[column] for r in matrix]
        assert cells.count("出席") == meeting.present
        assert cells.count("请假") == meeting.excused
        assert cells.count("缺席") == meeting.absent


def test_missing_minutes_raise_the_warning(demo_app):
    meetings = page("meetings")
    semester_id = current_semester_id(demo_app)
    with demo_app.app_context():
        session = get_session()
        session.add(Meeting(semester_id=semester_id, held_on=date(2026, 11, 20), topic="临时例会"))
        session.commit()
    with logged_in(demo_app, "T0001"):
        body = meetings.render_meetings(semester_id)
    assert texts(find(body, "meetings-progress")) == "例会 2/2"
    assert "1 次例会缺少会议记录" in texts(find(body, "meetings-warning"))


def test_training_coverage_lists_the_missing(demo_app):
    meetings = page("meetings")
    semester_id = current_semester_id(demo_app)
    report = report_of(demo_app, semester_id)
    with demo_app.app_context():
        session = get_session()
        attended = set(
            session.scalars(
                select(TrainingAttendance.user_id)
                .join(Training)
                .where(
                    TrainingAttendance.status == Presence.present, Training.held_on <= DEMO_TODAY
                )
            )
        )
        # Make one member certainly missing: remove their trainings.
        victim = report.members[0]
        for row in session.scalars(
            select(TrainingAttendance).where(TrainingAttendance.user_id == victim.user_id)
        ):
            session.delete(row)
        session.commit()
    missing = {m.name for m in report.members if m.user_id not in attended} | {victim.name}
    with logged_in(demo_app, "T0001"):
        body = meetings.render_meetings(semester_id)
    rows = find(body, "meetings-training").rowData
    assert {r["姓名"] for r in rows if r["已达标"] == "否"} == missing
    assert rows[0]["已达标"] == "否"  # the missing come first
    alert = texts(find(body, "meetings-training-missing"))
    assert f"{len(missing)} 人尚未参加培训" in alert and victim.name in alert


def test_meetings_export(demo_app):
    meetings = page("meetings")
    with logged_in(demo_app, "T0001"):
        data = meetings.export_meetings(1, current_semester_id(demo_app))
    assert data["filename"].startswith("例会与培训-")


# --- empty state and roles


def test_empty_semester_shows_guidance(demo_app):
    worklog, meetings = page("worklog"), page("meetings")
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
        assert "本学期还没有工作记录" in texts(worklog.render_worklog(new_id))
        assert "暂无工作记录" in texts(worklog.render_recent(None, new_id))
        assert "兼辅老师录入例会" in texts(meetings.render_meetings(new_id))


@pytest.mark.parametrize("username", ["T0001", "L0001"])
def test_counselor_and_leadership_may_see_both(demo_app, username):
    worklog, meetings = page("worklog"), page("meetings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, username):
        assert "无权" not in texts(worklog.layout()) + texts(meetings.layout())
        assert find(worklog.render_worklog(semester_id), "worklog-grid") is not None
        assert find(meetings.render_meetings(semester_id), "meetings-matrix") is not None


@pytest.mark.parametrize("username", ["20242103", "20230215"])
def test_leader_and_assistant_are_refused(demo_app, username):
    worklog, meetings = page("worklog"), page("meetings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, username) as user:
        assert user.role.value in ("leader", "assistant")
        assert "无权查看此页面" in texts(worklog.layout())
        assert "无权查看此页面" in texts(meetings.layout())
        for call in (
            lambda: worklog.render_worklog(semester_id),
            lambda: worklog.render_recent("", semester_id),
            lambda: worklog.export_worklog(1, semester_id, None),
            lambda: meetings.render_meetings(semester_id),
            lambda: meetings.export_meetings(1, semester_id),
        ):
            with pytest.raises(Forbidden):
                call()


def test_http_refusals(demo_app):
    semester_id = current_semester_id(demo_app)
    leader = demo_app.test_client()
    login(leader, "20242103", "demo1234")
    # The leader passes the dashboard guard but these two callbacks refuse.
    assert dash_post(leader, "worklog-body.children", semester_id).status_code == 403
    assert dash_post(leader, "meetings-body.children", semester_id).status_code == 403
    assert dash_post(leader, "attendance-body.children", semester_id).status_code == 200
    assistant = demo_app.test_client()
    login(assistant, "20230215", "demo1234")
    for output in ("worklog-body.children", "meetings-body.children"):
        assert dash_post(assistant, output, semester_id).status_code == 403


def test_no_personal_data_on_the_pages(demo_app):
    worklog, meetings = page("worklog"), page("meetings")
    semester_id = current_semester_id(demo_app)
    with logged_in(demo_app, "T0001"):
        text = str(worklog.render_worklog(semester_id)) + str(meetings.render_meetings(semester_id))
        phones = [p for p in get_session().scalars(select(User.phone)) if p]
        qqs = [q for q in get_session().scalars(select(User.qq)) if q]
    assert phones and not any(p in text for p in phones + qqs)
    assert "家庭经济困难" not in text and "政治面貌" not in text

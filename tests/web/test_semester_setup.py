"""学期设置 (checkin/admin/semester_setup.py): create/edit semesters, breaks and 调休 make-up
days; refusals write nothing; changes that reach past duties are previewed and need a reason."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from data.attendance import duties_on, semester_attendance, semester_duties
from data.attendance_inputs import person_inputs
from data.models import (
    AuditLog,
    Semester,
    SemesterBreak,
    SemesterMakeupDay,
    User,
)
from data.timeutil import LOCAL_TZ
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)  # Monday, inside the small team's semester
MAKEUP_SATURDAY = date(2026, 10, 10)  # official 调休上班 day
URL = "/admin/semester-setup"


@pytest.fixture
def counselor(app, client, auth, team):
    app.config["CLOCK"] = lambda: NOW
    auth.login(team.counselor)
    return client


def post(client, url: str, **data):
    data["csrf_token"] = csrf_token(client.get(URL).get_data(as_text=True))
    return client.post(url, data=data, follow_redirects=True)


def snapshot(db) -> tuple:
    """Everything these pages may write: semesters, breaks, make-up days, audit entries."""
    with db.session() as s:
        semesters = sorted((x.id, x.name, x.start, x.end) for x in s.scalars(select(Semester)))
        breaks = sorted(
            (b.semester_id, b.name, b.start, b.end) for b in s.scalars(select(SemesterBreak))
        )
        makeup = sorted(
            (m.semester_id, m.on, m.weekday) for m in s.scalars(select(SemesterMakeupDay))
        )
        audits = s.scalar(select(func.count(AuditLog.id)))
    return semesters, breaks, makeup, audits


def people_on(db, team, day: date) -> list[str]:
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        names = dict(s.execute(select(User.id, User.name)).all())
        return sorted(names[d.user_id] for d in duties_on(s, semester, day))


def last_audit(db) -> AuditLog:
    with db.session() as s:
        return s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))


def test_page_is_counselor_only_and_in_the_nav(app, client, auth, team):
    auth.login(team.leader)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/new", data={}).status_code in (400, 403)
    auth.logout()
    auth.login(team.counselor)
    page = client.get(URL).get_data(as_text=True)
    assert "学期设置" in page and 'href="/admin/semester-setup"' in page
    assert "2026秋" in page and "2026-10-10（周六）法定调休上班" in page


def test_create_a_semester_is_audited(counselor, db):
    page = post(counselor, f"{URL}/new", name=" 2027春 ", start="2027-02-22", end="2027-07-02")
    assert "已创建学期“2027春”" in page.get_data(as_text=True)
    with db.session() as s:
        created = s.scalar(select(Semester).where(Semester.name == "2027春"))
        assert (created.start, created.end) == (date(2027, 2, 22), date(2027, 7, 2))
    entry = last_audit(db)
    assert entry.action == "semester.create" and entry.after["start"] == "2027-02-22"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "start": "2026-10-01", "end": "2026-12-01"}, "与已有学期“2026秋”的日期重叠"),
        ({"name": "X", "start": "2027-07-02", "end": "2027-02-22"}, "必须晚于开始日期"),
        ({"name": "X", "start": "2027-02-22", "end": "2027-02-22"}, "必须晚于开始日期"),
        ({"name": "2026秋", "start": "2030-01-01", "end": "2030-06-01"}, "学期已存在：2026秋"),
        ({"name": "X", "start": "2027-02-30", "end": "2027-07-02"}, "请填写有效的日期"),
        ({"name": "X", "start": "2027/02/22", "end": "2027-07-02"}, "请填写有效的日期"),
        ({"name": "", "start": "2027-02-22", "end": "2027-07-02"}, "学期名称不能为空"),
        ({"name": "长" * 51, "start": "2027-02-22", "end": "2027-07-02"}, "不超过 50 个字符"),
    ],
)
def test_create_refusals_say_why_and_write_nothing(counselor, db, data, message):
    before = snapshot(db)
    response = post(counselor, f"{URL}/new", **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_edit_name_and_future_end_saves_at_once(counselor, db, team):
    url = f"{URL}/{team.semester_id}/edit"
    page = post(counselor, url, name="2026-2027学年第一学期", start="2026-09-07", end="2027-01-22")
    assert "已保存" in page.get_data(as_text=True)
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        assert (semester.name, semester.end) == ("2026-2027学年第一学期", date(2027, 1, 22))
    entry = last_audit(db)
    assert entry.action == "semester.update"
    assert (entry.before["end"], entry.after["end"]) == ("2027-01-15", "2027-01-22")
    assert "reason" not in entry.after


def test_edit_refuses_overlap_and_end_before_start(counselor, db, team):
    post(counselor, f"{URL}/new", name="2027春", start="2027-02-22", end="2027-07-02")
    before = snapshot(db)
    url = f"{URL}/{team.semester_id}/edit"
    page = post(counselor, url, name="2026秋", start="2026-09-07", end="2027-03-01")
    assert "与已有学期“2027春”的日期重叠" in page.get_data(as_text=True)
    page = post(counselor, url, name="2026秋", start="2026-09-07", end="2026-09-01")
    assert "必须晚于开始日期" in page.get_data(as_text=True)
    page = post(counselor, url, name="2027春", start="2026-09-07", end="2027-01-15")
    assert "学期已存在：2027春" in page.get_data(as_text=True)
    assert snapshot(db) == before


def test_moving_the_start_into_the_past_previews_duties_and_needs_a_reason(counselor, db, team):
    url = f"{URL}/{team.semester_id}/edit"
    fields = {"name": "2026秋", "start": "2026-09-09", "end": "2027-01-15"}
    before = snapshot(db)
    preview = post(counselor, url, **fields).get_data(as_text=True)
    assert "确认学期修改" in preview and "已发生" in preview
    # Monday 09-07 (李团长) and Tuesday 09-08 (王五) already happened and would go.
    assert "取消 <strong>2</strong> 个" in preview
    assert "2026-09-07" in preview and "李团长" in preview and "王五" in preview
    assert snapshot(db) == before  # the preview wrote nothing
    refused = post(counselor, url, confirm="1", reason="", **fields).get_data(as_text=True)
    assert "请填写原因" in refused
    assert snapshot(db) == before
    post(counselor, url, confirm="1", reason="学校校历调整", **fields)
    with db.session() as s:
        assert s.get(Semester, team.semester_id).start == date(2026, 9, 9)
    assert people_on(db, team, date(2026, 9, 8)) == []
    entry = last_audit(db)
    assert entry.action == "semester.update" and entry.after["reason"] == "学校校历调整"


def test_moving_the_start_earlier_adds_no_duty_before_anyone_was_in_post(counselor, db, team):
    url = f"{URL}/{team.semester_id}/edit"
    fields = {"name": "2026秋", "start": "2026-09-01", "end": "2027-01-15"}
    preview = post(counselor, url, **fields).get_data(as_text=True)
    assert "没有值班会因此改变" in preview  # everybody was appointed from 09-07
    post(counselor, url, confirm="1", reason="校历", **fields)
    assert people_on(db, team, date(2026, 9, 1)) == ["王五"]  # on the schedule, not in post
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        assert min(d.day for d in semester_duties(s, semester)) == date(2026, 9, 7)


def test_a_future_break_removes_duties_and_deleting_it_brings_them_back(counselor, db, team):
    monday = date(2026, 10, 12)
    assert people_on(db, team, monday) == ["李团长"]
    post(
        counselor,
        f"{URL}/{team.semester_id}/breaks",
        name="运动会停课",
        start="2026-10-12",
        end="2026-10-14",
    )
    assert people_on(db, team, monday) == [] and people_on(db, team, date(2026, 10, 14)) == []
    assert people_on(db, team, date(2026, 10, 16)) == ["李四"]
    assert last_audit(db).action == "semester.break_add"
    with db.session() as s:
        item_id = s.scalar(select(SemesterBreak.id))
    post(counselor, f"{URL}/{team.semester_id}/breaks/{item_id}/delete")
    assert people_on(db, team, monday) == ["李团长"]
    assert last_audit(db).action == "semester.break_delete"


def test_a_past_break_is_previewed_and_saved_only_with_a_reason(counselor, db, team):
    url = f"{URL}/{team.semester_id}/breaks"
    fields = {"name": "停电", "start": "2026-09-09", "end": "2026-09-09"}  # a Wednesday, gone
    before = snapshot(db)
    preview = post(counselor, url, **fields).get_data(as_text=True)
    assert "张三" in preview and "（不再值班）" in preview and "已发生" in preview
    assert snapshot(db) == before
    post(counselor, url, confirm="1", reason="全校停电，值班取消", **fields)
    assert people_on(db, team, date(2026, 9, 9)) == []
    assert last_audit(db).after["reason"] == "全校停电，值班取消"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "start": "2026-08-30", "end": "2026-09-08"}, "假期须在学期内"),
        ({"name": "X", "start": "2026-10-14", "end": "2026-10-12"}, "不能早于开始日期"),
        ({"name": "", "start": "2026-10-12", "end": "2026-10-12"}, "请填写假期名称"),
        ({"name": "X", "start": "2026-10-12", "end": "十月"}, "请填写有效的日期"),
    ],
)
def test_break_refusals_write_nothing(counselor, db, team, data, message):
    before = snapshot(db)
    page = post(counselor, f"{URL}/{team.semester_id}/breaks", **data)
    assert message in page.get_data(as_text=True)
    assert snapshot(db) == before


def test_a_declared_makeup_day_gets_that_weekdays_duties_everywhere(counselor, db, team):
    assert people_on(db, team, MAKEUP_SATURDAY) == []
    post(counselor, f"{URL}/{team.semester_id}/makeup", on="2026-10-10", weekday="5")
    assert people_on(db, team, MAKEUP_SATURDAY) == ["李四"]  # 李四 is on Friday
    entry = last_audit(db)
    assert (entry.action, entry.after) == (
        "semester.makeup_add",
        {"makeup": "2026-10-10", "weekday": 5},
    )
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        lisi = s.scalar(select(User.id).where(User.name == "李四"))
        whole = [d for d in semester_duties(s, semester) if d.day == MAKEUP_SATURDAY]
        assert [d.user_id for d in whole] == [lisi]
        # The door's one-statement read gives the same duty.
        door = person_inputs(s, semester, lisi).duties_on(semester, MAKEUP_SATURDAY, lisi)
        assert door == duties_on(s, semester, MAKEUP_SATURDAY, user_id=lisi)
        # Counted: 李四 did not come that Saturday, so it is an absence on the record.
        later = datetime(2026, 10, 11, 12, 0, tzinfo=LOCAL_TZ)
        outcomes = semester_attendance(s, semester, later, {lisi}).outcomes
        assert any(o.duty.day == MAKEUP_SATURDAY for o in outcomes)
    page = counselor.get(URL).get_data(as_text=True)
    assert "2026-10-10（周六）按周五值班" in page
    with db.session() as s:
        item_id = s.scalar(select(SemesterMakeupDay.id))
    post(counselor, f"{URL}/{team.semester_id}/makeup/{item_id}/delete")
    assert people_on(db, team, MAKEUP_SATURDAY) == []
    assert last_audit(db).action == "semester.makeup_delete"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"on": "2026-10-12", "weekday": "5"}, "只有周末的调休上班日"),
        ({"on": "2027-02-20", "weekday": "5"}, "调休上班日须在学期内"),
        ({"on": "2026-10-10", "weekday": "9"}, "请选择按星期几"),
        ({"on": "2026-10-10", "weekday": "x"}, "请选择按星期几"),
        ({"on": "", "weekday": "5"}, "请填写有效的日期"),
    ],
)
def test_makeup_refusals_write_nothing(counselor, db, team, data, message):
    before = snapshot(db)
    page = post(counselor, f"{URL}/{team.semester_id}/makeup", **data)
    assert message in page.get_data(as_text=True)
    assert snapshot(db) == before


def test_a_past_makeup_day_needs_a_reason(counselor, db, team):
    url = f"{URL}/{team.semester_id}/makeup"
    before = snapshot(db)
    preview = post(counselor, url, on="2026-09-13", weekday="1").get_data(as_text=True)
    assert "李团长" in preview and "已发生" in preview
    assert snapshot(db) == before
    post(counselor, url, on="2026-09-13", weekday="1", confirm="1", reason="补记：当天按周一值班")
    assert people_on(db, team, date(2026, 9, 13)) == ["李团长"]


def test_a_locked_semester_keeps_its_dates(counselor, db, team):
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = NOW
    before = snapshot(db)
    page = post(
        counselor,
        f"{URL}/{team.semester_id}/edit",
        name="2026秋",
        start="2026-09-07",
        end="2027-01-20",
    )
    assert "本学期考核已锁定" in page.get_data(as_text=True)
    page = post(counselor, f"{URL}/{team.semester_id}/makeup", on="2026-10-10", weekday="5")
    assert "本学期考核已锁定" in page.get_data(as_text=True)
    assert snapshot(db) == before


def test_another_teams_semester_is_not_found(counselor, db, team):
    from data.models import Team

    with db.session() as s:
        other = Semester(
            team=Team(name="外院"), name="外", start=date(2026, 9, 1), end=date(2027, 1, 1)
        )
        s.add(other)
        s.flush()
        other_id = other.id
    before = snapshot(db)
    response = counselor.post(
        f"{URL}/{other_id}/edit",
        data={
            "csrf_token": csrf_token(counselor.get(URL).get_data(as_text=True)),
            "name": "x",
            "start": "2026-09-01",
            "end": "2027-01-01",
        },
    )
    assert response.status_code == 404
    assert snapshot(db) == before


def test_the_dashboards_no_semester_message_links_the_counselor_to_the_page(app, db, team):
    from flask_login import login_user

    from dashboard import components

    with db.session() as s:
        counselor = s.scalar(select(User).where(User.username == team.counselor))
        leader = s.scalar(select(User).where(User.username == team.leader))
    for user, linked in ((counselor, True), (leader, False)):
        with app.test_request_context("/dashboard/"):
            login_user(user)
            shown = components.no_semester_for_role((components.NO_SEMESTER, ""))[0]
            text = str(shown.to_plotly_json())
            assert ("/admin/semester-setup" in text) is linked
            assert ("去创建学期" in text) is linked

"""The duty schedule page (checkin/admin/schedule.py): grid, edits with conflict preview,
import/export, dated overrides, and that the next day's expected duties follow at once."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.attendance import duties_on
from data.models import (
    AuditLog,
    Place,
    Role,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    User,
)
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

TODAY = date(2026, 9, 14)  # a Monday in the small team's semester
TOMORROW = date(2026, 9, 15)  # Tuesday: 王五 08:00–10:00 学工办


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)
    return app


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def tomorrow_people(db, team) -> list[str]:
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        names = dict(s.execute(select(User.id, User.name)).all())
        return sorted(names[d.user_id] for d in duties_on(s, semester, TOMORROW))


def audits(db, action: str | None = None) -> list[AuditLog]:
    with db.session() as s:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(s.scalars(query))


def assign(client, team, user_id, **fields):
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "user_id": user_id,
        "weekday": 2,
        "start": "14:00",
        "end": "16:00",
        "place_id": team.place_id,
        **fields,
    }
    return client.post("/admin/schedule/assign", data=data)


def other_team(db) -> tuple[int, int]:
    """Another college's semester and one of its assignments."""
    with db.session() as s:
        from data.models import Team

        team = Team(name="外院助管团")
        s.add(team)
        semester = Semester(
            team=team, name="外院2026秋", start=date(2026, 9, 1), end=date(2027, 1, 10)
        )
        place = Place(team=team, name="外院办")
        person = factories.user(s, team, "9999001", "外人", Role.assistant)
        s.add_all([semester, place])
        s.flush()
        shift = Shift(semester=semester, weekday=1, start=time(8), end=time(9), place=place)
        shift.assignments.append(ShiftAssignment(user_id=person.id))
        s.add(shift)
        s.flush()
        return semester.id, shift.assignments[0].id


def test_grid_shows_assignments_by_weekday(client, auth, team, clocked):
    auth.login(team.leader)
    page = client.get(f"/admin/schedule?semester={team.semester_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "每周值班表" in html and "08:00–10:00" in html
    for name in ("李团长", "张三", "李四", "王五"):
        assert name in html
    assert 'data-weekday="2"' in html
    # Tomorrow's expected duties are listed on the page too.
    assert "明天（09月15日 周二）应值班" in html


def test_assign_changes_tomorrows_duties_and_is_audited(client, auth, team, clocked, db):
    assert tomorrow_people(db, team) == ["王五"]
    auth.login(team.leader)
    # First the preview: what changes from the date, nothing saved yet.
    response = assign(client, team, uid(db, "2023101"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "受影响的值班" in html
    assert "2026-09-15" in html and "周二 14:00–16:00 学工办" in html
    assert tomorrow_people(db, team) == ["王五"] and audits(db) == []
    response = assign(client, team, uid(db, "2023101"), confirm="1", **{"from": "2026-09-15"})
    assert response.status_code == 302
    assert tomorrow_people(db, team) == ["张三", "王五"]
    entries = audits(db, "schedule.assign")
    assert len(entries) == 1 and len(audits(db)) == 1
    assert entries[0].before is None
    assert entries[0].after["username"] == "2023101" and entries[0].after["start"] == "14:00:00"
    html = client.get("/admin/schedule").get_data(as_text=True)
    assert "已安排：张三 → 周二 14:00–16:00 学工办（2026-09-15 起）" in html


def test_overlap_is_previewed_before_saving(client, auth, team, clocked, db):
    auth.login(team.counselor)
    wangwu = uid(db, "2023103")
    response = assign(client, team, wangwu, start="09:00", end="11:00")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "保存前请注意" in html and "时间重叠" in html and "周二 08:00–10:00 学工办" in html
    assert audits(db) == []
    with db.session() as s:
        assert s.scalar(select(func.count(Shift.id))) == 4
    # Confirming posts the same change again, now saved.
    response = assign(client, team, wangwu, start="09:00", end="11:00", confirm="1")
    assert response.status_code == 302
    assert len(audits(db, "schedule.assign")) == 1
    assert audits(db)[0].after["conflicts"]


def test_removing_the_last_person_previews_an_empty_shift(client, auth, team, clocked, db):
    auth.login(team.leader)
    with db.session() as s:
        assignment_id = s.scalar(
            select(ShiftAssignment.id).where(ShiftAssignment.user_id == uid(db, "2023103"))
        )
    url = f"/admin/schedule/assignments/{assignment_id}/delete"
    response = client.post(url, data={"csrf_token": token(client)})
    assert response.status_code == 200
    assert "将无人值班" in response.get_data(as_text=True)
    assert tomorrow_people(db, team) == ["王五"]
    response = client.post(url, data={"csrf_token": token(client), "confirm": "1"})
    assert response.status_code == 302
    assert tomorrow_people(db, team) == []
    (entry,) = audits(db)
    assert entry.action == "schedule.unassign" and entry.before["name"] == "王五"
    assert entry.after == {"ended_from": "2026-09-15", "reason": ""}
    html = client.get("/admin/schedule").get_data(as_text=True)
    assert "1 个班次无人值班" in html
    # The empty shift can then be deleted (one more audit entry), after its preview.
    with db.session() as s:
        shift_id = s.scalar(select(Shift.id).where(Shift.weekday == 2))
    url = f"/admin/schedule/shifts/{shift_id}/delete"
    assert client.post(url, data={"csrf_token": token(client)}).status_code == 200
    client.post(url, data={"csrf_token": token(client), "confirm": "1"})
    assert [a.action for a in audits(db)] == ["schedule.unassign", "schedule.shift_delete"]
    # Today's Tuesday duty of last week is still 王五's: the past keeps its schedule.
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        names = dict(s.execute(select(User.id, User.name)).all())
        last_week = [names[d.user_id] for d in duties_on(s, semester, date(2026, 9, 8))]
    assert last_week == ["王五"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("end", "07:00", "结束时间应晚于开始时间"),
        ("start", "25:00", "时间应为 HH:MM 格式"),
        ("weekday", "9", "请选择星期"),
        ("user_id", "abc", "请选择本团队的助管"),
        ("user_id", "99999999999", "请选择本团队的助管"),
        ("place_id", "0", "请选择值班岗位"),
    ],
)
def test_bad_assignment_input_changes_nothing(
    client, auth, team, clocked, db, field, value, message
):
    auth.login(team.leader)
    fields = {"user_id": uid(db, "2023101"), field: value}
    response = assign(client, team, **fields)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audits(db) == []
    assert tomorrow_people(db, team) == ["王五"]


def test_other_teams_ids_are_404(client, auth, team, clocked, db):
    semester_id, assignment_id = other_team(db)
    auth.login(team.counselor)
    assert client.get(f"/admin/schedule?semester={semester_id}").status_code == 404
    assert client.get("/admin/schedule?semester=abc").status_code == 404
    assert client.get(f"/admin/schedule/export.xlsx?semester={semester_id}").status_code == 404
    url = f"/admin/schedule/assignments/{assignment_id}/delete"
    assert client.post(url, data={"csrf_token": token(client), "confirm": "1"}).status_code == 404
    data = {
        "csrf_token": token(client),
        "semester": semester_id,
        "kind": "cancel",
        "on": "2026-09-14",
    }
    assert client.post("/admin/schedule/overrides", data=data).status_code == 404
    assert audits(db) == []


def test_export_then_import_round_trip(client, auth, team, clocked, db):
    auth.login(team.leader)
    response = client.get(f"/admin/schedule/export.xlsx?semester={team.semester_id}")
    assert response.status_code == 200
    frame = pd.read_excel(io.BytesIO(response.data), dtype=str)
    assert list(frame.columns) == ["学号", "星期", "开始", "结束", "岗位"]
    assert frame.values.tolist()[0] == ["2023001", "周一", "08:00", "10:00", "学工办"]
    assert len(frame) == 4
    # Move 王五 from Tuesday to Thursday and import it back.
    frame.loc[frame["学号"] == "2023103", "星期"] = "4"
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    buffer.seek(0)
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "file": (buffer, "值班表.xlsx"),
    }
    response = client.post("/admin/schedule/import", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    # The preview lists the duties that move; nothing is written until it is confirmed.
    assert response.status_code == 200 and "受影响的值班" in html and "（不再值班）" in html
    assert tomorrow_people(db, team) == ["王五"] and audits(db) == []
    stash = re.search(r'name="stash" value="([^"]+)"', html).group(1)
    confirm = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "stash": stash,
        "from": "2026-09-15",
        "confirm": "1",
    }
    response = client.post("/admin/schedule/import", data=confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已导入 4 行" in html
    assert tomorrow_people(db, team) == []
    # The stashed file is used once: a replayed confirm is refused.
    again = client.post("/admin/schedule/import", data=confirm | {"csrf_token": token(client)})
    assert "导入文件已失效" in client.get(again.headers["Location"]).get_data(as_text=True)
    (entry,) = audits(db)
    assert entry.action == "schedule.import"
    assert ["2023103", "周二", "08:00", "10:00", "学工办"] in entry.before["rows"]
    assert ["2023103", "周四", "08:00", "10:00", "学工办"] in entry.after["rows"]


def test_import_errors_are_listed_by_row_and_nothing_is_written(client, auth, team, clocked, db):
    auth.login(team.counselor)
    body = (
        "学号,星期,开始,结束,岗位\n"
        "2023101,周二,14:00,16:00,学工办\n"
        "2023102,周八,14:00,16:00,学工办\n"
        "nobody,2,14:00,13:00,学工办\n"
        "2023103,2,09:00,11:00,学工办\n"
        "2023103,2,10:00,12:00,学工办\n"
    ).encode("gb18030")
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "file": (io.BytesIO(body), "s.csv"),
    }
    response = client.post("/admin/schedule/import", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "没有写入任何数据" in html
    assert "<td>3</td><td>星期</td>" in html
    assert "<td>4</td><td>学号</td>" in html and "<td>4</td><td>结束</td>" in html
    assert "时间重叠" in html
    assert audits(db) == [] and tomorrow_people(db, team) == ["王五"]
    # A file that is not a spreadsheet: a Chinese message, never a 500.
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "file": (io.BytesIO(b"x"), "s.xlsx"),
    }
    response = client.post("/admin/schedule/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "导入失败" in client.get(response.headers["Location"]).get_data(as_text=True)
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "file": (io.BytesIO(b"x"), "s.txt"),
    }
    response = client.post("/admin/schedule/import", data=data, content_type="multipart/form-data")
    assert "只支持 .xlsx 或 .csv" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audits(db) == []


def _override(client, team, **fields):
    data = {"csrf_token": token(client), "semester": team.semester_id, **fields}
    return client.post("/admin/schedule/overrides", data=data)


def test_swap_extra_cancel_and_delete(client, auth, team, clocked, db):
    auth.login(team.leader)
    with db.session() as s:
        tuesday = s.scalar(select(Shift.id).where(Shift.weekday == 2))
    zhang, wang = uid(db, "2023101"), uid(db, "2023103")
    response = _override(
        client,
        team,
        kind="swap",
        on="2026-09-15",
        shift_id=tuesday,
        replaced_user_id=wang,
        user_id=zhang,
        reason="王五考试",
    )
    assert response.status_code == 302
    assert tomorrow_people(db, team) == ["张三"]
    with db.session() as s:
        swap = s.scalar(select(ShiftOverride))
        assert swap.approved_by_id == uid(db, team.leader)
    html = client.get("/admin/schedule").get_data(as_text=True)
    assert "王五 → 张三" in html and "换班" in html

    _override(
        client,
        team,
        kind="extra",
        on="2026-09-15",
        user_id=uid(db, "2023102"),
        start="14:00",
        end="17:00",
        place_id=team.place_id,
        reason="迎新材料整理",
    )
    assert tomorrow_people(db, team) == ["张三", "李四"]
    _override(client, team, kind="cancel", on="2026-09-15", shift_id="")
    assert tomorrow_people(db, team) == ["李四"]  # extra duty survives a cancelled day
    actions = [a.action for a in audits(db)]
    assert actions == ["schedule.swap", "schedule.extra", "schedule.cancel"]
    assert all(a.after and a.before is None for a in audits(db))

    with db.session() as s:
        cancel_id = s.scalar(select(ShiftOverride.id).where(ShiftOverride.kind == "cancel"))
    client.post(f"/admin/schedule/overrides/{cancel_id}/delete", data={"csrf_token": token(client)})
    assert tomorrow_people(db, team) == ["张三", "李四"]
    last = audits(db)[-1]
    assert last.action == "schedule.cancel_delete" and last.before["on"] == "2026-09-15"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "swap", "on": "2026-09-16"}, "与所选班次的星期不符"),
        ({"kind": "swap", "on": "2026-09-15", "replaced": "2023101"}, "原值班人不在所选班次中"),
        ({"kind": "swap", "on": "2026-09-15", "user": "2023103"}, "换班双方不能是同一人"),
        ({"kind": "cancel", "on": "2027-03-01"}, "日期应在本学期内"),
        ({"kind": "cancel", "on": "15/09/2026"}, "请填写日期"),
        ({"kind": "bogus", "on": "2026-09-15"}, "请选择调整类型"),
        ({"kind": "extra", "on": "2026-09-15", "start": "18:00"}, "结束时间应晚于开始时间"),
    ],
)
def test_bad_overrides_are_refused(client, auth, team, clocked, db, fields, message):
    auth.login(team.counselor)
    with db.session() as s:
        tuesday = s.scalar(select(Shift.id).where(Shift.weekday == 2))
    data = {
        "kind": fields["kind"],
        "on": fields["on"],
        "shift_id": tuesday,
        "replaced_user_id": uid(db, fields.get("replaced", "2023103")),
        "user_id": uid(db, fields.get("user", "2023101")),
        "start": fields.get("start", "14:00"),
        "end": "17:00",
        "place_id": team.place_id,
    }
    response = _override(client, team, **data)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audits(db) == []


def test_finalized_semester_refuses_edits(client, auth, team, clocked, db):
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = datetime(2027, 1, 20, tzinfo=LOCAL_TZ)
        s.commit()
    auth.login(team.leader)
    response = assign(client, team, uid(db, "2023101"))
    assert "本学期考核已锁定" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audits(db) == [] and tomorrow_people(db, team) == ["王五"]
    assert "值班表只读" in client.get("/admin/schedule").get_data(as_text=True)

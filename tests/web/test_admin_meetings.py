"""Meetings and trainings (checkin/admin/meetings.py): the counselor creates, the 团长 marks
attendance and writes minutes, and the semester report (dashboard n/2) follows at once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from data.models import AuditLog, Meeting, MeetingAttendance, Presence, Semester, Training, User
from data.report import build_report
from data.timeutil import LOCAL_TZ
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: NOW
    return app


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def audits(db) -> list[AuditLog]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog).order_by(AuditLog.id)))


def report(db, team):
    with db.session() as s:
        return build_report(s, s.get(Semester, team.semester_id), NOW)


def create_meeting(client, team, **fields):
    data = {"csrf_token": token(client), "semester": team.semester_id, "held_on": "2026-10-12"}
    return client.post("/admin/meetings", data={"topic": "期中工作总结", **data, **fields})


def test_counselor_creates_leader_marks_attendance(client, auth, team, clocked, db):
    auth.login(team.counselor)
    response = create_meeting(client, team)
    assert response.status_code == 302
    with db.session() as s:
        meeting_id = s.scalar(select(Meeting.id))
    assert response.headers["Location"].endswith(f"/admin/meetings/{meeting_id}")
    assert report(db, team).meeting_progress.held == 1
    auth.logout()

    auth.login(team.leader)
    page = client.get(f"/admin/meetings/{meeting_id}").get_data(as_text=True)
    # Every member is listed with 出席 pre-selected.
    assert page.count('value="present" checked') == 4
    lisi, wangwu = uid(db, "2023102"), uid(db, "2023103")
    data = {
        "csrf_token": token(client),
        "minutes": "总结前半学期值班情况，布置迎评工作。",
        f"status-{lisi}": "excused",
        f"status-{wangwu}": "absent",
    }
    assert client.post(f"/admin/meetings/{meeting_id}", data=data).status_code == 302
    with db.session() as s:
        statuses = {a.user_id: a.status for a in s.scalars(select(MeetingAttendance))}
    assert statuses[lisi] is Presence.excused and statuses[wangwu] is Presence.absent
    assert sum(1 for v in statuses.values() if v is Presence.present) == 2
    rows = report(db, team).meetings
    assert (rows[0].present, rows[0].excused, rows[0].absent, rows[0].has_minutes) == (
        2,
        1,
        1,
        True,
    )
    # An unexcused absence is a hard 不合格 rule: the engine sees it immediately.
    member = next(m for m in report(db, team).members if m.user_id == wangwu)
    assert any("例会旷到" in r for r in member.assessment.reasons)

    entries = audits(db)
    assert [e.action for e in entries] == ["meeting.create", "meeting.update"]
    assert entries[1].before == {"minutes": "", "attendance": {}}
    assert entries[1].after["attendance"]["2023103"] == "absent"
    listing = client.get("/admin/meetings").get_data(as_text=True)
    assert "例会（1/2）" in listing and "已记录" in listing


def test_leader_creates_meetings_but_cannot_delete_or_train(client, auth, team, clocked, db):
    """Issue 12: the 团长 opens a meeting, writes minutes and marks attendance; deleting and
    trainings stay with the counselor."""
    auth.login(team.leader)
    assert "新建例会" in client.get("/admin/meetings").get_data(as_text=True)
    assert create_meeting(client, team, topic="团长召集的例会").status_code == 302
    with db.session() as s:
        meeting = s.scalars(select(Meeting)).one()
        assert meeting.created_by_id == uid(db, team.leader)
    meeting_id = meeting.id
    lisi = uid(db, "2023102")
    data = {"csrf_token": token(client), "minutes": "布置期末工作。", f"status-{lisi}": "excused"}
    assert client.post(f"/admin/meetings/{meeting_id}", data=data).status_code == 302
    url = f"/admin/meetings/{meeting_id}/delete"
    assert client.post(url, data={"csrf_token": token(client)}).status_code == 403
    training = {"csrf_token": token(client), "semester": team.semester_id}
    training.update(held_on="2026-10-12", topic="培训", organizer="学院")
    assert client.post("/admin/trainings", data=training).status_code == 403
    listing = client.get("/admin/meetings").get_data(as_text=True)
    assert "新建培训" not in listing
    assert [e.action for e in audits(db)] == ["meeting.create", "meeting.update"]
    assert audits(db)[0].actor_id == uid(db, team.leader)


@pytest.mark.parametrize("who", ["assistant", "leadership"])
def test_others_cannot_create_meetings(client, auth, team, clocked, db, who):
    auth.login(team.assistants[0] if who == "assistant" else team.leadership)
    assert create_meeting(client, team).status_code == 403
    with db.session() as s:
        assert s.scalar(select(Meeting.id)) is None


def test_service_refuses_meeting_from_assistant(team, db):
    """The service holds the rule too, not only the view's decorator."""
    from data.services import Refused
    from data.services.meetings import create_meeting as create

    with db.session() as s:
        actor = s.scalar(select(User).where(User.username == team.assistants[0]))
        semester = s.get(Semester, team.semester_id)
        with pytest.raises(Refused):
            create(s, actor, semester, semester.start, "例会", at=NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"held_on": "2027-03-01"}, "日期应在本学期内"),
        ({"held_on": "yesterday"}, "请填写日期"),
        ({"topic": "   "}, "请填写主题"),
        ({"topic": "长" * 101}, "主题不能超过 100 个字"),
    ],
)
def test_bad_meeting_input(client, auth, team, clocked, db, fields, message):
    auth.login(team.counselor)
    response = create_meeting(client, team, **fields)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audits(db) == []


def test_bad_status_changes_nothing(client, auth, team, clocked, db):
    auth.login(team.counselor)
    create_meeting(client, team)
    with db.session() as s:
        meeting_id = s.scalar(select(Meeting.id))
    data = {"csrf_token": token(client), f"status-{uid(db, '2023101')}": "late"}
    response = client.post(f"/admin/meetings/{meeting_id}", data=data, follow_redirects=True)
    assert "出席情况只能是" in response.get_data(as_text=True)
    with db.session() as s:
        assert s.scalars(select(MeetingAttendance)).all() == []
    assert len(audits(db)) == 1


def test_training_attendance_and_delete(client, auth, team, clocked, db):
    auth.login(team.counselor)
    data = {
        "csrf_token": token(client),
        "semester": team.semester_id,
        "held_on": "2026-09-20",
        "topic": "岗前业务培训",
        "organizer": "学校",
    }
    assert client.post("/admin/trainings", data=data).status_code == 302
    bad = dict(data, organizer="外校", csrf_token=token(client))
    client.post("/admin/trainings", data=bad)
    with db.session() as s:
        (training,) = s.scalars(select(Training)).all()
        assert training.organizer == "学校" and training.team_id == team.team_id
        training_id = training.id
    auth.logout()
    auth.login(team.leader)
    zhang = uid(db, "2023101")
    data = {"csrf_token": token(client), f"status-{zhang}": "absent"}
    assert client.post(f"/admin/trainings/{training_id}", data=data).status_code == 302
    with db.session() as s:
        training = s.get(Training, training_id)
        present = sorted(a.user_id for a in training.attendance if a.status is Presence.present)
    assert zhang not in present and len(present) == 3
    auth.logout()
    auth.login(team.counselor)
    url = f"/admin/trainings/{training_id}/delete"
    assert client.post(url, data={"csrf_token": token(client)}).status_code == 302
    assert [e.action for e in audits(db)] == [
        "training.create",
        "training.update",
        "training.delete",
    ]
    assert audits(db)[-1].before["topic"] == "岗前业务培训"


def test_other_team_meeting_is_404(client, auth, team, clocked, db):
    with db.session() as s:
        from data.models import Team

        other = Team(name="外院")
        semester = Semester(team=other, name="外院秋", start=date(2026, 9, 1), end=date(2027, 1, 1))
        s.add_all([other, semester])
        s.flush()
        meeting = Meeting(semester_id=semester.id, held_on=date(2026, 10, 1), topic="外院例会")
        s.add(meeting)
        s.commit()
        meeting_id = meeting.id
    auth.login(team.counselor)
    assert client.get(f"/admin/meetings/{meeting_id}").status_code == 404
    url = f"/admin/meetings/{meeting_id}/delete"
    assert client.post(url, data={"csrf_token": token(client)}).status_code == 404
    assert client.get("/admin/meetings/99999999999").status_code == 404

"""嘉奖 (第七条三, issue 12 item 7): the counselor records and deletes commendations; they show on
the person's /me, among the assessment reasons and (the bonus) in the stipend; audited."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from data.models import AuditLog, Commendation, Semester, Team, User
from data.report import build_report
from data.timeutil import LOCAL_TZ, utcnow
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clocked(app):
    app.config["CLOCK"] = lambda: NOW
    return app


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def add(client, user_id, **fields):
    token = csrf_token(client.get("/admin/commendations").get_data(as_text=True))
    data = {"user": user_id, "on": "2026-10-20", "reason": "迎新期间连续加班", "bonus": "100.50"}
    return client.post("/admin/commendations", data={**data, **fields, "csrf_token": token})


def member(db, team, user_id):
    with db.session() as s:
        report = build_report(s, s.get(Semester, team.semester_id), NOW)
    return next(m for m in report.members if m.user_id == user_id)


def counts(db) -> tuple[int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count(Commendation.id))),
            s.scalar(select(func.count(AuditLog.id))),
        )


def test_commendation_reaches_me_reasons_and_stipend(client, auth, team, clocked, db):
    zhang = uid(db, team.assistants[0])
    before = member(db, team, zhang)
    assert before.stipend.bonus == 0
    auth.login(team.counselor)
    page = client.get("/admin/commendations").get_data(as_text=True)
    assert "记录嘉奖" in page and 'href="/admin/commendations">嘉奖' in page
    response = add(client, zhang)
    assert response.status_code == 302
    assert "计入补贴" in client.get(response.headers["Location"]).get_data(as_text=True)
    with db.session() as s:
        item = s.scalars(select(Commendation)).one()
        assert (item.user_id, item.semester_id, item.on, item.bonus) == (
            zhang,
            team.semester_id,
            date(2026, 10, 20),
            Decimal("100.50"),
        )
        entry = s.scalars(select(AuditLog)).one()
    assert entry.action == "commendation.create" and entry.before is None
    assert entry.after["reason"] == "迎新期间连续加班" and entry.after["bonus"] == "100.50"
    assert entry.actor_id == uid(db, team.counselor)

    after = member(db, team, zhang)
    assert "嘉奖：迎新期间连续加班" in after.assessment.reasons
    assert after.stipend.bonus == Decimal("100.50")
    assert after.stipend.amount - before.stipend.amount == Decimal("100.50")
    assert after.assessment.total == before.assessment.total  # a reason, not points

    auth.logout()
    auth.login(team.assistants[0])
    me = client.get("/me").get_data(as_text=True)
    assert 'id="commendations"' in me and "迎新期间连续加班" in me and "奖励 100.50 元" in me
    auth.logout()
    auth.login(team.assistants[1])
    assert "迎新期间连续加班" not in client.get("/me").get_data(as_text=True)


def test_delete_is_audited_and_takes_the_bonus_away(client, auth, team, clocked, db):
    zhang = uid(db, team.assistants[0])
    auth.login(team.counselor)
    add(client, zhang, bonus="")
    with db.session() as s:
        item = s.scalars(select(Commendation)).one()
        assert item.bonus == 0
    token = csrf_token(client.get("/admin/commendations").get_data(as_text=True))
    url = f"/admin/commendations/{item.id}/delete"
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert counts(db) == (0, 2)
    with db.session() as s:
        entry = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "commendation.delete" and entry.after is None
    assert entry.before["reason"] == "迎新期间连续加班"
    assert not any(r.startswith("嘉奖") for r in member(db, team, zhang).assessment.reasons)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "  "}, "请填写嘉奖事由"),
        ({"reason": "长" * 501}, "不能超过 500 个字"),
        ({"on": "2027-03-01"}, "不在本团队的任何学期内"),
        ({"on": "last week"}, "请填写嘉奖日期"),
        ({"bonus": "-5"}, "不小于 0"),
        ({"bonus": "12.345"}, "最多两位小数"),
        ({"bonus": "abc"}, "最多两位小数"),
        ({"bonus": "5000.01"}, "不能超过 5000 元"),
        ({"user": "999999"}, "请选择本团队的助管"),
        ({"user": "x"}, "请选择本团队的助管"),
    ],
)
def test_bad_commendation_writes_nothing(client, auth, team, clocked, db, fields, message):
    auth.login(team.counselor)
    response = add(client, uid(db, team.assistants[0]), **fields)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_other_team_and_non_member_are_refused(client, auth, team, clocked, db):
    with db.session() as s:
        other = Team(name="别的团队")
        s.add(other)
        s.flush()
        stranger = User(team_id=other.id, username="X001", name="外人")
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
        counselor_id = s.scalar(select(User.id).where(User.username == team.counselor))
    auth.login(team.counselor)
    response = add(client, stranger_id)
    assert "请选择本团队的助管" in client.get(response.headers["Location"]).get_data(as_text=True)
    # The counselor is in the team but never served: no commendation, no stipend to add it to.
    response = add(client, counselor_id)
    assert "没有任职记录" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_locked_semester_refuses(client, auth, team, clocked, db):
    zhang = uid(db, team.assistants[0])
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = utcnow()
    auth.login(team.counselor)
    response = add(client, zhang)
    assert "考核已锁定" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("who", ["leader", "assistant", "leadership"])
def test_only_the_counselor(client, auth, team, clocked, db, who):
    username = {"leader": team.leader, "leadership": team.leadership}.get(who, team.assistants[0])
    auth.login(username)
    assert client.get("/admin/commendations").status_code in (302, 403)
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    data = {"user": uid(db, team.assistants[0]), "on": "2026-10-20", "reason": "好"}
    assert (
        client.post("/admin/commendations", data={**data, "csrf_token": token}).status_code == 403
    )
    with db.session() as s:
        s.add(
            Commendation(
                user_id=data["user"], semester_id=team.semester_id, on=date(2026, 10, 20),
                reason="已有", bonus=Decimal("0"),
            )
        )  # fmt: skip
    with db.session() as s:
        cid = s.scalar(select(Commendation.id))
    url = f"/admin/commendations/{cid}/delete"
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert counts(db) == (1, 0)


def test_other_teams_commendation_is_404(client, auth, team, clocked, db):
    with db.session() as s:
        other = Team(name="别的团队")
        s.add(other)
        s.flush()
        semester = Semester(
            team_id=other.id, name="外学期", start=date(2026, 9, 1), end=date(2027, 1, 1)
        )
        person = User(team_id=other.id, username="X002", name="外人")
        s.add_all([semester, person])
        s.flush()
        item = Commendation(
            user_id=person.id, semester_id=semester.id, on=date(2026, 10, 1), reason="外"
        )
        s.add(item)
        s.flush()
        cid = item.id
    auth.login(team.counselor)
    token = csrf_token(client.get("/admin/commendations").get_data(as_text=True))
    url = f"/admin/commendations/{cid}/delete"
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert counts(db) == (1, 0)

"""The team directory (checkin/me/directory.py): everyone in the team views and exports it; an
assistant edits their own entry, the 团长 also the assistants' (never staff), the counselor
anyone's; it never shows hardship, political status or evaluations."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from data.models import AuditLog, Evaluation, EvaluationKind, Role, Team, User
from tests import factories
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

SENSITIVE = ("中共党员", "家庭经济困难", "政治面貌", "经济困难", "评价", "17.5")


@pytest.fixture
def profiles(db, team):
    """Contact data plus sensitive fields that must never show up."""
    with db.session() as s:
        for user in s.scalars(select(User).where(User.team_id == team.team_id)):
            user.phone = f"1380000{user.id:04d}"
            user.qq = f"1000{user.id:04d}"
            user.grade = "2023级"
            user.post = "学工办"
            user.political_status = "中共党员"
            user.hardship = True
        zhang = s.scalar(select(User).where(User.username == "2023101"))
        counselor = s.scalar(select(User).where(User.username == "T001"))
        s.add(
            Evaluation(
                semester_id=team.semester_id,
                subject_id=zhang.id,
                rater_id=counselor.id,
                kind=EvaluationKind.counselor,
                score=17.5,
            )
        )
        s.commit()
        return zhang.id


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def audits(db) -> list[AuditLog]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog)))


@pytest.mark.parametrize("who", ["assistant", "leader", "counselor"])
def test_every_member_views_and_exports(client, auth, team, profiles, who):
    username = {"assistant": team.assistants[0], "leader": team.leader, "counselor": team.counselor}
    auth.login(username[who])
    page = client.get("/directory")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("王老师", "李团长", "张三", "李四", "王五"):
        assert name in html
    assert "赵书记" not in html  # college leaders are not part of the 助管团
    assert f"1380000{profiles:04d}" in html and "2023级" in html
    for word in SENSITIVE:
        assert word not in html
    # An assistant may edit only their own entry; the 团长 not the counselor's; the counselor all.
    edits = {"assistant": 1, "leader": 4, "counselor": 5}
    assert html.count("修改</a>") == edits[who]

    export = client.get("/directory.xlsx")
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    frame = pd.read_excel(io.BytesIO(export.data), dtype=str)
    assert list(frame.columns) == ["姓名", "岗位", "手机", "QQ", "年级"]
    assert len(frame) == 5
    assert set(frame["年级"]) == {"2023级"}
    flat = " ".join(str(v) for v in frame.values.ravel())
    for word in SENSITIVE:
        assert word not in flat


def test_leadership_gets_no_contact_data(client, auth, team, profiles):
    auth.login(team.leadership)
    assert client.get("/directory").status_code == 403
    assert client.get("/directory.xlsx").status_code == 403


def test_leader_edits_and_it_is_audited(client, auth, team, profiles, db):
    auth.login(team.leader)
    form = client.get(f"/directory/{profiles}/edit")
    assert form.status_code == 200
    assert "中共党员" not in form.get_data(as_text=True)
    data = {
        "csrf_token": token(client),
        "phone": "139 1234 5678",
        "qq": "123456789",
        "post": "档案室",
        "grade": "2024级",
        # Fields the page does not offer must be ignored even if posted.
        "political_status": "群众",
        "hardship": "0",
        "name": "改名",
    }
    response = client.post(f"/directory/{profiles}/edit", data=data)
    assert response.status_code == 302
    with db.session() as s:
        user = s.get(User, profiles)
        assert (user.phone, user.qq, user.post, user.grade) == (
            "139 1234 5678",
            "123456789",
            "档案室",
            "2024级",
        )
        assert user.political_status == "中共党员" and user.hardship and user.name == "张三"
    (entry,) = audits(db)
    assert entry.action == "directory.update" and entry.entity_id == str(profiles)
    assert entry.before["post"] == "学工办" and entry.after["post"] == "档案室"
    assert set(entry.after) == {"post", "phone", "qq", "grade"}
    # Saving the same values again changes nothing and writes no audit entry.
    client.post(f"/directory/{profiles}/edit", data=data)
    assert len(audits(db)) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call me", "手机号码格式不正确"),
        ("qq", "12ab", "QQ 号应为 5–12 位数字"),
        ("post", "岗" * 51, "岗位过长"),
        ("phone", "1" * 100_000, "手机过长"),
    ],
)
def test_bad_directory_input(client, auth, team, profiles, db, field, value, message):
    auth.login(team.counselor)
    data = {
        "csrf_token": token(client),
        "phone": "",
        "qq": "",
        "post": "",
        "grade": "",
        field: value,
    }
    response = client.post(f"/directory/{profiles}/edit", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(response.headers.get("Set-Cookie", "")) < 4096  # the message fits in a cookie
    assert audits(db) == []
    with db.session() as s:
        assert s.get(User, profiles).post == "学工办"


def test_assistant_cannot_edit_and_other_teams_are_404(client, auth, team, profiles, db):
    auth.login(team.assistants[1])
    assert client.get(f"/directory/{profiles}/edit").status_code == 403
    data = {"csrf_token": token(client), "phone": "13900000000"}
    assert client.post(f"/directory/{profiles}/edit", data=data).status_code == 403
    auth.logout()
    with db.session() as s:
        other = Team(name="外院")
        s.add(other)
        stranger = factories.user(s, other, "9999", "外人", Role.assistant)
        s.commit()
        stranger_id = stranger.id
    auth.login(team.leader)
    assert client.get(f"/directory/{stranger_id}/edit").status_code == 404
    data = {"csrf_token": token(client), "phone": "13900000000"}
    assert client.post(f"/directory/{stranger_id}/edit", data=data).status_code == 404
    assert "外人" not in client.get("/directory").get_data(as_text=True)
    assert audits(db) == []


def edit(client, person_id: int, **fields: str):
    data = {"csrf_token": token(client), "phone": "", "qq": "", "post": "", "grade": ""} | fields
    return client.post(f"/directory/{person_id}/edit", data=data)


def ids(db, *usernames: str) -> list[int]:
    with db.session() as s:
        return [s.scalar(select(User.id).where(User.username == name)) for name in usernames]


def test_control_characters_are_dropped(client, auth, team, profiles, db):
    auth.login(team.counselor)
    response = edit(client, profiles, grade="2023\x01级\x00", post="学工\x1b办")
    assert response.status_code == 302
    with db.session() as s:
        person = s.get(User, profiles)
        assert (person.grade, person.post) == ("2023级", "学工办")


def test_assistant_edits_only_their_own_entry(client, auth, team, profiles, db):
    me, other, leader = ids(db, team.assistants[0], team.assistants[1], team.leader)
    auth.login(team.assistants[0])
    assert client.get(f"/directory/{me}/edit").status_code == 200
    response = edit(client, me, phone="13911112222", post="档案室")
    assert response.status_code == 302
    with db.session() as s:
        assert (s.get(User, me).phone, s.get(User, me).post) == ("13911112222", "档案室")
    for person in (other, leader):
        assert client.get(f"/directory/{person}/edit").status_code == 403
        response = edit(client, person, phone="13900000000")
        assert response.status_code == 403
        assert "只能修改自己的通讯录信息" in response.get_data(as_text=True)
    assert [a.entity_id for a in audits(db)] == [str(me)]


def test_leader_never_edits_staff(client, auth, team, profiles, db):
    counselor, leader, assistant = ids(db, team.counselor, team.leader, team.assistants[1])
    with db.session() as s:
        team_row = s.get(Team, team.team_id)
        second = factories.user(s, team_row, "2023002", "副团长", Role.leader)
        s.commit()
        second_id = second.id
    auth.login(team.leader)
    for person in (counselor, second_id):
        assert client.get(f"/directory/{person}/edit").status_code == 403
        response = edit(client, person, phone="13900000000")
        assert response.status_code == 403
        assert "团长只能修改自己和助管的通讯录信息" in response.get_data(as_text=True)
    assert audits(db) == []
    with db.session() as s:
        assert s.get(User, counselor).phone == f"1380000{counselor:04d}"
    for person in (leader, assistant):
        assert edit(client, person, post="值班室").status_code == 302
    assert len(audits(db)) == 2


def test_counselor_edits_anyone_of_the_team(client, auth, team, profiles, db):
    counselor, leader = ids(db, team.counselor, team.leader)
    auth.login(team.counselor)
    for person in (counselor, leader, profiles):
        assert edit(client, person, grade="2024级").status_code == 302
    assert len(audits(db)) == 3


def test_the_service_refuses_too(session, team, profiles):
    """Whatever the view does, the rule holds where the entry is written."""
    from data.db import write_transaction
    from data.services import Refused
    from data.services.directory import update_entry

    leader = session.scalar(select(User).where(User.username == team.leader))
    counselor = session.scalar(select(User).where(User.username == team.counselor))
    values = {"phone": "13900000000", "qq": "", "post": "", "grade": ""}
    with pytest.raises(Refused, match="团长只能修改"), write_transaction(session):
        update_entry(session, leader, counselor.id, values, at=datetime.now(UTC))
    assistant = session.scalar(select(User).where(User.username == team.assistants[0]))
    with pytest.raises(Refused, match="只能修改自己"), write_transaction(session):
        update_entry(session, assistant, leader.id, values, at=datetime.now(UTC))
    assert session.scalars(select(AuditLog)).all() == []

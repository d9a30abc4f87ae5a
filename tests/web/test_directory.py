"""The team directory (checkin/me/directory.py): everyone in the team views and exports it, the
团长 and the counselor edit it, and it never shows hardship, political status or evaluations."""

from __future__ import annotations

import io

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
    assert ("修改</a>" in html) is (who != "assistant")

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
        ("grade", "2023\x01", "无效字符"),
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

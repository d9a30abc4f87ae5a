"""First run (/setup), the team's own name on the login page and directory, renaming it in the
settings (issue 12, item 1)."""

from __future__ import annotations

import threading
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from data.models import AuditLog, Role, Semester, Team, User
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

GOOD = {
    "college": "化学与材料学院",
    "team": "化材学院助管团",
    "username": "T9001",
    "name": "陈老师",
    "password": "chosen-by-me-1",
    "confirm": "chosen-by-me-1",
}


def post_setup(client, **fields):
    token = csrf_token(client.get("/setup").get_data(as_text=True))
    return client.post("/setup", data={**GOOD, **fields, "csrf_token": token})


def counts(db) -> tuple[int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count(User.id))),
            s.scalar(select(func.count(Team.id))),
            s.scalar(select(func.count(AuditLog.id))),
        )


def test_empty_install_leads_to_setup(client):
    assert client.get("/").headers["Location"] == "/setup"
    login = client.get("/login").get_data(as_text=True)
    assert "首次使用？开始设置" in login and 'href="/setup"' in login
    assert "助管通 · 值班签到与考核" in login and "数理学工助管团" not in login
    page = client.get("/setup")
    assert page.status_code == 200 and "完成设置并登录" in page.get_data(as_text=True)


def test_setup_creates_team_and_counselor_and_logs_in(client, db):
    response = post_setup(client)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    with db.session() as s:
        team = s.scalars(select(Team)).one()
        assert (team.name, team.college) == ("化材学院助管团", "化学与材料学院")
        user = s.scalars(select(User)).one()
        assert (user.username, user.name, user.role, user.team_id) == (
            "T9001",
            "陈老师",
            Role.counselor,
            team.id,
        )
        assert not user.must_change_password and user.check_password("chosen-by-me-1")
        entries = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert [e.action for e in entries] == ["team.create", "user.create"]
        assert entries[0].after == {"name": "化材学院助管团", "college": "化学与材料学院"}
        assert all(e.actor_id == user.id and e.team_id == team.id for e in entries)
        assert "chosen-by-me-1" not in str(entries[1].after)
    # Logged in as the counselor: the workbench opens, and /setup is gone.
    assert client.get("/admin/settings").status_code == 200
    assert client.get("/setup").status_code == 404


def test_setup_is_gone_once_a_user_exists(client, team, db):
    assert client.get("/setup").status_code == 404
    before = counts(db)
    # Refused before anything else, with or without a valid form token.
    assert client.post("/setup", data=GOOD).status_code == 404
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/setup", data={**GOOD, "csrf_token": token}).status_code == 404
    assert counts(db) == before
    login = client.get("/login").get_data(as_text=True)
    assert "开始设置" not in login
    assert client.get("/").headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"college": "  "}, "请填写学院名称"),
        ({"team": ""}, "请填写团队名称"),
        ({"team": "队" * 101}, "团队名称"),
        ({"username": ""}, "请填写学号/工号"),
        ({"username": "T 1"}, "只能由字母、数字"),
        ({"name": ""}, "请填写姓名"),
        ({"password": "short", "confirm": "short"}, "密码至少 8 位"),
        ({"confirm": "something-else-2"}, "两次输入的密码不一致"),
        ({"password": "", "confirm": ""}, "请设置密码"),
    ],
)
def test_bad_setup_input_writes_nothing(client, db, fields, message):
    response = post_setup(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)
    assert client.get("/setup").status_code == 200  # still open: nobody was created


def test_setup_without_csrf_writes_nothing(client, db):
    response = client.post("/setup", data=GOOD)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_service_checks_the_rules_too(db):
    """The service does not trust the form: blank college and unequal passwords are refused."""
    from data.services import Refused
    from data.services.setup import first_run
    from data.timeutil import utcnow

    args = {**GOOD, "team_name": GOOD["team"]}
    del args["team"]
    for bad in ({"college": " "}, {"confirm": "nope-nope-9"}, {"username": "a/b"}):
        with db.session() as s, pytest.raises(Refused):
            first_run(s, **{**args, **bad}, at=utcnow())
    assert counts(db) == (0, 0, 0)


def test_setup_adopts_the_lone_cli_team(client, runner, db):
    result = runner.invoke(args=["create-semester", "2026秋", "2026-09-07", "2027-01-15"])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        cli_team = s.scalars(select(Team)).one()
        assert cli_team.name == "默认团队"
    login = client.get("/login").get_data(as_text=True)
    assert "默认团队 · 值班签到与考核" in login and "首次使用？开始设置" in login
    assert post_setup(client).status_code == 302
    with db.session() as s:
        team = s.scalars(select(Team)).one()  # renamed, not a second team
        assert team.id == cli_team.id and team.name == "化材学院助管团"
        assert s.scalars(select(Semester)).one().team_id == team.id
        assert s.scalars(select(User)).one().team_id == team.id
        adopt = s.scalar(select(AuditLog).where(AuditLog.action == "team.adopt"))
        assert adopt.before == {"name": "默认团队", "college": ""}


def test_two_teams_and_a_taken_name(client, db):
    with db.session() as s:
        s.add_all([Team(name="甲团队"), Team(name="乙团队")])
    assert "助管通 · 值班签到与考核" in client.get("/login").get_data(as_text=True)
    # Two teams and a new name: a third team; a name that exists: that team is adopted.
    assert post_setup(client, team="乙团队").status_code == 302
    with db.session() as s:
        assert s.scalar(select(func.count(Team.id))) == 2
        user = s.scalars(select(User)).one()
        assert s.get(Team, user.team_id).name == "乙团队"


def test_concurrent_setups_make_one_counselor(app, db):
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token(c.get("/setup").get_data(as_text=True)) for c in clients]
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def run(i: int) -> None:
        data = {**GOOD, "username": f"T90{i}", "name": f"老师{i}", "csrf_token": tokens[i]}
        barrier.wait()
        statuses.append(clients[i].post("/setup", data=data).status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 404, 404, 404]
    with db.session() as s:
        assert s.scalar(select(func.count(User.id))) == 1
        assert s.scalar(select(func.count(Team.id))) == 1


def test_team_name_on_login_and_directory(client, auth, team, db):
    login = client.get("/login").get_data(as_text=True)
    assert "数学与物理学院助管团 · 值班签到与考核" in login
    auth.login(team.assistants[0])
    page = client.get("/directory").get_data(as_text=True)
    assert "数学与物理学院助管团通讯录" in page and "数理学工助管团" not in page
    download = client.get("/directory.xlsx")
    disposition = unquote(download.headers["Content-Disposition"])
    assert "数学与物理学院助管团通讯录.xlsx" in disposition


def rename(client, name: str):
    token = csrf_token(client.get("/admin/settings").get_data(as_text=True))
    return client.post("/admin/settings/team-name", data={"name": name, "csrf_token": token})


def test_counselor_renames_the_team(client, auth, team, db):
    auth.login(team.counselor)
    assert 'value="数学与物理学院助管团"' in client.get("/admin/settings").get_data(as_text=True)
    assert rename(client, "  数理 助管团 ").status_code == 302
    with db.session() as s:
        assert s.get(Team, team.team_id).name == "数理 助管团"
        entry = s.scalars(select(AuditLog)).one()
        assert entry.action == "team.rename"
        assert (entry.before, entry.after) == (
            {"name": "数学与物理学院助管团"},
            {"name": "数理 助管团"},
        )
    rename(client, "数理 助管团")  # unchanged: no second entry
    auth.logout()
    assert "数理 助管团 · 值班签到与考核" in client.get("/login").get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count(AuditLog.id))) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "请填写团队名称"), ("团" * 101, "不能超过 100 个字"), ("别的团队", "已有名为")],
)
def test_bad_team_name_is_refused(client, auth, team, db, name, message):
    with db.session() as s:
        s.add(Team(name="别的团队"))
    auth.login(team.counselor)
    response = rename(client, name)
    assert response.status_code == 302
    assert message in client.get("/admin/settings").get_data(as_text=True)
    with db.session() as s:
        assert s.get(Team, team.team_id).name == "数学与物理学院助管团"
        assert s.scalar(select(func.count(AuditLog.id))) == 0


@pytest.mark.parametrize("who", ["leader", "assistant"])
def test_only_the_counselor_renames(client, auth, team, db, who):
    auth.login(team.leader if who == "leader" else team.assistants[0])
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    response = client.post("/admin/settings/team-name", data={"name": "X", "csrf_token": token})
    assert response.status_code == 403
    with db.session() as s:
        assert s.get(Team, team.team_id).name == "数学与物理学院助管团"

"""团长选举 through the app: the counselor opens, assistants vote once from /me, the counselor
closes, confirms and the 团长 changes; who may do what; bad input changes nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from data.db import write_transaction
from data.models import (
    AuditLog,
    Election,
    ElectionCandidate,
    ElectionVoter,
    Role,
    Semester,
    Team,
    User,
)
from data.services import elections as service
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.db

NOW = datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock(app):
    moment = [NOW]
    app.config["CLOCK"] = lambda: moment[0]
    return moment


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def role_of(db, username: str) -> Role:
    with db.session() as s:
        return s.scalar(select(User.role).where(User.username == username))


def token(client, path: str = "/account/password") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": token(client)})


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _category, text in session.pop("_flashes", [])]


def login(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def open_all(client, closes="2026-10-14T18:00"):
    return post(client, "/admin/election", semester="1", mode="all_appointed", closes_at=closes)


def election_id(db) -> int:
    with db.session() as s:
        return s.scalar(select(Election.id).order_by(Election.id.desc()).limit(1))


def test_a_whole_election(app, db, team, clock):
    counselor = login(app, team.counselor)
    page = counselor.get("/admin/election").get_data(as_text=True)
    assert "发起选举" in page and 'href="/admin/election"' in page
    assert open_all(counselor).status_code == 302
    assert flashes(counselor) == ["已发起2026秋团长选举"]
    eid = election_id(db)

    zhang = login(app, team.assistants[0])
    me = zhang.get("/me").get_data(as_text=True)
    assert 'id="vote-form"' in me and "李团长" in me and "王五" in me
    li = uid(db, team.leader)
    assert post(zhang, "/me/election/vote", candidate=str(li)).status_code == 302
    assert "你的投票已计入" in flashes(zhang)[0]
    me = zhang.get("/me").get_data(as_text=True)
    assert 'id="vote-counted"' in me and 'id="vote-form"' not in me
    # A second vote (a stale tab) is refused and changes nothing.
    post(zhang, "/me/election/vote", candidate=str(uid(db, team.assistants[1])))
    assert flashes(zhang) == [service.ALREADY_VOTED]

    for voter in (team.leader, team.assistants[1]):
        post(login(app, voter), "/me/election/vote", candidate=str(li))
    page = counselor.get("/admin/election").get_data(as_text=True)
    assert "3 / 4" in page and "75.0%" in page
    assert "得票在截止并计票后显示" in page and "结束投票并计票" not in page

    clock[0] = datetime(2026, 10, 14, 18, 1, tzinfo=LOCAL_TZ)
    post(counselor, f"/admin/election/{eid}/close")
    assert flashes(counselor) == ["已计票：产生当选人"]
    page = counselor.get("/admin/election").get_data(as_text=True)
    assert 'id="confirm-form"' in page and "下载结果" in page
    workbook = load_workbook(io.BytesIO(counselor.get(f"/admin/election/{eid}/result.xlsx").data))
    rows = list(workbook["得票"].iter_rows(values_only=True))
    assert rows[0] == ("学号", "姓名", "得票") and rows[1] == (team.leader, "李团长", 3)

    # The 团长 is re-elected: nothing to hand over, roles unchanged.
    post(counselor, f"/admin/election/{eid}/confirm", from_day="2026-10-14")
    assert flashes(counselor) == ["已确认：李团长 自 2026-10-14 起任团长"]
    assert role_of(db, team.leader) is Role.leader
    assert "当选团长" in zhang.get("/me").get_data(as_text=True)


def test_confirm_from_a_later_day_applies_at_login_that_day(app, db, team, clock):
    counselor = login(app, team.counselor)
    open_all(counselor)
    eid = election_id(db)
    zhang_id = uid(db, team.assistants[0])
    for voter in (team.leader, team.assistants[0], team.assistants[2]):
        post(login(app, voter), "/me/election/vote", candidate=str(zhang_id))
    clock[0] = datetime(2026, 10, 15, 9, 0, tzinfo=LOCAL_TZ)
    post(counselor, f"/admin/election/{eid}/close")
    post(counselor, f"/admin/election/{eid}/confirm", from_day="2026-10-19")
    assert role_of(db, team.assistants[0]) is Role.assistant
    assert "将于 <b>2026-10-19</b> 起任团长" in counselor.get("/admin/election").get_data(
        as_text=True
    )
    clock[0] = datetime(2026, 10, 19, 7, 0, tzinfo=LOCAL_TZ)
    login(app, team.assistants[1])  # anyone of the team logging in that day
    assert role_of(db, team.assistants[0]) is Role.leader
    assert role_of(db, team.leader) is Role.assistant


def test_bad_input_is_refused_with_a_message_and_writes_nothing(app, db, team, clock):
    counselor = login(app, team.counselor)
    for data, message in [
        ({"mode": "all_appointed", "closes_at": "明天"}, "请填写投票截止时间"),
        ({"mode": "x", "closes_at": "2026-10-14T18:00"}, "请选择候选方式"),
        ({"mode": "standing", "closes_at": "2026-10-14T18:00"}, "报名时间"),
        ({"mode": "all_appointed", "closes_at": "2026-10-14T18:00", "opens_at": "9"}, "格式"),
        ({"mode": "all_appointed", "closes_at": "2026-10-11T18:00"}, "晚于投票开始"),
    ]:
        response = post(counselor, "/admin/election", semester="1", **data)
        assert response.status_code == 302
        assert message in flashes(counselor)[0]
    post(counselor, "/admin/election", semester="99", mode="all_appointed", closes_at="x")
    assert flashes(counselor) == ["请选择学期"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Election)) == 0
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 0

    open_all(counselor)
    zhang = login(app, team.assistants[0])
    for candidate in ("", "abc", "99999999999999999999", str(uid(db, team.counselor))):
        assert post(zhang, "/me/election/vote", candidate=candidate).status_code == 302
        assert flashes(zhang) == ["请在候选人中选择一人"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ElectionVoter)) == 0
        assert s.scalar(select(func.sum(ElectionCandidate.votes))) == 0


def test_standing_from_me(app, db, team, clock):
    counselor = login(app, team.counselor)
    post(
        counselor,
        "/admin/election",
        semester="1",
        mode="standing",
        opens_at="2026-10-13T08:00",
        closes_at="2026-10-14T18:00",
    )
    zhang = login(app, team.assistants[0])
    assert "报名参选团长" in zhang.get("/me").get_data(as_text=True)
    post(zhang, "/me/election/stand", statement="愿意负责排班")
    assert flashes(zhang) == ["已报名参选团长"]
    me = zhang.get("/me").get_data(as_text=True)
    assert "撤回参选" in me and "已报名：张三" in me
    assert "愿意负责排班" in counselor.get("/admin/election").get_data(as_text=True)
    clock[0] = datetime(2026, 10, 13, 9, 0, tzinfo=LOCAL_TZ)
    post(zhang, "/me/election/withdraw")
    assert "报名已截止" in flashes(zhang)[0]


COUNSELOR_GETS = ["/admin/election", "/admin/election/{eid}/result.xlsx"]
COUNSELOR_POSTS = [
    "/admin/election",
    "/admin/election/{eid}/close",
    "/admin/election/{eid}/confirm",
    "/admin/election/{eid}/runoff",
    "/admin/election/{eid}/cancel",
]
VOTER_POSTS = ["/me/election/stand", "/me/election/withdraw", "/me/election/vote"]


def test_who_may_do_what(app, db, team, clock):
    with db.sessionmaker() as s, write_transaction(s):
        counselor = s.scalar(select(User).where(User.username == team.counselor))
        election = service.open_election(
            s,
            counselor,
            s.get(Semester, team.semester_id),
            "all_appointed",
            None,
            NOW + timedelta(days=1),
            at=NOW,
        )
        eid = election.id
        other = Team(name="另一个团队")
        s.add(other)
        factories.user(s, other, "T900", "外队兼辅", Role.counselor)
    for username in (team.leader, team.assistants[0], team.leadership):
        client = login(app, username)
        for path in COUNSELOR_GETS:
            assert client.get(path.format(eid=eid)).status_code == 403, (username, path)
        for path in COUNSELOR_POSTS:
            assert post(client, path.format(eid=eid)).status_code == 403, (username, path)
    # Staff have no /me: the voter's routes send them to the dashboard, writing nothing.
    for username in (team.counselor, team.leadership):
        client = login(app, username)
        for path in VOTER_POSTS:
            response = post(client, path, candidate=str(uid(db, team.leader)))
            assert response.headers["Location"].endswith("/dashboard/"), (username, path)
    outsider = login(app, "T900")
    for path in COUNSELOR_GETS[1:]:
        assert outsider.get(path.format(eid=eid)).status_code == 404
    for path in COUNSELOR_POSTS[1:]:
        assert post(outsider, path.format(eid=eid)).status_code == 404
    assert "发起选举" in outsider.get("/admin/election").get_data(as_text=True)  # their own team
    anonymous = app.test_client()
    for path in COUNSELOR_GETS:
        assert anonymous.get(path.format(eid=eid)).status_code == 302
    for path in [*COUNSELOR_POSTS, *VOTER_POSTS]:
        response = anonymous.post(path.format(eid=eid))
        assert response.status_code in (302, 400), path  # login, or the CSRF refusal
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ElectionVoter)) == 0
        assert s.get(Election, eid).state.value == "open"


def test_a_later_term_takes_effect_in_the_minutely_notify_run(app, db, team, clock, runner):
    counselor = login(app, team.counselor)
    open_all(counselor)
    eid = election_id(db)
    wang_id = uid(db, team.assistants[2])
    for voter in (team.leader, team.assistants[0], team.assistants[2]):
        post(login(app, voter), "/me/election/vote", candidate=str(wang_id))
    clock[0] = datetime(2026, 10, 15, 9, 0, tzinfo=LOCAL_TZ)
    post(counselor, f"/admin/election/{eid}/close")
    post(counselor, f"/admin/election/{eid}/confirm", from_day="2026-10-19")

    result = runner.invoke(args=["notify", "run", "--now", "2026-10-18 23:59"])
    assert result.exit_code == 0 and "团长" not in result.output
    assert role_of(db, team.assistants[2]) is Role.assistant
    result = runner.invoke(args=["notify", "run", "--dry-run", "--now", "2026-10-19 00:00"])
    assert role_of(db, team.assistants[2]) is Role.assistant  # a dry run writes nothing
    result = runner.invoke(args=["notify", "run", "--now", "2026-10-19 00:00"])
    assert result.exit_code == 0, result.output
    assert "王五（2023103）：助管 → 团长" in result.output
    assert "李团长（2023001）：团长 → 助管" in result.output
    assert role_of(db, team.assistants[2]) is Role.leader
    assert role_of(db, team.leader) is Role.assistant
    again = runner.invoke(args=["notify", "run", "--now", "2026-10-19 00:01"])
    assert "团长" not in again.output  # applied once


def test_a_tie_under_the_runoff_rule_goes_to_a_second_round(app, db, team, clock):
    from data.models import TeamSettings

    with db.session() as s:
        s.add(TeamSettings(team_id=team.team_id, values={"election_tie_rule": "runoff"}))
    counselor = login(app, team.counselor)
    open_all(counselor)
    eid = election_id(db)
    zhang, li_si = uid(db, team.assistants[0]), uid(db, team.assistants[1])
    for voter, choice in [(team.leader, zhang), (team.assistants[2], li_si)]:
        post(login(app, voter), "/me/election/vote", candidate=str(choice))
    clock[0] = datetime(2026, 10, 14, 18, 1, tzinfo=LOCAL_TZ)
    post(counselor, f"/admin/election/{eid}/close")
    page = counselor.get("/admin/election").get_data(as_text=True)
    assert 'id="runoff-form"' in page and 'id="confirm-form"' not in page
    post(counselor, f"/admin/election/{eid}/confirm", from_day="2026-10-14", chosen=str(zhang))
    assert "再投一轮" in flashes(counselor)[0]
    post(counselor, f"/admin/election/{eid}/runoff", closes_at="2026-10-15T18:00")
    assert flashes(counselor) == ["已在并列者中发起第二轮投票"]
    with db.session() as s:
        second = s.get(Election, election_id(db))
        assert second.id != eid and second.mode.value == "runoff"
        assert sorted(c.user_id for c in second.candidates) == sorted([zhang, li_si])
    me = login(app, team.assistants[0]).get("/me").get_data(as_text=True)
    assert (
        'id="vote-form"' in me and "王五" not in me.split('id="vote-form"')[1].split("</form>")[0]
    )


def test_the_demo_team_elected_its_leader(demo_db):
    from data.demo import DEMO_LOGINS

    leader = next(username for role, username, _p, _ in DEMO_LOGINS if role == "团长")
    with demo_db.session() as s:
        election = s.scalars(select(Election)).one()
        winner = s.get(User, election.winner_id)
        assert (election.state.value, winner.username, winner.role) == (
            "confirmed",
            leader,
            Role.leader,
        )
        roll = s.scalar(select(func.count()).select_from(ElectionVoter))
        assert s.scalar(select(func.sum(ElectionCandidate.votes))) == roll
        assert election.result["outcome"] == "winner" and election.result["voted"] == roll


def test_election_settings_in_the_settings_form(app, db, team):
    from data.attendance import team_settings
    from tests.web.test_admin_accounts_settings import settings_form

    counselor = login(app, team.counselor)
    form = settings_form(counselor)
    assert (form["election_min_turnout"], form["election_tie_rule"]) == ("50", "counselor")
    for field, value, message in [
        ("election_min_turnout", "101", "“最低投票率”须填写 0–100 之间的整数"),
        ("election_tie_rule", "coin", "请选择票数并列时的处理方式"),
    ]:
        response = post(counselor, "/admin/settings", **{**form, field: value})
        assert message in response.get_data(as_text=True)
    changed = {"election_min_turnout": "60", "election_tie_rule": "runoff"}
    assert post(counselor, "/admin/settings", **{**form, **changed}).status_code == 302
    with db.session() as s:
        saved = team_settings(s, team.team_id)
    assert (saved.election_min_turnout, saved.election_tie_rule) == (60, "runoff")

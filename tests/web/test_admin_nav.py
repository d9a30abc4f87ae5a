"""The workbench nav lists only what the user may open, in a fixed order."""

from __future__ import annotations

import pytest

from data.models import TeamSettings

pytestmark = pytest.mark.db


def nav_of(client) -> str:
    html = client.get("/admin/schedule").get_data(as_text=True)
    return html.split('admin-nav">', 1)[1].split("</nav>", 1)[0]


def test_leader_sees_corrections_only_when_allowed(client, auth, team, db):
    auth.login(team.leader)
    assert "补签" not in nav_of(client)
    with db.session() as s:
        s.add(TeamSettings(team_id=team.team_id, values={"leader_can_correct": True}))
    assert "补签" in nav_of(client)


def test_counselor_nav_order(client, auth, team):
    auth.login(team.counselor)
    nav = nav_of(client)
    positions = [
        nav.index(label) for label in ("请假审批", "补签", "值班安排", "规则设置", "审计日志")
    ]
    assert positions == sorted(positions)


def test_leader_reaches_own_page_from_every_nav(client, auth, team):
    """Issue 12: 我的值班 for the 团长 in the workbench nav and the top bar (phone and desktop
    share both), and a way back to the workbench from /me; others never see it."""
    auth.login(team.leader)
    assert 'href="/me">我的值班' in nav_of(client)
    page = client.get("/admin/schedule").get_data(as_text=True)
    top = page.split("</nav>", 1)[0]
    assert 'href="/me">我的值班' in top
    me = client.get("/me")
    assert me.status_code == 200
    assert 'href="/admin/schedule">工作台' in me.get_data(as_text=True)
    auth.logout()
    auth.login(team.counselor)
    assert "我的值班" not in client.get("/admin/schedule").get_data(as_text=True)


def test_dashboard_nav_links_for_leader(app, team, db):
    from flask_login import login_user
    from sqlalchemy import select

    from dashboard import nav_links
    from data.models import User

    for username, expected in ((team.leader, True), (team.counselor, False)):
        with app.test_request_context("/dashboard/"):
            from web import get_session

            login_user(get_session().scalar(select(User).where(User.username == username)))
            hrefs = [getattr(link, "href", "") for link in nav_links("")]
            assert ("/me" in hrefs) is expected

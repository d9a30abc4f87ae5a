"""The workbench nav lists only what the user may open, in a fixed order."""

from __future__ import annotations

import pytest

from data.models import TeamSettings

pytestmark = pytest.mark.db


def nav_of(client) -> str:
    html = client.get("/admin/schedule").get_data(as_text=True)
    return html.split('<nav class="admin-nav', 1)[1].split("</nav>", 1)[0]


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


def nav_as(app, username: str):
    """nav_for as that user sees it (a section's condition reads the logged-in user)."""
    from flask_login import login_user
    from sqlalchemy import select

    from checkin.access import nav_for
    from data.models import User
    from web import get_session

    with app.test_request_context("/admin/schedule"):
        user = get_session().scalar(select(User).where(User.username == username))
        login_user(user)
        return nav_for(user.role)


def test_counselor_sections_fold_into_two_menus(app, client, auth, team):
    """Issue 15: the counselor's 20 sections fit one line: daily ones, then two menus."""
    entries = nav_as(app, team.counselor)
    assert [e.label for e in entries if e.links] == ["学期工作", "团队与设置"]
    daily = [e.label for e in entries if not e.links]
    assert daily == ["请假审批", "补签", "值班安排", "例会与培训"]
    folded = [label for e in entries for _, label in e.links]
    assert "规则设置" in folded and "审计日志" in folded and "学期锁定" in folded
    auth.login(team.counselor)
    nav = nav_of(client)
    assert nav.count('<details class="admin-menu"') == 2
    assert nav.count('href="/admin/audit"') == 2  # once in the wide nav, once in the phone menu


def test_small_menus_stay_inline_for_the_leader_and_leaders(app, team):
    leader = nav_as(app, team.leader)
    leadership = nav_as(app, team.leadership)
    assert all(not e.links for e in leader + leadership)
    assert [e.label for e in leadership] == ["值班安排", "例会与培训", "考核", "补贴"]
    assert [e.label for e in leader][:2] == ["我的值班", "值班安排"]


def test_phone_menu_names_the_current_page(client, auth, team):
    auth.login(team.counselor)
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "菜单 · 规则设置" in html
    assert '<summary class="nav-link text-nowrap active">团队与设置</summary>' in html


def test_dashboard_nav_order_and_more_menu(app, team, db):
    """今日值班 leads for the 团长; the comparison, meeting and reminder pages sit in 更多."""
    from flask_login import login_user
    from sqlalchemy import select

    from dashboard import nav_pages
    from data.models import Role, User
    from web import get_session

    with app.test_request_context("/dashboard/"):
        leader = [p["slug"] for p in nav_pages(Role.leader)]
        counselor = [p["slug"] for p in nav_pages(Role.counselor)]
        assert leader[0] == "today"
        assert counselor[:2] == ["overview", "today"]
        login_user(get_session().scalar(select(User).where(User.username == team.counselor)))
        from dashboard import nav_links

        links = nav_links("?semester=1", "/dashboard/compare")
        more = links[-2]
        assert more.label == "学期对比" and more.toggle_class_name == "active"
        assert [i.children for i in more.children] == ["学期对比", "会议模式", "提醒记录"]
        attendance = next(link for link in links if getattr(link, "children", "") == "考勤")
        assert attendance.active is False and attendance.href == "/dashboard/attendance?semester=1"

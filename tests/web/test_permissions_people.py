"""Server-side role checks for recruitment, leaving, accounts, settings and /apply.

Every role × every route: only the counselor manages; assistants (and the 团长) may only
apply; leadership gets none of these pages, so hardship / political status never reach them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import Appointment, User
from tests.conftest import csrf_token
from tests.web.test_admin_recruit import CLOCK, audit_count

pytestmark = pytest.mark.db

ROLES = ("assistant", "leader", "counselor", "leadership")

# (method, url template, allowed roles); {a} = an appointment id, {u} = a user id of the team.
ROUTES = [
    ("GET", "/apply", {"assistant", "leader"}),
    ("POST", "/apply", {"assistant", "leader"}),
    ("GET", "/admin/recruit", {"counselor"}),
    ("GET", "/admin/recruit/{a}", {"counselor"}),
    ("POST", "/admin/recruit/{a}/review", {"counselor"}),
    ("POST", "/admin/recruit/import", {"counselor"}),
    ("POST", "/admin/recruit/appoint", {"counselor"}),
    ("GET", "/admin/carry-over", {"counselor"}),
    ("POST", "/admin/carry-over", {"counselor"}),
    ("GET", "/admin/people", {"counselor"}),
    ("GET", "/admin/people/rehire", {"counselor"}),
    ("POST", "/admin/people/{a}/resign", {"counselor"}),
    ("POST", "/admin/people/{a}/dismiss", {"counselor"}),
    ("POST", "/admin/people/{a}/failure", {"counselor"}),
    ("POST", "/admin/people/{a}/violation", {"counselor"}),
    ("GET", "/admin/accounts", {"counselor"}),
    ("POST", "/admin/accounts", {"counselor"}),
    ("POST", "/admin/accounts/{u}/active", {"counselor"}),
    ("POST", "/admin/accounts/{u}/reset", {"counselor"}),
    ("GET", "/admin/settings", {"counselor"}),
    ("POST", "/admin/settings", {"counselor"}),
    ("POST", "/admin/settings/reset", {"counselor"}),
]


def login_as(team, auth, role: str) -> None:
    username = {
        "assistant": team.assistants[0],
        "leader": team.leader,
        "counselor": team.counselor,
        "leadership": team.leadership,
    }[role]
    auth.login(username)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "allowed"), ROUTES)
def test_permission_matrix(app, client, auth, db, team, role, method, url, allowed):
    app.config["CLOCK"] = lambda: CLOCK
    with db.session() as s:
        a = s.scalar(select(Appointment.id).where(Appointment.semester_id == team.semester_id))
        u = s.scalar(select(User.id).where(User.username == team.assistants[2]))
    login_as(team, auth, role)
    target = url.format(a=a, u=u)
    before = audit_count(db)
    if method == "GET":
        response = client.get(target)
    else:
        # A valid token from a page every logged-in user can open, so only the role decides.
        token = csrf_token(client.get("/account/password").get_data(as_text=True))
        response = client.post(target, data={"csrf_token": token})
    if role in allowed:
        assert response.status_code in (200, 302, 400), response.status_code
    else:
        assert response.status_code == 403
        assert audit_count(db) == before


def test_anonymous_is_sent_to_login(client, team):
    for url in ("/apply", "/admin/recruit", "/admin/people", "/admin/accounts", "/admin/settings"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sensitive_fields_only_for_the_counselor(app, client, auth, db, team):
    app.config["CLOCK"] = lambda: CLOCK
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[0]))
        user.hardship, user.political_status = True, "中共党员"
        s.commit()
    login_as(team, auth, "counselor")
    html = client.get("/admin/recruit?stage=all").get_data(as_text=True)
    assert "家庭经济困难" in html and "中共党员" in html and "是 · 优先" in html
    auth.logout()
    for role in ("leader", "leadership", "assistant"):
        login_as(team, auth, role)
        for url in ("/admin/recruit?stage=all", "/admin/people", "/admin/people/rehire"):
            response = client.get(url)
            assert response.status_code == 403
            assert "家庭经济困难" not in response.get_data(as_text=True)
        auth.logout()


def test_nav_lists_pages_only_for_the_counselor(app, client, auth, team):
    app.config["CLOCK"] = lambda: CLOCK
    login_as(team, auth, "counselor")
    html = client.get("/admin/settings").get_data(as_text=True)
    for label in ("招聘审核", "续聘", "离任管理", "账号管理", "规则设置"):
        assert label in html
    assert 'href="/admin/carry-over"' in html
    auth.logout()
    for role in ("leader", "leadership"):
        login_as(team, auth, role)
        assert 'href="/admin/carry-over"' not in client.get("/admin/meetings").get_data(
            as_text=True
        )
        auth.logout()

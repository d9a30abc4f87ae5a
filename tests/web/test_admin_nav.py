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

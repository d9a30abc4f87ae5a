"""团长选举 in a real browser: an assistant votes on a phone (390×844) and sees it counted; the
counselor closes, counts and confirms on a desktop."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from data.db import write_transaction
from data.demo import DEMO_LOGINS
from data.models import Election, Role, Semester, TeamSettings, User
from data.services import elections as service
from data.timeutil import local_today
from tests.browser.helpers import PHONE, fits_width, live_server, log_in
from tests.conftest import DEMO_NOW

pytestmark = [pytest.mark.browser, pytest.mark.db]

LOGINS = {role: (username, password) for role, username, password, _ in DEMO_LOGINS}
STANDING = ("20220107", "20230101", "20242335")  # three demo assistants stand
STATEMENTS = ("愿意负责排班和考勤，为大家服务", "", "熟悉值班流程，会按时整理通讯录")


def _election(demo_db, *, closes_in: timedelta) -> int:
    """A 自愿参选 election opened two days ago; voting started an hour ago."""
    opened = DEMO_NOW - timedelta(days=2)
    with demo_db.sessionmaker() as s, write_transaction(s):
        counselor = s.scalar(select(User).where(User.role == Role.counselor))
        semester = s.scalar(
            select(Semester).where(
                Semester.team_id == counselor.team_id,
                Semester.start <= local_today(DEMO_NOW),
                Semester.end >= local_today(DEMO_NOW),
            )
        )
        election = service.open_election(
            s,
            counselor,
            semester,
            "standing",
            DEMO_NOW - timedelta(hours=1),
            DEMO_NOW + closes_in,
            at=opened,
        )
        for username, statement in zip(STANDING, STATEMENTS, strict=True):
            person = s.scalar(select(User).where(User.username == username))
            service.stand(s, person, election, statement, at=opened)
        return election.id


def _login(page, base: str, role: str) -> None:
    log_in(page, base, *LOGINS[role])


def test_assistant_votes_on_a_phone(demo_app, demo_db, artifacts_dir, browser):
    _election(demo_db, closes_in=timedelta(days=1))
    errors: list[str] = []
    with live_server(demo_app) as base:
        page = browser.new_page(viewport=PHONE)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _login(page, base, "助管")
        page.wait_for_url(re.compile(r".*/me$"))
        card = page.locator("#election")
        card.scroll_into_view_if_needed()
        assert card.locator("input[type=radio]").count() == 3
        assert "愿意负责排班和考勤" in card.inner_text()
        assert fits_width(page)
        card.locator("label", has_text="愿意负责排班和考勤").click()  # the whole row is the target
        box = card.locator("button[type=submit]").bounding_box()
        assert box is not None and box["height"] >= 44
        card.screenshot(path=str(artifacts_dir / "election-vote-phone.png"))
        card.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/me#election$"))
        assert "你的投票已计入" in page.locator(".alert-success").first.inner_text()
        counted = page.locator("#vote-counted")
        assert counted.is_visible() and "你的投票已计入" in counted.inner_text()
        assert page.locator("#vote-form").count() == 0
        page.locator("#election").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "election-voted-phone.png"))
    assert errors == []


def test_counselor_counts_and_confirms(demo_app, demo_db, artifacts_dir, browser):
    election_id = _election(demo_db, closes_in=timedelta(hours=-0.5))  # voting just ended
    with demo_db.session() as s:  # 3 of the demo's ~38 voters: a 5 % minimum for this test
        team_id = s.get(Election, election_id).team_id
        row = s.get(TeamSettings, team_id) or TeamSettings(team_id=team_id, values={})
        row.values = {**row.values, "election_min_turnout": 5}
        s.add(row)
    with demo_db.sessionmaker() as s:
        election = s.get(Election, election_id)
        voters = [s.scalar(select(User).where(User.username == u)) for u in STANDING]
        first = election.candidates[0].user_id
    for voter in voters:  # they voted while it was open
        with demo_db.sessionmaker() as s, write_transaction(s):
            service.vote(
                s,
                s.get(User, voter.id),
                s.get(Election, election_id),
                first,
                at=DEMO_NOW - timedelta(minutes=45),
            )
    with live_server(demo_app) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base, "兼辅")
        page.goto(f"{base}/admin/election")
        assert "3 / " in page.locator("#turnout").inner_text()
        page.click("button:has-text('结束投票并计票')")
        page.wait_for_url(re.compile(r".*/admin/election$"))
        assert "计票结果" in page.locator("#tally").inner_text()
        assert "产生当选人" in page.locator("#tally").inner_text()
        page.screenshot(path=str(artifacts_dir / "election-counted-desktop.png"), full_page=True)
        page.click("#confirm-form button[type=submit]")  # from today, the form's default
        page.wait_for_url(re.compile(r".*/admin/election$"))
        assert "雷晓雯 自 2026-11-24 起任团长" in page.locator(".alert-success").first.inner_text()
        assert "已确认" in page.locator("#history").inner_text()
        page.screenshot(path=str(artifacts_dir / "election-confirmed-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        assert fits_width(page)
        page.screenshot(path=str(artifacts_dir / "election-confirmed-phone.png"), full_page=True)
    with demo_db.session() as s:
        roles = dict(s.execute(select(User.username, User.role)).all())
    assert roles["20220107"] is Role.leader
    assert roles[LOGINS["团长"][0]] is Role.assistant

"""换班申请 in a real browser at phone size: 王五 offers a duty, 张三 takes it, the 团长 approves."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from data.models import ShiftOverride, SwapOffer
from data.policy.swaps import SwapState
from data.timeutil import LOCAL_TZ
from tests.browser.helpers import PHONE, collect_errors, fits_width, live_server, log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.db]

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)  # Monday; 王五's Tuesday duty is tomorrow


def _login(page, base: str, username: str) -> None:
    log_in(page, base, username, PASSWORD)


def test_offer_take_approve_on_a_phone(app, db, team, artifacts_dir, browser):
    app.config["CLOCK"] = lambda: NOW
    errors: list[str] = []
    with live_server(app) as base:
        wang = browser.new_page(viewport=PHONE)
        collect_errors(wang, errors)
        _login(wang, base, "2023103")
        wang.goto(f"{base}/me#swaps")
        wang.select_option("#swap-duty", index=0)
        assert "9月15日 周二 08:00–10:00" in wang.locator("#swap-duty").inner_text()
        wang.fill("#swap-reason", "当天有课程考试")
        wang.click("#swap-offer-form button[type=submit]")
        wang.wait_for_url(re.compile(r".*/me#swaps$"))
        assert wang.locator(".alert-success", has_text="换班申请已发布").is_visible()
        assert wang.locator(".swap-mine .badge", has_text="待替班").is_visible()
        assert fits_width(wang)
        wang.locator("#swaps").screenshot(path=str(artifacts_dir / "swaps-offered-phone.png"))

        zhang = browser.new_page(viewport=PHONE)
        collect_errors(zhang, errors)
        _login(zhang, base, "2023101")
        zhang.goto(f"{base}/me#swaps")
        item = zhang.locator(".swap-takeable", has_text="当天有课程考试")
        button = item.locator("button", has_text="我来替班")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 36  # a thumb-sized button
        zhang.locator("#swaps").screenshot(path=str(artifacts_dir / "swaps-takeable-phone.png"))
        button.click()
        zhang.wait_for_url(re.compile(r".*/me#swaps$"))
        assert zhang.locator(".alert-success", has_text="你已接下这次替班").is_visible()
        assert zhang.locator(".swap-mine .badge", has_text="待团长批准").is_visible()

        leader = browser.new_page(viewport=PHONE)
        collect_errors(leader, errors)
        _login(leader, base, team.leader)
        leader.goto(f"{base}/admin/swaps")
        card = leader.locator(".swap-taken", has_text="王五")
        assert "张三" in card.inner_text() and "9月15日 周二 08:00–10:00" in card.inner_text()
        assert fits_width(leader)
        leader.screenshot(path=str(artifacts_dir / "swaps-queue-phone.png"), full_page=True)
        card.locator("button", has_text="批准").click()
        leader.wait_for_url(re.compile(r".*/admin/swaps$"))
        assert leader.locator(".alert-success", has_text="已批准换班").is_visible()
        leader.screenshot(path=str(artifacts_dir / "swaps-approved-phone.png"), full_page=True)

        wang.goto(f"{base}/me")  # the same URL with #swaps would only scroll, not reload
        assert wang.locator(".swap-mine .badge", has_text="已批准").is_visible()
        wang.locator("#swaps").screenshot(path=str(artifacts_dir / "swaps-approved-me-phone.png"))
    assert errors == []
    with db.session() as s:
        offer = s.scalar(select(SwapOffer))
        assert offer.state is SwapState.approved
        override = s.get(ShiftOverride, offer.override_id)
        assert override.kind.value == "swap" and override.on.isoformat() == "2026-09-15"

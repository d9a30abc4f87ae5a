"""Page weight: bytes on the wire for the door, login and dashboard pages in headless Chromium.

    python -m bench.pages [--quick] [--keep]

The app runs in-process (werkzeug in a thread) on a temporary SQLite database holding the demo
team, its clock fixed on the demo's today. Each page is loaded in a fresh browser context with
a cold cache; the bytes are Chromium's own count of what came over the socket
(``Network.loadingFinished.encodedDataLength``: compressed bodies plus headers), summed over
every request the page makes until the network is idle. The baseline is the same load's bytes
after decoding (what would travel without compression). Without --quick each page is also
visited a second time, warm: a fingerprinted file should then not be asked for at all.

Targets (SPEC §8, issue 16): door and login ≤ 40 KB, the dashboard's first load ≤ 2.5 MB.
The last line is ``RESULT door_bytes=… login_bytes=… dashboard_bytes=…``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select

from data.db import Database
from data.demo import DEMO_LOGINS, seed_demo
from data.migrate import upgrade
from data.models import Place, User
from data.timeutil import LOCAL_TZ
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PHONE, live_server

TODAY = date(2026, 11, 24)  # the demo's fixed today (as in the tests)
NOW = datetime.combine(TODAY, time(12, 0), tzinfo=LOCAL_TZ)
DESKTOP = {"width": 1920, "height": 1080}
TARGETS = {"door": 40 * 1024, "login": 40 * 1024, "dashboard": int(2.5 * 2**20)}


@dataclass
class Load:
    """What one page load fetched: requests, bytes on the wire, bytes after decoding."""

    requests: int = 0
    wire: int = 0
    decoded: int = 0
    not_modified: int = 0
    cached: int = 0  # answered from the browser's cache without asking the server
    largest: list[tuple[int, str]] = field(default_factory=list)


def _login(page, base: str, username: str, password: str) -> None:
    # Land on a light page, not the home page (the counselor's is the whole dashboard).
    page.goto(f"{base}/login?next=/account/password")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/account/password**")


def measure(
    browser, viewport: dict, visit: Callable, before: Callable | None = None, warm: bool = False
) -> Load:
    """Run ``before`` (not counted), clear the cache, then count the bytes of ``visit``.

    With ``warm`` the page is visited once more afterwards and that visit is returned.
    """
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if before:
        before(page)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    loads = [Load()]
    urls: dict[str, str] = {}

    def on_response(event: dict) -> None:
        response = event["response"]
        urls[event["requestId"]] = response["url"]
        if response["status"] == 304:
            loads[-1].not_modified += 1
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            loads[-1].cached += 1

    def on_cache(_event: dict) -> None:
        loads[-1].cached += 1  # from the memory cache: no responseReceived flag for it

    def on_data(event: dict) -> None:
        loads[-1].decoded += event["dataLength"]

    def on_finished(event: dict) -> None:
        load, size = loads[-1], int(event["encodedDataLength"])
        load.requests += 1
        load.wire += size
        load.largest.append((size, urls.get(event["requestId"], "?")))

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.requestServedFromCache", on_cache)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.loadingFinished", on_finished)
    visit(page)
    page.wait_for_load_state("networkidle")
    if warm:
        loads.append(Load())
        visit(page)
        page.wait_for_load_state("networkidle")
    context.close()
    return loads[-1]


def build_database(workdir: Path) -> str:
    """A migrated SQLite database with the demo team as of TODAY; returns its URL."""
    url = f"sqlite:///{workdir / 'pages.db'}"
    database = Database(url)
    upgrade(database.engine)
    with database.session() as session:
        seed_demo(session, seed=2026, today=TODAY)
    database.dispose()
    return url


def door_url(app) -> str:
    """The demo assistant's poster URL (path and token), as the door QR encodes it."""
    from checkin.door.tokens import make_poster_token

    database = app.extensions["zhuguantong.db"]
    with database.session() as session:
        team_id = session.scalar(select(User.team_id).where(User.username == _login_of("助管")[0]))
        place = session.scalars(select(Place).where(Place.team_id == team_id)).first()
        token = make_poster_token(app.secret_key, place.id, place.poster_version)
    return f"/checkin/door?t={token}"


def _login_of(role: str) -> tuple[str, str]:
    for label, username, password, _note in DEMO_LOGINS:
        if label == role:
            return username, password
    raise LookupError(role)


def run(base: str, door: str, quick: bool) -> dict[str, tuple[Load, Load | None]]:
    """For each page: (cold load, warm second visit or None)."""
    from playwright.sync_api import sync_playwright

    assistant, counselor = _login_of("助管"), _login_of("兼辅")

    def dashboard(page) -> None:
        page.goto(f"{base}/dashboard/")
        page.wait_for_selector("#shell-nav a", timeout=60_000)

    pages = {
        "door": (PHONE, lambda p: p.goto(base + door), lambda p: _login(p, base, *assistant)),
        "login": (PHONE, lambda p: p.goto(f"{base}/login"), None),
        "dashboard": (DESKTOP, dashboard, lambda p: _login(p, base, *counselor)),
    }
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, (viewport, visit, before) in pages.items():
                cold = measure(browser, viewport, visit, before)
                warm = None if quick else measure(browser, viewport, visit, before, warm=True)
                results[name] = (cold, warm)
        finally:
            browser.close()
    return results


def report(results: dict[str, tuple[Load, Load | None]]) -> None:
    """The table, the largest files of each page, then the one RESULT line."""
    print(
        f"{'page':<10}{'requests':>9}{'wire KB':>10}{'uncompressed KB':>17}{'× smaller':>10}"
        f"{'target KB':>11}{'warm: cached':>14}{'asked':>7}{'304s':>6}{'KB':>8}"
    )
    for name, (cold, warm) in results.items():
        warm_cells = (
            f"{warm.cached:>14}{warm.requests - warm.cached:>7}{warm.not_modified:>6}"
            f"{warm.wire / 1024:>8.1f}"
            if warm
            else f"{'-':>14}{'-':>7}{'-':>6}{'-':>8}"
        )
        print(
            f"{name:<10}{cold.requests:>9}{cold.wire / 1024:>10.1f}{cold.decoded / 1024:>17.1f}"
            f"{cold.decoded / max(cold.wire, 1):>10.1f}{TARGETS[name] / 1024:>11.0f}{warm_cells}"
        )
    for name, (cold, _warm) in results.items():
        top = sorted(cold.largest, reverse=True)[:3]
        print(
            f"  {name}: " + ", ".join(f"{u.split('?')[0][-48:]} {s / 1024:.1f} KB" for s, u in top)
        )
    door, login, dashboard = (results[n][0].wire for n in ("door", "login", "dashboard"))
    print(f"RESULT door_bytes={door} login_bytes={login} dashboard_bytes={dashboard}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cold loads only (under 60 s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:
        url = build_database(workdir)
        from app import create_app

        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "bench", "CLOCK": lambda: NOW, "TESTING": True}
        )
        door = door_url(app)
        with live_server(app) as base:
            app.config["PUBLIC_URL"] = base
            results = run(base, door, args.quick)
        app.extensions["zhuguantong.db"].dispose()
    finally:
        if args.keep:
            print(f"database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results)


if __name__ == "__main__":
    main()

"""Issue 16: the door and login pages (and the door's refusal and scan hint) look the same with the trimmed door.css as with all of
Bootstrap + site.css, at phone and desktop width (pixel comparison of the two screenshots)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from tests.browser.helpers import PHONE, live_server
from tests.web.test_page_weight import ASSISTANT, ROOT, door_path

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
FULL_CSS = "\n".join(
    (ROOT / "assets" / name).read_text(encoding="utf-8")
    for name in ("vendor/bootstrap.min.css", "site.css")
)


def _shot(browser, viewport: dict, url: str, login: str | None, full: bool) -> bytes:
    """A screenshot of ``url``; with ``full`` door.css is answered with the whole Bootstrap."""
    context = browser.new_context(viewport=viewport)
    swapped = []
    if full:

        def answer(route) -> None:
            swapped.append(route.request.url)
            route.fulfill(body=FULL_CSS, content_type="text/css")

        context.route("**/static/door.css*", answer)
    page = context.new_page()
    if login:
        page.goto(login)
        page.fill("#username", ASSISTANT[0])
        page.fill("#password", ASSISTANT[1])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
    page.goto(url)
    page.wait_for_load_state("networkidle")
    png = page.screenshot(full_page=True, animations="disabled")
    context.close()
    assert bool(swapped) == full  # the comparison really had all of Bootstrap on one side
    return png


def _differing_share(a: bytes, b: bytes) -> float:
    first, second = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    assert first.size == second.size, (first.size, second.size)
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 24 else 0)
    return diff.histogram()[255] / (first.size[0] * first.size[1])


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_login_and_door_look_the_same_as_with_all_of_bootstrap(
    demo_app, browser, artifacts_dir, name, viewport
):
    with live_server(demo_app) as base:
        pages = {
            "login": (f"{base}/login", None),
            "door": (base + door_path(demo_app), f"{base}/login"),
            "refused": (f"{base}/checkin/door?t=forged", None),  # a forged QR: 403
            "scan": (f"{base}/checkin/door", None),  # no QR at all: 扫码 hint
        }
        for page, (url, login) in pages.items():
            trimmed = _shot(browser, viewport, url, login, full=False)
            full = _shot(browser, viewport, url, login, full=True)
            (artifacts_dir / f"weight-{page}-{name}-trimmed.png").write_bytes(trimmed)
            (artifacts_dir / f"weight-{page}-{name}-bootstrap.png").write_bytes(full)
            assert _differing_share(trimmed, full) < 0.001, page

"""Issue 16 (light pages): compressed replies, fingerprinted files cached as immutable, and the
door and login pages at most 40 KB on the wire with a trimmed stylesheet (not all of Bootstrap)."""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import brotli
import pytest
from flask_compress.compat import compression
from sqlalchemy import select

from checkin.door.tokens import make_poster_token
from data.models import Place, User
from tests.conftest import AuthActions
from web_deploy import IMMUTABLE

ROOT = Path(__file__).resolve().parents[2]
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends
SAFARI = {"Accept-Encoding": "gzip, deflate, br"}
GZIP = {"Accept-Encoding": "gzip"}
LIMIT = 40 * 1024
COUNSELOR = ("T0001", "demo-counselor")
ASSISTANT = ("20230215", "demo1234")
LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _trim_css():
    spec = importlib.util.spec_from_file_location("trim_css", ROOT / "deploy" / "trim_css.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decoded(response) -> bytes:
    """The body as the browser sees it after undoing Content-Encoding."""
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "zstd":
        return compression.zstd.decompress(body)
    assert encoding is None, encoding
    return body


def wire_bytes(response) -> int:
    """Body plus status line and headers: what one HTTP/1.1 reply puts on the socket."""
    headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    return len(response.get_data()) + headers + len("HTTP/1.1 200 OK\r\n\r\n")


def page_weight(client, path: str) -> tuple[int, str]:
    """Compressed bytes of the page and every /static/ file it links; also its HTML."""
    page = client.get(path, headers=BROWSER)
    assert page.status_code == 200, page.status_code
    html = decoded(page).decode()
    total = wire_bytes(page)
    for url in LINKED.findall(html):
        asset = client.get(url, headers=BROWSER)
        assert asset.status_code == 200, url
        total += wire_bytes(asset)
    return total, html


def door_path(app) -> str:
    """The demo assistant's poster URL, as the QR on the office door encodes it."""
    with app.extensions["zhuguantong.db"].session() as s:
        team_id = s.scalar(select(User.team_id).where(User.username == ASSISTANT[0]))
        place = s.scalars(select(Place).where(Place.team_id == team_id)).first()
        return (
            f"/checkin/door?t={make_poster_token(app.secret_key, place.id, place.poster_version)}"
        )


def test_text_replies_are_compressed_when_the_client_accepts_gzip(demo_app):
    client = demo_app.test_client()
    AuthActions(client).login(*COUNSELOR)
    dash = client.get("/dashboard/").get_data(as_text=True)
    script = re.search(r'src="(/dashboard/_dash-component-suites/[^"]+\.js)"', dash).group(1)
    replies = {
        "text/html": client.get("/admin/posters", headers=GZIP),
        "text/css": client.get("/static/door.css", headers=GZIP),
        "application/javascript": client.get(script, headers=GZIP),
        "application/json": client.get("/dashboard/_dash-layout", headers=GZIP),
    }
    for kind, reply in replies.items():
        assert reply.status_code == 200, kind
        assert reply.headers.get("Content-Encoding") == "gzip", kind
        assert "Accept-Encoding" in reply.headers["Vary"], kind
        assert len(decoded(reply)) > len(reply.get_data()), kind
    for headers, encoding in ((BROWSER, "zstd"), (SAFARI, "br")):
        reply = client.get("/dashboard/_dash-layout", headers=headers)
        assert reply.headers["Content-Encoding"] == encoding
        assert decoded(reply) == decoded(replies["application/json"])
    # A client that does not ask for compression gets the plain bytes.
    plain = client.get("/dashboard/_dash-layout")
    assert "Content-Encoding" not in plain.headers and plain.get_json()


def test_fingerprinted_files_are_cached_as_immutable_and_nothing_else(demo_app):
    client = demo_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    versioned = re.search(r'href="(/static/door\.css\?v=[0-9a-f]{12})"', login).group(1)
    assert client.get(versioned).headers["Cache-Control"] == IMMUTABLE
    assert client.get(versioned, headers=GZIP).headers["Cache-Control"] == IMMUTABLE
    # Without the hash, or with a stale one, the file may change under the URL: revalidate.
    assert client.get("/static/door.css").headers["Cache-Control"] != IMMUTABLE
    assert client.get("/static/door.css?v=000000000000").headers["Cache-Control"] != IMMUTABLE
    assert "immutable" not in client.get("/login").headers.get("Cache-Control", "")

    AuthActions(client).login(*COUNSELOR)
    dash = client.get("/dashboard/").get_data(as_text=True)
    scripts = re.findall(r'src="(/dashboard/_dash-component-suites/[^"]+)"', dash)
    fingerprinted = [u for u in scripts if re.search(r"/[^/.]+\.v[\w-]+m[0-9a-f]+\.", u)]
    assert fingerprinted, scripts
    for url in fingerprinted[:3]:
        assert client.get(url, headers=GZIP).headers["Cache-Control"] == IMMUTABLE, url
    asset = re.search(r'href="(/dashboard/assets/site\.css\?m=([0-9.]+))"', dash)
    assert asset, "the dashboard links site.css without its mtime"
    assert client.get(asset.group(1), headers=GZIP).headers["Cache-Control"] == IMMUTABLE
    stale = client.get("/dashboard/assets/site.css?m=1.5").headers.get("Cache-Control", "")
    assert "immutable" not in stale
    # Loaded on demand by its plain name (plotly): cached with its ETag, not for a year.
    lazy = client.get("/dashboard/_dash-component-suites/dash/dcc/async-graph.js")
    assert lazy.status_code == 200 and lazy.headers.get("Cache-Control") != IMMUTABLE
    assert "immutable" not in client.get("/dashboard/_dash-layout").headers.get("Cache-Control", "")


def test_login_page_weighs_at_most_40_kb_without_bootstrap(demo_app):
    weight, html = page_weight(demo_app.test_client(), "/login")
    assert "bootstrap.min.css" not in html and "/static/door.css?v=" in html
    assert weight <= LIMIT, weight


def test_door_page_weighs_at_most_40_kb_without_bootstrap(demo_app):
    client = demo_app.test_client()
    AuthActions(client).login(*ASSISTANT)
    landed = client.get(door_path(demo_app), follow_redirects=True)
    assert landed.status_code == 200
    path = landed.request.path
    assert path.startswith("/checkin/"), path
    weight, html = page_weight(client, path)
    assert "bootstrap.min.css" not in html and "/static/door.css?v=" in html
    assert 'id="door-' in html  # the door page itself, not a refusal or the login
    assert weight <= LIMIT, weight


def test_the_workbench_still_gets_all_of_bootstrap(demo_app):
    client = demo_app.test_client()
    AuthActions(client).login(*COUNSELOR)
    page = client.get("/admin/posters").get_data(as_text=True)
    assert "/static/vendor/bootstrap.min.css?v=" in page and "door.css" not in page
    dash = client.get("/dashboard/").get_data(as_text=True)
    assert "door.css" not in dash  # the dashboard loads assets/ itself, minus the door's sheet


def test_door_css_is_current_and_styles_every_class_the_pages_use():
    trim_css = _trim_css()
    css = (ROOT / "assets" / "door.css").read_text(encoding="utf-8")
    assert css == trim_css.build(), "assets/door.css is stale: run python deploy/trim_css.py"
    selectors = set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))
    # Classes Bootstrap styles that the pages use; the page's own ids and names need no rule.
    unstyled = trim_css.used_classes() - selectors
    assert unstyled <= {"is-invalid"}, unstyled  # is-invalid styles through .form-control
    assert len(css.encode()) < 40 * 1024 and "data-bs-theme=dark" not in css


@pytest.mark.parametrize("template", ["login.html", "door/door.html", "door/result.html"])
def test_door_templates_swap_the_stylesheet(template):
    text = (ROOT / "checkin" / "templates" / template).read_text(encoding="utf-8")
    assert "{% block styles %}" in text and "door.css" in text


def test_dash_scripts_are_compressed_once_per_process(demo_app, monkeypatch):
    import flask_compress.flask_compress as fc

    calls = []
    original = fc._compress_data

    def counting(app, data, algorithm):
        calls.append(len(data))
        return original(app, data, algorithm)

    monkeypatch.setattr(fc, "_compress_data", counting)
    client = demo_app.test_client()
    AuthActions(client).login(*COUNSELOR)
    script = "/dashboard/_dash-component-suites/dash/dcc/async-graph.js"
    first, second = (client.get(script, headers=BROWSER) for _ in range(2))
    assert first.get_data() == second.get_data() and second.headers["Content-Encoding"] == "zstd"
    raw = client.get(script).get_data()
    assert decoded(second) == raw and len(calls) == 1  # the second reply came from the cache
    page = client.get("/admin/posters", headers=BROWSER)
    assert page.headers["Content-Encoding"] == "zstd" and len(calls) == 2
    store = demo_app.extensions["zhuguantong.compress"].cache.store
    assert list(store) == [f"zstd;{script}"]  # pages are compressed afresh, never kept

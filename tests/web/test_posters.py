"""Door posters (checkin/door/posters.py, checkin/door/poster_render.py): the counselor's printable QR."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from checkin.door import poster_render
from checkin.door.tokens import REVOKED, read_door_token
from data.models import AuditLog, Place, Role, Team, TeamSettings
from data.timeutil import utcnow
from tests import factories
from tests.browser.helpers import DESKTOP, live_server
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

PUBLIC = "https://zgt.example.edu.cn"
DOOR = f"{PUBLIC}/checkin/door?t="


def decode_qr(png: bytes, tmp_path: Path) -> str:
    """The text of the one QR code in ``png``, read by zbarimg like a phone camera would."""
    if not shutil.which("zbarimg"):
        message = "QR decoding needs zbarimg (apt-get install zbar-tools)"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / f"qr-{len(list(tmp_path.iterdir()))}.png"
    path.write_bytes(png)
    done = subprocess.run(
        ["zbarimg", "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"no QR code found: {done.stderr}"
    lines = done.stdout.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def token_of(url: str) -> str:
    assert url.startswith(DOOR), url
    return parse_qs(urlsplit(url).query)["t"][0]


def pdf_text_codes(pdf: bytes) -> bytes:
    """Every (inflated) stream of a PDF: the ToUnicode maps are what text extraction reads."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return b"\n".join(out)


def login_counselor(auth, team) -> None:
    assert auth.login(team.counselor).status_code == 302


def place_row(db, place_id: int) -> Place:
    with db.session() as s:
        place = s.get(Place, place_id)
        s.expunge(place)
        return place


def other_team_place(db) -> int:
    with db.session() as s:
        other = Team(name="化学学院助管团", college="化学学院")
        place = Place(team=other, name="化学楼")
        factories.user(s, other, "T900", "钱老师", Role.counselor)
        s.add(place)
        s.flush()
        return place.id


# --- list and printable page ---------------------------------------------------------------


def test_posters_list(client, auth, team):
    login_counselor(auth, team)
    page = client.get("/admin/posters")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "学工办" in html
    assert f"/admin/posters/{team.place_id}.pdf" in html
    assert f"/admin/posters/{team.place_id}.png" in html
    assert f"/admin/posters/{team.place_id}/revoke" in html
    assert "confirm(" in html
    assert f"{PUBLIC}/kiosk?k=" in html
    assert page.headers["Cache-Control"] == "private, no-store"
    csrf_token(html)  # every POST form carries a token


def test_poster_page_is_printable(client, auth, team):
    login_counselor(auth, team)
    page = client.get(f"/admin/posters/{team.place_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "值班签到 · 学工办" in html
    assert "请勿拍照转发" in html
    assert "@media print" in html and "size: A4" in html
    assert "<svg" in html and "no-print" in html


def test_poster_png_decodes_to_public_url(client, auth, team, app, tmp_path):
    login_counselor(auth, team)
    response = client.get(f"/admin/posters/{team.place_id}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    url = decode_qr(response.data, tmp_path)
    token = read_door_token(app.secret_key, token_of(url), utcnow(), 15)
    assert token.place_id == team.place_id
    assert token.method == "qr"
    assert token.version == 1


def test_forged_host_header_still_prints_public_url(client, team, tmp_path):
    # Log in on the forged host itself, so the session cookie goes with the forged requests.
    evil = "http://evil.example.com"
    page = client.get("/login", base_url=evil).get_data(as_text=True)
    login = {"username": team.counselor, "password": factories.PASSWORD}
    client.post("/login", base_url=evil, data={**login, "csrf_token": csrf_token(page)})
    response = client.get(f"/admin/posters/{team.place_id}.png", base_url=evil)
    assert response.status_code == 200
    assert decode_qr(response.data, tmp_path).startswith(DOOR)
    html = client.get(f"/admin/posters/{team.place_id}", base_url=evil).get_data(as_text=True)
    assert "evil.example.com" not in html
    html = client.get("/admin/posters", base_url=evil).get_data(as_text=True)
    assert f"{PUBLIC}/kiosk?k=" in html and "evil.example.com" not in html


def test_poster_pdf(client, auth, team):
    login_counselor(auth, team)
    response = client.get(f"/admin/posters/{team.place_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert len(response.data) > 3000  # a whole QR code, not an empty page
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    streams = pdf_text_codes(response.data)
    if poster_render.find_cjk_font():
        # The embedded font's ToUnicode map lets viewers find/copy 学工办.
        for ch in "学工办":
            assert f"<{ord(ch):04X}>".encode() in streams, ch
    else:
        assert b"STSong-Light" in response.data


def test_pdf_qr_decodes(client, auth, team, tmp_path):
    if not shutil.which("gs"):
        pytest.skip("rasterizing the PDF needs Ghostscript")
    login_counselor(auth, team)
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(client.get(f"/admin/posters/{team.place_id}.pdf").data)
    png = tmp_path / "pdf-page.png"
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray", "-r72"]
        + [f"-sOutputFile={png}", str(pdf)],
        check=True,
        timeout=60,
    )
    assert decode_qr(png.read_bytes(), tmp_path).startswith(DOOR)


def test_pdf_without_local_font_uses_builtin_chinese_font(monkeypatch):
    poster_render._pdf_font.cache_clear()
    monkeypatch.setattr(poster_render, "find_cjk_font", lambda: None)
    try:
        pdf = poster_render.render_pdf(poster_render.Poster(DOOR + "abc", "学工办", 1))
        assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    finally:
        poster_render._pdf_font.cache_clear()


def test_png_without_cjk_font_still_has_the_qr(monkeypatch, tmp_path):
    poster_render.find_cjk_font.cache_clear()
    monkeypatch.setattr(poster_render, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(poster_render, "shutil", SimpleNamespace(which=lambda _name: None))
    try:
        assert poster_render.find_cjk_font() is None
        url = DOOR + "abc"
        png = poster_render.render_png(poster_render.Poster(url, "学工办", 1))
        assert decode_qr(png, tmp_path) == url
    finally:
        poster_render.find_cjk_font.cache_clear()


# --- revoke -----------------------------------------------------------------------------------


def test_revoke_bumps_version_and_audits(client, auth, team, db, app, tmp_path):
    login_counselor(auth, team)
    old_url = decode_qr(client.get(f"/admin/posters/{team.place_id}.png").data, tmp_path)
    html = client.get("/admin/posters").get_data(as_text=True)
    response = client.post(
        f"/admin/posters/{team.place_id}/revoke",
        data={"csrf_token": csrf_token(html)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "已作废旧海报，请打印新海报张贴" in response.get_data(as_text=True)
    assert place_row(db, team.place_id).poster_version == 2
    with db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "poster.revoke")).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.entity, row.entity_id, row.team_id) == (
            "place",
            str(team.place_id),
            team.team_id,
        )
        assert row.before == {"poster_version": 1} and row.after == {"poster_version": 2}
    new_url = decode_qr(client.get(f"/admin/posters/{team.place_id}.png").data, tmp_path)
    assert new_url != old_url
    assert read_door_token(app.secret_key, token_of(new_url), utcnow(), 15).version == 2
    # At the door the old poster is refused, the new one accepted.
    refused = client.get(old_url.removeprefix(PUBLIC))
    assert refused.status_code == 403
    assert REVOKED in refused.get_data(as_text=True)
    assert client.get(new_url.removeprefix(PUBLIC)).status_code == 303


def test_revoke_needs_csrf(client, auth, team, db):
    login_counselor(auth, team)
    assert client.post(f"/admin/posters/{team.place_id}/revoke").status_code == 400
    assert place_row(db, team.place_id).poster_version == 1


def test_kiosk_link_revoke_bumps_version_and_audits(client, auth, team, db):
    login_counselor(auth, team)
    html = client.get("/admin/posters").get_data(as_text=True)
    old_link = re.search(r"/kiosk\?k=([^\"&]+)", html).group(1)
    response = client.post(
        f"/admin/posters/{team.place_id}/kiosk/revoke", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 302
    assert place_row(db, team.place_id).kiosk_version == 2
    assert place_row(db, team.place_id).poster_version == 1  # posters untouched
    with db.session() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "kiosk.revoke"))
        assert row.before == {"kiosk_version": 1} and row.after == {"kiosk_version": 2}
    html = client.get("/admin/posters").get_data(as_text=True)
    assert old_link not in html


# --- who may -----------------------------------------------------------------------------------

URLS = [
    "/admin/posters",
    "/admin/posters/{id}",
    "/admin/posters/{id}.png",
    "/admin/posters/{id}.pdf",
]


@pytest.mark.parametrize("who", ["leader", "leadership", "assistant"])
def test_other_roles_refused(client, auth, team, who):
    username = team.assistants[0] if who == "assistant" else getattr(team, who)
    auth.login(username)
    for url in URLS:
        assert client.get(url.format(id=team.place_id)).status_code == 403, url
    assert client.post(f"/admin/posters/{team.place_id}/revoke").status_code in (400, 403)


def test_anonymous_sent_to_login(client, team, db):
    for url in URLS:
        response = client.get(url.format(id=team.place_id))
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.post(f"/admin/posters/{team.place_id}/revoke").status_code in (302, 400)
    assert place_row(db, team.place_id).poster_version == 1


def test_other_teams_place_is_404(client, auth, team, db):
    foreign = other_team_place(db)
    login_counselor(auth, team)
    for url in URLS[1:]:
        assert client.get(url.format(id=foreign)).status_code == 404, url
    html = client.get("/admin/posters").get_data(as_text=True)
    assert "化学楼" not in html
    response = client.post(
        f"/admin/posters/{foreign}/revoke", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 404
    assert place_row(db, foreign).poster_version == 1


# --- modes ------------------------------------------------------------------------------------


def set_mode(db, team_id: int, mode: str) -> None:
    with db.session() as s:
        s.merge(TeamSettings(team_id=team_id, values={"checkin_modes": mode}))


def test_kiosk_only_mode_warns_on_posters_page(client, auth, team, db):
    set_mode(db, team.team_id, "kiosk")
    login_counselor(auth, team)
    html = client.get("/admin/posters").get_data(as_text=True)
    assert "纸质海报不被接受" in html


# --- places ------------------------------------------------------------------------------------


def add_place(client, name: str):
    html = client.get("/admin/posters").get_data(as_text=True)
    return client.post(
        "/admin/places", data={"name": name, "csrf_token": csrf_token(html)}, follow_redirects=True
    )


def place_names(db, team_id: int) -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(select(Place.name).where(Place.team_id == team_id).order_by(Place.id))
        )


def test_create_place(client, auth, team, db):
    login_counselor(auth, team)
    response = add_place(client, "  团委  办公室 ")
    assert response.status_code == 200
    assert "已添加岗位“团委 办公室”" in response.get_data(as_text=True)
    assert place_names(db, team.team_id) == ["学工办", "团委 办公室"]
    with db.session() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "place.create"))
        assert row.after == {"name": "团委 办公室"} and row.before is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "请填写岗位名称"),
        ("   ", "请填写岗位名称"),
        ("学" * 21, "岗位名称不能超过 20 个字"),
        ("学工办", "岗位“学工办”已存在"),
    ],
)
def test_create_place_validation(client, auth, team, db, name, message):
    login_counselor(auth, team)
    response = add_place(client, name)
    assert message in response.get_data(as_text=True)
    assert place_names(db, team.team_id) == ["学工办"]
    with db.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "place.create")) is None


def test_same_name_in_another_team_is_fine(client, auth, team, db):
    other_team_place(db)  # 化学楼 in another team
    login_counselor(auth, team)
    add_place(client, "化学楼")
    assert place_names(db, team.team_id) == ["学工办", "化学楼"]


def test_create_place_needs_csrf(client, auth, team, db):
    login_counselor(auth, team)
    assert client.post("/admin/places", data={"name": "新岗位"}).status_code == 400
    assert place_names(db, team.team_id) == ["学工办"]


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_posters_in_a_browser(app, team, artifacts_dir, client, auth, browser):
    """Screenshots of the list, the printable sheet and the PNG poster, for a human to look at."""
    login_counselor(auth, team)
    (artifacts_dir / "poster.png").write_bytes(
        client.get(f"/admin/posters/{team.place_id}.png").data
    )
    (artifacts_dir / "poster.pdf").write_bytes(
        client.get(f"/admin/posters/{team.place_id}.pdf").data
    )
    errors: list[str] = []
    with live_server(app) as base:
        page = browser.new_page(viewport=DESKTOP)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/login")
        page.fill("#username", team.counselor)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(f"{base}/admin/posters")
        page.locator("summary").first.click()  # show the kiosk link
        page.screenshot(path=str(artifacts_dir / "posters-desktop.png"), full_page=True)

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button:has-text('作废海报')")
        page.wait_for_selector("text=已作废旧海报，请打印新海报张贴")
        assert page.locator("text=海报第 2 版").is_visible()

        page.goto(f"{base}/admin/posters/{team.place_id}")
        qr = page.locator("svg.poster-qr")
        assert qr.is_visible()
        assert qr.bounding_box()["width"] > 500  # 16 cm on screen at 96 dpi
        page.screenshot(path=str(artifacts_dir / "poster-page-desktop.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator(".toolbar").is_visible()
        page.screenshot(path=str(artifacts_dir / "poster-page-print.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        # The printed sheet is exactly one A4 page.
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    assert errors == []

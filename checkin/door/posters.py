"""The counselor's door posters (SPEC §4): list, print (HTML/PNG/PDF), revoke, add a place.

Also where the counselor finds and revokes the kiosk link of each place (the kiosk itself
is in ``checkin/door/kiosk.py``). The QR always encodes ``PUBLIC_URL``, never the request's
Host header: a poster printed from a spoofed or internal host name must still work.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import perform
from checkin.door.poster_render import INSTRUCTION, WARNING, Poster, qr_svg, render_pdf, render_png
from checkin.door.tokens import make_kiosk_link, make_poster_token
from data.attendance import team_settings
from data.models import Place
from data.services import places
from data.services.places import PLACE_NAME_MAX
from data.timeutil import to_local
from web import get_session, now


def public_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def poster_url(place: Place) -> str:
    token = make_poster_token(current_app.secret_key, place.id, place.poster_version)
    return f"{public_url()}/checkin/door?t={token}"


def kiosk_url(place: Place) -> str:
    link = make_kiosk_link(current_app.secret_key, place.id, place.kiosk_version)
    return f"{public_url()}/kiosk?k={link}"


def _poster(place: Place) -> Poster:
    return Poster(url=poster_url(place), place=place.name, version=place.poster_version)


def _own_place(place_id: int) -> Place:
    """The place if it belongs to the counselor's team; 404 otherwise (no existence leak)."""
    place = get_session().get(Place, place_id)
    if place is None or place.team_id is None or place.team_id != current_user.team_id:
        abort(404)
    return place


def _private(response: Response) -> Response:
    # The pages carry live tokens: keep them out of shared caches and browser history caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/admin/posters")
@roles_required(*COUNSELOR)
def posters():
    db = get_session()
    places = (
        db.scalars(select(Place).where(Place.team_id == current_user.team_id).order_by(Place.id))
        if current_user.team_id is not None
        else []
    )
    mode = team_settings(db, current_user.team_id).checkin_modes if current_user.team_id else "both"
    rows = [{"place": p, "kiosk_url": kiosk_url(p)} for p in places]
    page = render_template("door/posters.html", rows=rows, mode=mode, name_max=PLACE_NAME_MAX)
    return _private(current_app.make_response(page))


@bp.get("/admin/posters/<int:place_id>")
@roles_required(*COUNSELOR)
def poster(place_id: int):
    place = _own_place(place_id)
    page = render_template(
        "door/poster.html",
        place=place,
        poster=_poster(place),
        qr=qr_svg(poster_url(place), "poster-qr"),
        instruction=INSTRUCTION,
        warning=WARNING,
        printed=to_local(now()).strftime("%Y-%m-%d"),
    )
    return _private(current_app.make_response(page))


def _download(body: bytes, mimetype: str, place: Place, ext: str) -> Response:
    response = Response(body, mimetype=mimetype)
    # ASCII file name plus RFC 5987 UTF-8 name, so browsers save "学工办-签到海报.pdf".
    name = f"{place.name}-签到海报-v{place.poster_version}.{ext}"
    response.headers["Content-Disposition"] = (
        f"inline; filename=poster-{place.id}.{ext}; filename*=UTF-8''{quote(name)}"
    )
    return _private(response)


@bp.get("/admin/posters/<int:place_id>.png")
@roles_required(*COUNSELOR)
def poster_png(place_id: int):
    place = _own_place(place_id)
    return _download(render_png(_poster(place)), "image/png", place, "png")


@bp.get("/admin/posters/<int:place_id>.pdf")
@roles_required(*COUNSELOR)
def poster_pdf(place_id: int):
    place = _own_place(place_id)
    return _download(render_pdf(_poster(place)), "application/pdf", place, "pdf")


@bp.post("/admin/posters/<int:place_id>/revoke")
@roles_required(*COUNSELOR)
def revoke_poster(place_id: int):
    if perform(places.revoke, _own_place(place_id).id, "poster") is not None:
        flash("已作废旧海报，请打印新海报张贴", "success")
    return redirect(url_for("checkin.posters"))


@bp.post("/admin/posters/<int:place_id>/kiosk/revoke")
@roles_required(*COUNSELOR)
def revoke_kiosk(place_id: int):
    if perform(places.revoke, _own_place(place_id).id, "kiosk") is not None:
        flash("已作废旧的平板签到链接，请在门口平板上打开新链接", "success")
    return redirect(url_for("checkin.posters"))


@bp.post("/admin/places")
@roles_required(*COUNSELOR)
def create_place():
    if current_user.team_id is None:
        abort(403)
    place = perform(places.create_place, request.form.get("name") or "")
    if place is not None:
        flash(f"已添加岗位“{place.name}”，可以打印它的签到海报了", "success")
    return redirect(url_for("checkin.posters"))

"""The team directory (通讯录, 第七条二): everybody in the team views and exports it; each
assistant keeps their own phone, QQ, post and grade up to date, the 团长 (who is in charge of
it) also the assistants', the counselor anyone's (``data.services.directory.may_edit``).

Only the five columns of the seed are ever read here, so hardship, political status and
evaluations cannot leak through this page or its export. College leaders (leadership) get no
personal contact data (SPEC §1), so they are refused.
"""

from __future__ import annotations

import pandas as pd
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.access import DIRECTORY_EDITORS, DIRECTORY_READERS, roles_required
from checkin.common import MAX_ID, xlsx_response
from data.db import write_transaction
from data.inputs import clean_text
from data.models import Team, User
from data.services import Refused
from data.services.directory import FIELDS, listed, listed_person, may_edit, refusal, update_entry
from web import client_ip, get_session, now

COLUMNS = ("姓名", "岗位", "手机", "QQ", "年级")


@bp.get("/directory")
@roles_required(*DIRECTORY_READERS)
def directory():
    people = listed(get_session(), current_user.team_id)
    return render_template(
        "me/directory.html",
        people=people,
        columns=COLUMNS,
        editable={u.id for u in people if may_edit(current_user, u)},
        in_charge=current_user.role in DIRECTORY_EDITORS,
        layout=_layout(),
        team_name=_team_name(),
    )


def _layout() -> str:
    """The workbench frame for the 团长 and the counselor, the plain one for assistants."""
    return "admin_base.html" if current_user.role in DIRECTORY_EDITORS else "base.html"


def _team_name() -> str:
    """The user's own team's name (the page title and the file name say whose directory)."""
    team = get_session().get(Team, current_user.team_id) if current_user.team_id else None
    return team.name if team else ""


@bp.get("/directory.xlsx")
@roles_required(*DIRECTORY_READERS)
def directory_export():
    rows = [
        [u.name, u.post, u.phone, u.qq, u.grade]
        for u in listed(get_session(), current_user.team_id)
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return xlsx_response({"通讯录": frame}, f"{_team_name()}通讯录.xlsx")


def _person(user_id: int) -> User:
    """A person of the user's team directory; 404 for anyone else (no existence leak)."""
    person = (
        listed_person(get_session(), current_user.team_id, user_id) if user_id <= MAX_ID else None
    )
    if person is None:
        abort(404)
    return person


def _refused() -> tuple[str, int]:
    """403 with the reason: whose entries this user may edit."""
    return render_template("error.html", code=403, message=refusal(current_user)), 403


@bp.get("/directory/<int:user_id>/edit")
@roles_required(*DIRECTORY_READERS)
def directory_edit(user_id: int):
    person = _person(user_id)
    if not may_edit(current_user, person):
        return _refused()
    return render_template("me/directory_edit.html", person=person, values=None, layout=_layout())


@bp.post("/directory/<int:user_id>/edit")
@roles_required(*DIRECTORY_READERS)
def directory_save(user_id: int):
    db, person = get_session(), _person(user_id)
    if not may_edit(current_user, person):
        return _refused()  # the service refuses it too; this answers before reading the form
    values = {name: clean_text(request.form.get(name)) for name in FIELDS}
    try:
        with write_transaction(db):
            actor = db.get(User, current_user.id)
            changed = update_entry(db, actor, person.id, values, at=now(), ip=client_ip())
    except Refused as refused:
        flash(str(refused), "danger")
        page = render_template(
            "me/directory_edit.html", person=person, values=values, layout=_layout()
        )
        return page, 400
    if not changed:
        flash("没有修改", "info")
        return redirect(url_for("checkin.directory"))
    flash(f"已更新 {person.name} 的通讯录信息", "success")
    return redirect(url_for("checkin.directory") + f"#person-{person.id}")

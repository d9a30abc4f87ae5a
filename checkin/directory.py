"""The team directory (通讯录, 第七条二): everybody in the team views and exports it; the 团长
(who is in charge of it) and the counselor keep phone, QQ, post and grade up to date.

Only the five columns of the seed are ever read here, so hardship, political status and
evaluations cannot leak through this page or its export. College leaders (leadership) get no
personal contact data (SPEC §1), so they are refused.
"""

from __future__ import annotations

import re

import pandas as pd
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, roles_required
from checkin.common import MAX_ID, audit, xlsx_response
from data.importers import PHONE_RE, QQ_RE
from data.models import Role, User
from web import get_session

COLUMNS = ("姓名", "岗位", "手机", "QQ", "年级")
FIELDS = ("post", "phone", "qq", "grade")  # the only attributes an edit may touch
READERS = (Role.assistant, Role.leader, Role.counselor)
LISTED = (Role.assistant, Role.leader, Role.counselor)  # leadership is not part of the 助管团
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _people(db: Session) -> list[User]:
    if current_user.team_id is None:
        return []
    query = (
        select(User)
        .where(User.team_id == current_user.team_id, User.active.is_(True), User.role.in_(LISTED))
        # The counselor and the 团长 first: they are whom people look up most.
        .order_by(User.role.desc(), User.username)
    )
    people = list(db.scalars(query))
    order = {Role.counselor: 0, Role.leader: 1, Role.assistant: 2}
    return sorted(people, key=lambda u: (order[u.role], u.username))


def _row(user: User) -> list[str]:
    return [user.name, user.post, user.phone, user.qq, user.grade]


@bp.get("/directory")
@roles_required(*READERS)
def directory():
    people = _people(get_session())
    return render_template(
        "directory.html",
        people=people,
        columns=COLUMNS,
        can_edit=current_user.role in EDITORS,
        layout="admin_base.html" if current_user.role in EDITORS else "base.html",
    )


@bp.get("/directory.xlsx")
@roles_required(*READERS)
def directory_export():
    people = _people(get_session())
    frame = pd.DataFrame([_row(u) for u in people], columns=list(COLUMNS))
    return xlsx_response({"通讯录": frame}, "数理学工助管团通讯录.xlsx")


def _own_person(db: Session, user_id: int) -> User:
    user = db.get(User, user_id) if user_id <= MAX_ID else None
    if user is None or user.team_id != current_user.team_id or user.role not in LISTED:
        abort(404)
    return user


def _errors(values: dict[str, str]) -> str | None:
    for name, value in values.items():
        if CONTROL.search(value):
            return "内容含有无效字符"
        limit = User.__table__.c[name].type.length
        if len(value) > limit:
            return f"{dict(zip(FIELDS, ('岗位', '手机', 'QQ', '年级'), strict=True))[name]}过长（最多 {limit} 个字符）"
    if values["phone"] and not PHONE_RE.match(values["phone"]):
        return f"手机号码格式不正确：{values['phone']}"
    if values["qq"] and not QQ_RE.match(values["qq"]):
        return f"QQ 号应为 5–12 位数字：{values['qq']}"
    return None


@bp.get("/directory/<int:user_id>/edit")
@roles_required(*EDITORS)
def directory_edit(user_id: int):
    person = _own_person(get_session(), user_id)
    return render_template("directory_edit.html", person=person, values=None)


@bp.post("/directory/<int:user_id>/edit")
@roles_required(*EDITORS)
def directory_save(user_id: int):
    db = get_session()
    person = _own_person(db, user_id)
    values = {name: " ".join((request.form.get(name) or "").split()) for name in FIELDS}
    error = _errors(values)
    if error:
        flash(error, "danger")
        return render_template("directory_edit.html", person=person, values=values), 400
    before = {name: getattr(person, name) for name in FIELDS}
    if before == values:
        flash("没有修改", "info")
        return redirect(url_for("checkin.directory"))
    for name, value in values.items():
        setattr(person, name, value)
    audit(db, "directory.update", "user", person.id, before, values)
    db.commit()
    flash(f"已更新 {person.name} 的通讯录信息", "success")
    return redirect(url_for("checkin.directory") + f"#person-{person.id}")

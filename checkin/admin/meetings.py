"""Team meetings (例会) and trainings (培训): the list, minutes and attendance pages.

The counselor and the 团长 create meetings, write their minutes and mark attendance (SPEC §1
gives meeting attendance to the 团长); only the counselor creates trainings and deletes either. The rules and the audit live in ``data.services.meetings``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, EDITORS, VIEWERS, roles_required
from checkin.common import (
    clean_block,
    clean_text,
    form_semester,
    get_own,
    parse_day,
    perform,
    pick_semester,
    team_semesters,
)
from data.models import (
    PRESENCE_LABELS,
    Meeting,
    Presence,
    Role,
    Semester,
    Training,
    User,
)
from data.report import members_of
from data.services import meetings as service
from data.services.meetings import ORGANIZERS, TOPIC_MAX
from web import get_session


@bp.get("/admin/meetings")
@roles_required(*VIEWERS)
def meetings():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    rows, trainings = [], []
    if semester is not None:
        for meeting in db.scalars(
            select(Meeting).where(Meeting.semester_id == semester.id).order_by(Meeting.held_on)
        ):
            rows.append((meeting, _counts(meeting.attendance)))
        for training in db.scalars(
            select(Training)
            .where(Training.team_id == semester.team_id, Training.semester_id == semester.id)
            .order_by(Training.held_on)
        ):
            trainings.append((training, _counts(training.attendance)))
    return render_template(
        "admin/meetings.html",
        semester=semester,
        semesters=team_semesters(db),
        meetings=rows,
        trainings=trainings,
        organizers=ORGANIZERS,
        is_counselor=current_user.role is Role.counselor,
        can_create_meeting=current_user.role in EDITORS,
    )


def _counts(attendance: list) -> dict[str, int]:
    counts = {p.value: 0 for p in Presence}
    for a in attendance:
        counts[a.status.value] += 1
    return counts


def _topic() -> str:
    # One character over the limit is kept, so the service can say the topic is too long.
    return clean_text(request.form.get("topic"), TOPIC_MAX + 1)


@bp.post("/admin/meetings")
@roles_required(*EDITORS)
def meeting_create():
    semester = form_semester(get_session())
    day = parse_day(request.form.get("held_on"))
    meeting = perform(service.create_meeting, semester, day, _topic())
    if meeting is None:
        return redirect(url_for("checkin.meetings", semester=semester.id))
    flash(f"已创建例会“{meeting.topic}”，请填写会议记录并登记出席", "success")
    return redirect(url_for("checkin.meeting", meeting_id=meeting.id))


@bp.post("/admin/trainings")
@roles_required(*COUNSELOR)
def training_create():
    semester = form_semester(get_session())
    day = parse_day(request.form.get("held_on"))
    organizer = clean_text(request.form.get("organizer"), 10)
    training = perform(service.create_training, semester, day, _topic(), organizer)
    if training is None:
        return redirect(url_for("checkin.meetings", semester=semester.id))
    flash(f"已创建培训“{training.topic}”，请登记出席", "success")
    return redirect(url_for("checkin.training", training_id=training.id))


def _own_meeting(db: Session, meeting_id: int) -> tuple[Meeting, Semester]:
    meeting = get_own(db, Meeting, meeting_id, lambda m: db.get(Semester, m.semester_id).team_id)
    return meeting, db.get(Semester, meeting.semester_id)


def _own_training(db: Session, training_id: int) -> tuple[Training, Semester | None]:
    training = get_own(db, Training, training_id, lambda t: t.team_id)
    semester = db.get(Semester, training.semester_id) if training.semester_id else None
    return training, semester


def _roll(db: Session, semester: Semester | None, attendance: list) -> list[dict[str, Any]]:
    """Everyone who served in the semester plus anyone already marked, with their status."""
    marked = {a.user_id: a.status for a in attendance}
    people = {u.id: u for u in members_of(db, semester)} if semester else {}
    missing = [uid for uid in marked if uid not in people]
    if missing:
        people.update({u.id: u for u in db.scalars(select(User).where(User.id.in_(missing)))})
    return [
        {"user": u, "status": marked.get(u.id, Presence.present), "marked": u.id in marked}
        for u in sorted(people.values(), key=lambda u: u.username)
    ]


def _posted(roll: list[dict[str, Any]]) -> tuple[dict[int, str], dict[int, str]]:
    """The posted status of every row (default 出席) and the rows' usernames, by user id."""
    raw = {
        row["user"].id: request.form.get(f"status-{row['user'].id}", Presence.present.value)
        for row in roll
    }
    return raw, {row["user"].id: row["user"].username for row in roll}


@bp.get("/admin/meetings/<int:meeting_id>")
@roles_required(*VIEWERS)
def meeting(meeting_id: int):
    db = get_session()
    item, semester = _own_meeting(db, meeting_id)
    return _detail("meeting", item, semester, _roll(db, semester, item.attendance))


@bp.get("/admin/trainings/<int:training_id>")
@roles_required(*VIEWERS)
def training(training_id: int):
    db = get_session()
    item, semester = _own_training(db, training_id)
    return _detail("training", item, semester, _roll(db, semester, item.attendance))


def _detail(kind: str, item: Any, semester: Semester | None, roll: list[dict[str, Any]]):
    return render_template(
        "admin/meetings_detail.html",
        kind=kind,
        item=item,
        semester=semester,
        roll=roll,
        labels=PRESENCE_LABELS,
        presences=list(Presence),
        can_edit=current_user.role in EDITORS,
        is_counselor=current_user.role is Role.counselor,
    )


@bp.post("/admin/meetings/<int:meeting_id>")
@roles_required(*EDITORS)
def meeting_save(meeting_id: int):
    db = get_session()
    item, semester = _own_meeting(db, meeting_id)
    raw, names = _posted(_roll(db, semester, item.attendance))
    minutes = clean_block(request.form.get("minutes"), service.MINUTES_MAX + 1)
    if perform(service.save_meeting, item, semester, minutes, raw, names) is not None:
        flash("已保存会议记录和出席情况", "success")
    return redirect(url_for("checkin.meeting", meeting_id=item.id))


@bp.post("/admin/trainings/<int:training_id>")
@roles_required(*EDITORS)
def training_save(training_id: int):
    db = get_session()
    item, semester = _own_training(db, training_id)
    raw, names = _posted(_roll(db, semester, item.attendance))
    if perform(service.save_training, item, raw, names) is not None:
        flash("已保存培训出席情况", "success")
    return redirect(url_for("checkin.training", training_id=item.id))


@bp.post("/admin/meetings/<int:meeting_id>/delete")
@roles_required(*COUNSELOR)
def meeting_delete(meeting_id: int):
    db = get_session()
    item, semester = _own_meeting(db, meeting_id)
    topic = perform(service.delete_meeting, item, semester)
    if topic is None:
        return redirect(url_for("checkin.meeting", meeting_id=item.id))
    flash(f"已删除例会“{topic}”", "success")
    return redirect(url_for("checkin.meetings", semester=semester.id))


@bp.post("/admin/trainings/<int:training_id>/delete")
@roles_required(*COUNSELOR)
def training_delete(training_id: int):
    db = get_session()
    item, semester = _own_training(db, training_id)
    topic = perform(service.delete_training, item)
    if topic is None:
        return redirect(url_for("checkin.training", training_id=item.id))
    flash(f"已删除培训“{topic}”", "success")
    target = {"semester": semester.id} if semester else {}
    return redirect(url_for("checkin.meetings", **target))

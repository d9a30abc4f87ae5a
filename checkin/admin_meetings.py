"""Team meetings (例会, 第七条一) and trainings (培训, 第八条二): minutes and attendance.

Only the counselor creates or deletes a meeting/training; the 团长 marks attendance and writes
the minutes too (第八条四 日常考勤). The dashboard's "例会 n/2" and training coverage read these
tables directly, so a save here shows there at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import EDITORS, VIEWERS, roles_required
from checkin.common import (
    MAX_ID,
    audit,
    clean_text,
    form_semester,
    locked_message,
    pick_semester,
    team_semesters,
)
from data.models import (
    PRESENCE_LABELS,
    Meeting,
    MeetingAttendance,
    Presence,
    Role,
    Semester,
    Training,
    TrainingAttendance,
    User,
)
from data.report import members_of
from web import get_session

TOPIC_MAX = 100
MINUTES_MAX = 20000
ORGANIZERS = ("学院", "学校")


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _common_errors(semester: Semester, day: date | None, topic: str) -> str | None:
    if day is None:
        return "请填写日期（YYYY-MM-DD）"
    if not semester.start <= day <= semester.end:
        return f"日期应在本学期内（{semester.start} 至 {semester.end}）"
    if not topic:
        return "请填写主题"
    return None


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
        "admin_meetings.html",
        semester=semester,
        semesters=team_semesters(db),
        meetings=rows,
        trainings=trainings,
        organizers=ORGANIZERS,
        is_counselor=current_user.role is Role.counselor,
    )


def _counts(attendance: list) -> dict[str, int]:
    counts = {p.value: 0 for p in Presence}
    for a in attendance:
        counts[a.status.value] += 1
    return counts


@bp.post("/admin/meetings")
@roles_required(Role.counselor)
def meeting_create():
    db = get_session()
    semester = form_semester(db)
    day = _parse_day(request.form.get("held_on"))
    topic = clean_text(request.form.get("topic"), TOPIC_MAX + 1)
    error = locked_message(db, semester) or _common_errors(semester, day, topic)
    if error is None and len(topic) > TOPIC_MAX:
        error = f"主题不能超过 {TOPIC_MAX} 个字"
    if error:
        flash(error, "danger")
        return redirect(url_for("checkin.meetings", semester=semester.id))
    meeting = Meeting(
        semester_id=semester.id, held_on=day, topic=topic, created_by_id=current_user.id
    )
    db.add(meeting)
    db.flush()
    audit(db, "meeting.create", "meeting", meeting.id, None, {"held_on": day, "topic": topic})
    db.commit()
    flash(f"已创建例会“{topic}”，请填写会议记录并登记出席", "success")
    return redirect(url_for("checkin.meeting", meeting_id=meeting.id))


@bp.post("/admin/trainings")
@roles_required(Role.counselor)
def training_create():
    db = get_session()
    semester = form_semester(db)
    day = _parse_day(request.form.get("held_on"))
    topic = clean_text(request.form.get("topic"), TOPIC_MAX + 1)
    organizer = request.form.get("organizer", "")
    error = _common_errors(semester, day, topic)
    if error is None and len(topic) > TOPIC_MAX:
        error = f"主题不能超过 {TOPIC_MAX} 个字"
    if error is None and organizer not in ORGANIZERS:
        error = "请选择组织方（学校或学院）"
    if error:
        flash(error, "danger")
        return redirect(url_for("checkin.meetings", semester=semester.id))
    training = Training(
        team_id=semester.team_id,
        semester_id=semester.id,
        held_on=day,
        topic=topic,
        organizer=organizer,
    )
    db.add(training)
    db.flush()
    after = {"held_on": day, "topic": topic, "organizer": organizer}
    audit(db, "training.create", "training", training.id, None, after)
    db.commit()
    flash(f"已创建培训“{topic}”，请登记出席", "success")
    return redirect(url_for("checkin.training", training_id=training.id))


def _own_meeting(db: Session, meeting_id: int) -> tuple[Meeting, Semester]:
    meeting = db.get(Meeting, meeting_id) if meeting_id <= MAX_ID else None
    semester = db.get(Semester, meeting.semester_id) if meeting else None
    if semester is None or semester.team_id != current_user.team_id:
        abort(404)
    return meeting, semester


def _own_training(db: Session, training_id: int) -> tuple[Training, Semester | None]:
    training = db.get(Training, training_id) if training_id <= MAX_ID else None
    if training is None or training.team_id != current_user.team_id:
        abort(404)
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


def _read_statuses(roll: list[dict[str, Any]]) -> dict[int, Presence] | None:
    """The posted status of every row (default 出席); None when a value is not allowed."""
    statuses = {}
    for row in roll:
        raw = request.form.get(f"status-{row['user'].id}", Presence.present.value)
        if raw not in Presence.__members__:
            return None
        statuses[row["user"].id] = Presence(raw)
    return statuses


def _sync(attendance: list, statuses: dict[int, Presence], factory) -> None:
    current = {a.user_id: a for a in attendance}
    for user_id, status in statuses.items():
        if user_id in current:
            current[user_id].status = status
        else:
            attendance.append(factory(user_id=user_id, status=status))


def _usernames(roll: list[dict[str, Any]], statuses: dict[int, Any]) -> dict[str, str]:
    names = {row["user"].id: row["user"].username for row in roll}
    return {names[uid]: str(status) for uid, status in sorted(statuses.items())}


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
        "admin_meetings_detail.html",
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
    roll = _roll(db, semester, item.attendance)
    statuses = _read_statuses(roll)
    minutes = (request.form.get("minutes") or "").strip()
    back = redirect(url_for("checkin.meeting", meeting_id=item.id))
    if (locked := locked_message(db, semester)) is not None:
        # Meeting attendance feeds the assessment: a finalized semester keeps it as graded.
        flash(locked, "danger")
        return back
    if statuses is None:
        flash("出席情况只能是 出席 / 请假 / 缺席", "danger")
        return back
    if len(minutes) > MINUTES_MAX:
        flash(f"会议记录不能超过 {MINUTES_MAX} 个字", "danger")
        return back
    before = {
        "minutes": item.minutes,
        "attendance": _usernames(roll, {a.user_id: a.status for a in item.attendance}),
    }
    item.minutes = minutes
    _sync(item.attendance, statuses, MeetingAttendance)
    after = {"minutes": minutes, "attendance": _usernames(roll, statuses)}
    audit(db, "meeting.update", "meeting", item.id, before, after)
    db.commit()
    flash("已保存会议记录和出席情况", "success")
    return back


@bp.post("/admin/trainings/<int:training_id>")
@roles_required(*EDITORS)
def training_save(training_id: int):
    db = get_session()
    item, semester = _own_training(db, training_id)
    roll = _roll(db, semester, item.attendance)
    statuses = _read_statuses(roll)
    back = redirect(url_for("checkin.training", training_id=item.id))
    if statuses is None:
        flash("出席情况只能是 出席 / 请假 / 缺席", "danger")
        return back
    before = {"attendance": _usernames(roll, {a.user_id: a.status for a in item.attendance})}
    _sync(item.attendance, statuses, TrainingAttendance)
    after = {"attendance": _usernames(roll, statuses)}
    audit(db, "training.update", "training", item.id, before, after)
    db.commit()
    flash("已保存培训出席情况", "success")
    return back


@bp.post("/admin/meetings/<int:meeting_id>/delete")
@roles_required(Role.counselor)
def meeting_delete(meeting_id: int):
    db = get_session()
    item, semester = _own_meeting(db, meeting_id)
    if (locked := locked_message(db, semester)) is not None:
        flash(locked, "danger")
        return redirect(url_for("checkin.meeting", meeting_id=item.id))
    before = {"held_on": item.held_on, "topic": item.topic, "minutes": item.minutes}
    audit(db, "meeting.delete", "meeting", item.id, before, None)
    db.delete(item)
    db.commit()
    flash(f"已删除例会“{before['topic']}”", "success")
    return redirect(url_for("checkin.meetings", semester=semester.id))


@bp.post("/admin/trainings/<int:training_id>/delete")
@roles_required(Role.counselor)
def training_delete(training_id: int):
    db = get_session()
    item, semester = _own_training(db, training_id)
    before = {"held_on": item.held_on, "topic": item.topic, "organizer": item.organizer}
    audit(db, "training.delete", "training", item.id, before, None)
    db.delete(item)
    db.commit()
    flash(f"已删除培训“{before['topic']}”", "success")
    target = {"semester": semester.id} if semester else {}
    return redirect(url_for("checkin.meetings", **target))

"""Team meetings (例会, 第七条一) and trainings (培训, 第八条二): create, minutes and attendance,
delete. Meeting attendance feeds the assessment, so a finalized semester refuses meeting writes.

The dashboard's "例会 n/2" and training coverage read these tables directly, so a save here
shows there at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from data.inputs import as_text, clean_block, clean_text
from data.models import (
    Meeting,
    MeetingAttendance,
    Presence,
    Role,
    Semester,
    Training,
    TrainingAttendance,
    User,
)
from data.services import Refused, audit
from data.services.semesters import ensure_unlocked

TOPIC_MAX = 100
MINUTES_MAX = 20000
ORGANIZERS = ("学院", "学校")
# SPEC §1: meeting attendance is the 团长's job too, so they may open a meeting; trainings and
# deletions stay with the counselor.
MEETING_CREATORS = (Role.leader, Role.counselor)


def _check(semester: Semester, day: date | None, topic: Any) -> str:
    """The topic on one line, without control characters; refused when the form is wrong."""
    topic = clean_text(topic, TOPIC_MAX + 1)  # one more: too long is refused, not cut
    if day is None:
        raise Refused("请填写日期（YYYY-MM-DD）")
    if not semester.start <= day <= semester.end:
        raise Refused(f"日期应在本学期内（{semester.start} 至 {semester.end}）")
    if not topic:
        raise Refused("请填写主题")
    if len(topic) > TOPIC_MAX:
        raise Refused(f"主题不能超过 {TOPIC_MAX} 个字")
    return topic


def create_meeting(
    session: Session,
    actor: User,
    semester: Semester,
    day: date | None,
    topic: Any,
    *,
    at: datetime,
    ip: str = "",
) -> Meeting:
    """A new meeting of the semester (no minutes, no attendance yet)."""
    if actor.role not in MEETING_CREATORS or actor.team_id != semester.team_id:
        raise Refused("只有本团队的兼辅老师或团长可以新建例会")
    ensure_unlocked(session, semester.team_id, semester.start)
    topic = _check(semester, day, topic)
    meeting = Meeting(semester_id=semester.id, held_on=day, topic=topic, created_by_id=actor.id)
    session.add(meeting)
    session.flush()
    after = {"held_on": day, "topic": topic}
    audit(session, actor, "meeting.create", "meeting", meeting.id, None, after, at=at, ip=ip)
    return meeting


def create_training(
    session: Session,
    actor: User,
    semester: Semester,
    day: date | None,
    topic: Any,
    organizer: str,
    *,
    at: datetime,
    ip: str = "",
) -> Training:
    """A new training of the semester, organized by the school or the college."""
    topic = _check(semester, day, topic)
    organizer = as_text(organizer).strip()
    if organizer not in ORGANIZERS:
        raise Refused("请选择组织方（学校或学院）")
    training = Training(
        team_id=semester.team_id,
        semester_id=semester.id,
        held_on=day,
        topic=topic,
        organizer=organizer,
    )
    session.add(training)
    session.flush()
    after = {"held_on": day, "topic": topic, "organizer": organizer}
    audit(session, actor, "training.create", "training", training.id, None, after, at=at, ip=ip)
    return training


def _statuses(raw: dict[int, str]) -> dict[int, Presence]:
    if any(as_text(value) not in Presence.__members__ for value in raw.values()):
        raise Refused("出席情况只能是 出席 / 请假 / 缺席")
    return {user_id: Presence(value) for user_id, value in raw.items()}


def _sync(attendance: list, statuses: dict[int, Presence], factory: Callable[..., Any]) -> None:
    current = {a.user_id: a for a in attendance}
    for user_id, status in statuses.items():
        if user_id in current:
            current[user_id].status = status
        else:
            attendance.append(factory(user_id=user_id, status=status))


def _by_username(names: dict[int, str], statuses: dict[int, Any]) -> dict[str, str]:
    return {names[uid]: str(status) for uid, status in sorted(statuses.items())}


def save_meeting(
    session: Session,
    actor: User,
    meeting: Meeting,
    semester: Semester,
    minutes: Any,
    raw: dict[int, str],
    names: dict[int, str],
    *,
    at: datetime,
    ip: str = "",
) -> None:
    """Minutes and attendance (user id → presence value; ``names`` = their usernames)."""
    # Meeting attendance feeds the assessment: a finalized semester keeps it as graded.
    ensure_unlocked(session, semester.team_id, semester.start)
    statuses = _statuses(raw)
    minutes = clean_block(minutes, MINUTES_MAX + 1)  # one more: too long is refused, not cut
    if len(minutes) > MINUTES_MAX:
        raise Refused(f"会议记录不能超过 {MINUTES_MAX} 个字")
    before = {
        "minutes": meeting.minutes,
        "attendance": _by_username(names, {a.user_id: a.status for a in meeting.attendance}),
    }
    meeting.minutes = minutes
    _sync(meeting.attendance, statuses, MeetingAttendance)
    after = {"minutes": minutes, "attendance": _by_username(names, statuses)}
    audit(session, actor, "meeting.update", "meeting", meeting.id, before, after, at=at, ip=ip)


def save_training(
    session: Session,
    actor: User,
    training: Training,
    raw: dict[int, str],
    names: dict[int, str],
    *,
    at: datetime,
    ip: str = "",
) -> None:
    """Training attendance (user id → presence value; ``names`` = their usernames)."""
    statuses = _statuses(raw)
    before = {"attendance": _by_username(names, {a.user_id: a.status for a in training.attendance})}
    _sync(training.attendance, statuses, TrainingAttendance)
    after = {"attendance": _by_username(names, statuses)}
    audit(session, actor, "training.update", "training", training.id, before, after, at=at, ip=ip)


def delete_meeting(
    session: Session,
    actor: User,
    meeting: Meeting,
    semester: Semester,
    *,
    at: datetime,
    ip: str = "",
) -> str:
    """Delete a meeting with its minutes and attendance; returns its topic."""
    ensure_unlocked(session, semester.team_id, semester.start)
    before = {"held_on": meeting.held_on, "topic": meeting.topic, "minutes": meeting.minutes}
    audit(session, actor, "meeting.delete", "meeting", meeting.id, before, None, at=at, ip=ip)
    session.delete(meeting)
    return meeting.topic


def delete_training(
    session: Session, actor: User, training: Training, *, at: datetime, ip: str = ""
) -> str:
    """Delete a training with its attendance; returns its topic."""
    before = {"held_on": training.held_on, "topic": training.topic, "organizer": training.organizer}
    audit(session, actor, "training.delete", "training", training.id, before, None, at=at, ip=ip)
    session.delete(training)
    return training.topic

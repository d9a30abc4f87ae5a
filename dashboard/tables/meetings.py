"""例会与培训 inputs: who attended which meeting, and training coverage (第八条二)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    PRESENCE_LABELS,
    Meeting,
    MeetingAttendance,
    Presence,
    Semester,
    Training,
    TrainingAttendance,
)
from data.policy.lifecycle import training_ok
from data.report import SemesterReport


def meeting_matrix(session: Session, semester: Semester, report: SemesterReport) -> pd.DataFrame:
    """Rows: the semester's assistants; columns: its meetings; cells 出席/请假/缺席 (— not on roll)."""
    meetings = session.execute(
        select(Meeting.id, Meeting.held_on, Meeting.topic)
        .where(Meeting.semester_id == semester.id)
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    marks = {
        (meeting_id, user_id): PRESENCE_LABELS[status]
        for meeting_id, user_id, status in session.execute(
            select(
                MeetingAttendance.meeting_id, MeetingAttendance.user_id, MeetingAttendance.status
            )
            .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
            .where(Meeting.semester_id == semester.id)
        )
    }
    labels = [f"{held_on:%m-%d} {topic}" for _, held_on, topic in meetings]
    # Two meetings with one date and topic still need distinct column names.
    labels = [
        f"{label}（{i + 1}）" if labels.count(label) > 1 else label
        for i, label in enumerate(labels)
    ]
    rows = [
        [m.username, m.name, *(marks.get((mid, m.user_id), "—") for mid, _, _ in meetings)]
        for m in report.members
    ]
    return pd.DataFrame(rows, columns=["学号", "姓名", *labels])


def training_coverage(
    session: Session, semester: Semester, report: SemesterReport, today: date
) -> pd.DataFrame:
    """Trainings attended (出席) by each assistant up to now or the semester end (第八条二).

    Trainings of earlier semesters count as well: the rule asks for one during the appointment,
    which for a re-appointed assistant began before this semester.
    """
    ids = [m.user_id for m in report.members]
    attended = Counter(
        dict(
            session.execute(
                select(TrainingAttendance.user_id, func.count(TrainingAttendance.id))
                .join(Training, Training.id == TrainingAttendance.training_id)
                .where(
                    Training.team_id == semester.team_id,
                    Training.held_on <= min(today, semester.end),
                    TrainingAttendance.status == Presence.present,
                    TrainingAttendance.user_id.in_(ids),
                )
                .group_by(TrainingAttendance.user_id)
            ).all()
        )
    )
    settings = report.attendance.settings
    rows = [
        [
            m.username,
            m.name,
            attended[m.user_id],
            "是" if training_ok(attended[m.user_id], settings) else "否",
        ]
        for m in report.members
    ]
    frame = pd.DataFrame(rows, columns=["学号", "姓名", "参加培训次数", "已达标"])
    # Those still missing a training come first: they are what the counselor has to act on.
    return frame.sort_values(["已达标", "学号"], kind="stable").reset_index(drop=True)

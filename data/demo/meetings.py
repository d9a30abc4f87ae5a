"""Phase 3b: 例会 and trainings with their roll calls, for both semesters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from data.demo.common import BuilderBase, Person, SemesterData
from data.models import Meeting, MeetingAttendance, Presence, Training, TrainingAttendance


class MeetingsPhase(BuilderBase):
    """Three 例会 and two trainings last semester, one of each so far this semester."""

    def meeting(
        self,
        data: SemesterData,
        held_on: date,
        topic: str,
        minutes: str,
        *,
        absent: Person | None = None,
    ) -> None:
        rng = self.rng
        meeting = Meeting(
            semester_id=data.semester.id,
            held_on=held_on,
            topic=topic,
            minutes=minutes,
            created_by_id=self.leader.user.id,
        )
        self.add(meeting)
        roll: dict[int, Presence] = {}
        for person in data.members:
            if self.joined[(data.semester.id, person.user.id)] > held_on:
                continue
            status = Presence.excused if rng.random() < 0.08 else Presence.present
            if person is absent:
                status = Presence.absent
            roll[person.user.id] = status
            meeting.attendance.append(MeetingAttendance(user_id=person.user.id, status=status))
            self.counts["meeting_attendance"] += 1
        data.meetings.append((meeting, roll))
        if absent is not None:
            data.by_kind["meeting_absent"].append(absent.user.id)

    def training(self, data: SemesterData, held_on: date, topic: str, organizer: str) -> None:
        rng = self.rng
        training = Training(
            team_id=self.team.id,
            semester_id=data.semester.id,
            held_on=held_on,
            topic=topic,
            organizer=organizer,
        )
        self.add(training)
        for person in data.members:
            if self.joined[(data.semester.id, person.user.id)] > held_on:
                continue
            status = Presence.excused if rng.random() < 0.1 else Presence.present
            training.attendance.append(TrainingAttendance(user_id=person.user.id, status=status))
            self.counts["training_attendance"] += 1

    def minutes(self, data: SemesterData, items: Sequence[str]) -> str:
        lines = [f"主持：王老师　记录：{self.leader.user.name}", "会议内容："]
        lines += [f"{i}. {item}" for i, item in enumerate(items, start=1)]
        lines.append("会议要求：严格执行签到签退制度，不得先斩后奏；按时提交周总结。")
        return "\n".join(lines)

    def meetings_and_trainings(self, prev: SemesterData, cur: SemesterData) -> None:
        start = prev.semester.start
        self.meeting(
            prev,
            start + timedelta(days=8),
            "学期初例会：工作分工与值班安排",
            self.minutes(
                prev,
                ["宣读《学生助管培养与管理方案》", "公布本学期值班表", "明确各岗位职责与保密要求"],
            ),
            absent=self.not_rehired[0],
        )
        self.meeting(
            prev,
            start + timedelta(weeks=9, days=2),
            "期中例会：考勤通报与工作交流",
            self.minutes(
                prev, ["通报前半学期考勤情况", "各岗位交流工作经验", "布置奖助学金评审材料整理工作"]
            ),
        )
        self.meeting(
            prev,
            prev.semester.end - timedelta(days=10),
            "期末例会：工作总结与考核说明",
            self.minutes(
                prev, ["团长做学期工作总结", "说明期末考核办法与互评安排", "布置假期值班与交接"]
            ),
        )
        self.training(prev, start + timedelta(days=4), "学生助管岗位职责与保密要求培训", "学院")
        self.training(prev, start + timedelta(weeks=3, days=2), "全校勤工助学岗位安全培训", "学校")

        cur_start = cur.semester.start
        held = max(cur_start, min(cur_start + timedelta(days=9), self.today - timedelta(days=1)))
        absentee = next(
            (p for p in cur.members if p.user.id in cur.late_counts and p is not self.typical),
            None,
        )
        if absentee is None:
            absentee = next(p for p in cur.members if p is not self.typical and p not in self.new)
        self.meeting(
            cur,
            held,
            "学期初例会：新学期工作部署",
            self.minutes(
                cur,
                [
                    "欢迎新成员，介绍试用期要求",
                    "公布本学期值班表与签到方式（扫码签到）",
                    "强调请假须提前当面申请",
                ],
            ),
            absent=absentee,
        )
        trained = max(cur_start, min(cur_start + timedelta(days=4), self.today))
        self.training(cur, trained, "学生助管业务培训：档案管理与资助工作流程", "学院")

"""The demo's entry point: ``seed_demo`` runs the phases in order and sums up what it made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from data.demo.activity import ActivityPhase
from data.demo.common import CURRENT_PLAN, PREVIOUS_PLAN
from data.demo.election import ElectionPhase
from data.demo.inbox import InboxPhase
from data.demo.meetings import MeetingsPhase
from data.demo.people import PeoplePhase
from data.demo.results import ResultsPhase
from data.demo.schedule import SchedulePhase
from data.demo.tasks import TasksPhase
from data.demo.vocabulary import (
    AID_PLACE,
    COLLEGE,
    COUNSELOR_USERNAME,
    LEADER_USERNAME,
    LEADERSHIP_USERNAME,
    MAIN_PLACE,
    TEAM_NAME,
)
from data.models import Place, Semester, Stage, Team, TeamSettings
from data.policy.settings import PolicySettings


@dataclass(frozen=True)
class DemoSummary:
    """What ``seed_demo`` created; usernames refer to the current semester unless named ``previous``."""

    seed: int
    today: date
    team_id: int
    team_name: str
    current_semester: str
    current_start: date
    current_end: date
    previous_semester: str
    previous_start: date
    previous_end: date
    counts: dict[str, int]  # table name → rows created
    counselor: str
    leadership: str
    leader: str
    assistants: tuple[str, ...]  # everybody appointed (or in trial) in the current semester
    late_once: tuple[str, ...]  # exactly 1 late in the current semester
    late_twice: tuple[str, ...]  # exactly 2
    late_critical: tuple[str, ...]  # 3 or more
    absent: tuple[str, ...]
    missed_sign_out: tuple[str, ...]
    early_leave: tuple[str, ...]
    approved_leave: tuple[str, ...]
    phone_leave: tuple[str, ...]
    after_start_leave: tuple[str, ...]  # 先斩后奏
    meeting_absent: tuple[str, ...]  # unexcused 例会 absence
    extra_duty: tuple[str, ...]  # 加班 (unscheduled sign-in/out)
    trial: tuple[str, ...]  # still in 试用
    new_assistants: tuple[str, ...]  # only in the current semester
    resigned: tuple[str, ...]
    not_rehired: tuple[str, ...]  # 不合格 in the previous semester
    previous_grades: dict[str, int] = field(default_factory=dict)  # 优秀/合格/不合格 → count

    def lines(self) -> list[str]:
        c = self.counts
        grades = "，".join(f"{label} {n}" for label, n in self.previous_grades.items())
        return [
            f"团队：{self.team_name}（助管 {len(self.assistants)} 人，团长 {self.leader}）",
            f"本学期：{self.current_semester}（{self.current_start} 至 {self.current_end}），"
            f"上学期：{self.previous_semester}",
            f"签到记录 {c.get('check_event', 0)} 条，请假 {c.get('leave_request', 0)} 条，"
            f"工作记录 {c.get('work_record', 0)} 条，小结/周总结 {c.get('summary', 0)} 篇",
            f"本学期迟到 1 次：{_names(self.late_once)}；2 次：{_names(self.late_twice)}；"
            f"3 次及以上：{_names(self.late_critical)}",
            f"本学期缺勤：{_names(self.absent)}；先斩后奏：{_names(self.after_start_leave)}；"
            f"例会缺席：{_names(self.meeting_absent)}；试用中：{_names(self.trial)}",
            f"上学期考核：{grades}",
        ]


def seed_demo(
    session: Session, *, seed: int = 2026, today: date, now: datetime | None = None
) -> DemoSummary:
    """Create the demo team, people and two semesters of activity; flushes but does not commit.

    With ``now`` (on ``today``), today's duties that were over well before it get activity too,
    so a demo started in the afternoon does not show the morning's duties as missed.
    """
    return Builder(session, seed, today, now).build()


def _names(usernames: Sequence[str]) -> str:
    return "、".join(usernames) if usernames else "无"


class Builder(
    PeoplePhase,
    SchedulePhase,
    ActivityPhase,
    MeetingsPhase,
    ResultsPhase,
    InboxPhase,
    ElectionPhase,
    TasksPhase,
):
    """Runs the phases in order on one random stream: people, schedule, activity, results."""

    def build(self) -> DemoSummary:
        self.team = Team(name=TEAM_NAME, college=COLLEGE, created_at=self.epoch)
        self.add(self.team)
        self.session.flush()
        self.add(
            TeamSettings(
                team_id=self.team.id, values=PolicySettings().to_dict(), updated_at=self.epoch
            )
        )
        self.make_people()
        self.main_place = Place(team_id=self.team.id, name=MAIN_PLACE)
        self.aid_place = Place(team_id=self.team.id, name=AID_PLACE)
        self.add(self.main_place, self.aid_place)
        prev_name, prev_start, prev_end = self.prev_bounds
        cur_name, cur_start, cur_end = self.cur_bounds
        self.previous = Semester(
            team_id=self.team.id, name=prev_name, start=prev_start, end=prev_end
        )
        self.current = Semester(team_id=self.team.id, name=cur_name, start=cur_start, end=cur_end)
        self.add(self.previous, self.current)
        self.session.flush()

        # Who is in which semester.
        veterans = self.veterans
        prev_members = [*veterans, *self.not_rehired]  # the resigned one has no shifts
        cur_members = [*veterans, *self.new]

        self.appointments()
        prev = self.semester(self.previous, prev_members, PREVIOUS_PLAN, complete=True)
        cur = self.semester(self.current, cur_members, CURRENT_PLAN, complete=False)
        self.meetings_and_trainings(prev, cur)
        self.session.flush()
        self.assess_previous(prev)
        self.inbox_items()
        self.demo_tasks()  # 交办任务
        self.past_election()  # 团长选举 that made the demo 团长 (draws no random numbers)
        self.session.flush()

        def usernames(ids: Sequence[int]) -> tuple[str, ...]:
            by_id = {p.user.id: p.user.username for p in self.assistants}
            return tuple(sorted({by_id[i] for i in ids}))

        late = cur.late_counts
        trial = [p for p in self.new if self.trial_stage.get(p.user.id) == Stage.trial]
        return DemoSummary(
            seed=self.seed,
            today=self.today,
            team_id=self.team.id,
            team_name=TEAM_NAME,
            current_semester=cur_name,
            current_start=cur_start,
            current_end=cur_end,
            previous_semester=prev_name,
            previous_start=prev_start,
            previous_end=prev_end,
            counts=dict(sorted(self.counts.items())),
            counselor=COUNSELOR_USERNAME,
            leadership=LEADERSHIP_USERNAME,
            leader=LEADER_USERNAME,
            assistants=tuple(sorted(p.user.username for p in cur_members)),
            late_once=usernames([u for u, n in late.items() if n == 1]),
            late_twice=usernames([u for u, n in late.items() if n == 2]),
            late_critical=usernames([u for u, n in late.items() if n >= 3]),
            absent=usernames(cur.by_kind["absent"]),
            missed_sign_out=usernames(cur.by_kind["missed"]),
            early_leave=usernames(cur.by_kind["early"]),
            approved_leave=usernames(cur.by_kind["leave"]),
            phone_leave=usernames(cur.by_kind["phone"]),
            after_start_leave=usernames(cur.by_kind["after_start"]),
            meeting_absent=usernames(cur.by_kind["meeting_absent"]),
            extra_duty=usernames(cur.by_kind["extra"]),
            trial=tuple(sorted(p.user.username for p in trial)),
            new_assistants=tuple(sorted(p.user.username for p in self.new)),
            resigned=tuple(p.user.username for p in self.resigned),
            not_rehired=tuple(p.user.username for p in self.not_rehired),
            previous_grades=self.previous_grades,
        )

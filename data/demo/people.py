"""Phase 1: the team's people and their appointments (报名 → 试用 → 聘任, 辞职, 解聘)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from data.demo.common import BuilderBase, Person, local_at
from data.demo.vocabulary import (
    ASSISTANT_PASSWORD,
    COUNSELOR_PASSWORD,
    COUNSELOR_USERNAME,
    FEMALE_GIVEN,
    GRAD_MAJORS,
    LEADER_USERNAME,
    LEADERSHIP_PASSWORD,
    LEADERSHIP_USERNAME,
    MALE_GIVEN,
    POLITICAL,
    POSTS,
    SURNAMES,
    TYPICAL_USERNAME,
    UNDERGRAD_MAJORS,
)
from data.models import Appointment, AppointmentEvent, DismissalReason, Role, Stage, User


class PeoplePhase(BuilderBase):
    """The counselor, the leadership and 42 assistants; two semesters of appointments."""

    def make_people(self) -> None:
        rng = self.rng
        created = self.epoch
        counselor = User(
            team_id=self.team.id,
            username=COUNSELOR_USERNAME,
            name="王老师",
            role=Role.counselor,
            gender="女",
            phone="13907310021",
            post="兼职辅导员",
            created_at=created,
        )
        counselor.set_password(COUNSELOR_PASSWORD)
        leadership = User(
            team_id=self.team.id,
            username=LEADERSHIP_USERNAME,
            name="陈书记",
            role=Role.leadership,
            gender="男",
            post="学院党委副书记",
            created_at=created,
        )
        leadership.set_password(LEADERSHIP_PASSWORD)
        self.counselor, self.leadership = counselor, leadership
        self.add(counselor, leadership)

        # One hash for every assistant: scrypt is slow and the password is the same.
        template = User(username="-", name="-")
        template.set_password(ASSISTANT_PASSWORD)
        shared_hash = template.password_hash

        # 42 assistants: 27 undergraduates (2022/2023级) and 15 graduates (2024/2025级).
        specs: list[tuple[str, str, str, str]] = []  # (degree, year, major, code)
        for year, count in (("2022", 12), ("2023", 15)):
            for _ in range(count):
                specs.append(("本科生", year, *rng.choice(UNDERGRAD_MAJORS)))
        for year, count in (("2024", 8), ("2025", 7)):
            for _ in range(count):
                specs.append(("研究生", year, *rng.choice(GRAD_MAJORS)))
        rng.shuffle(specs)
        # The documented logins have fixed usernames: the 团长 is a 2024级 基础数学 graduate,
        # the typical assistant a 2023级 信息与计算科学 undergraduate.
        specs[0] = ("研究生", "2024", "基础数学", "21")
        specs[1] = ("本科生", "2023", "信息与计算科学", "02")
        used_names: set[str] = set()
        used_usernames = {LEADER_USERNAME, TYPICAL_USERNAME}
        people: list[Person] = []
        for index, (degree, year, major, code) in enumerate(specs):
            if index == 0:
                username = LEADER_USERNAME
            elif index == 1:
                username = TYPICAL_USERNAME
            else:
                while True:
                    username = f"{year}{code}{rng.randint(1, 60):02d}"
                    if username not in used_usernames:
                        break
                used_usernames.add(username)
            gender = rng.choice(("男", "女"))
            while True:
                given = rng.choice(MALE_GIVEN if gender == "男" else FEMALE_GIVEN)
                name = rng.choice(SURNAMES) + given
                if name not in used_names:
                    break
            used_names.add(name)
            political = rng.choices([p for p, _ in POLITICAL], [w for _, w in POLITICAL])[0]
            if index == 0:
                political = "中共党员"
            post = "学工办值班" if index == 0 else rng.choice(POSTS)
            user = User(
                team_id=self.team.id,
                username=username,
                name=name,
                role=Role.leader if index == 0 else Role.assistant,
                gender=gender,
                degree_level=degree,
                grade=f"{year}级",
                major=major,
                phone=f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}",
                qq=str(rng.randint(10_000_000, 3_999_999_999)),
                political_status=political,
                hardship=rng.random() < 0.2,
                post=post,
                password_hash=shared_hash,
                created_at=created,
            )
            device = f"{rng.getrandbits(64):016x}"
            ip_prefix = f"10.{rng.randint(16, 31)}.{rng.randint(0, 255)}."
            quality = rng.random()
            if index <= 1:
                quality = 0.75 + 0.2 * quality
            people.append(Person(user, quality, device, ip_prefix, post))
        self.add(*(p.user for p in people))
        self.session.flush()
        self.assistants = people
        self.leader = people[0]
        self.typical = people[1]
        # Roles in the story: 37 in both semesters (incl. the 团长), 2 new this semester,
        # 1 resigned last semester, 2 not re-hired after a 不合格 last semester.
        rest = people[2:]
        self.veterans = [people[0], people[1], *rest[:35]]
        self.new = rest[35:37]
        self.resigned = rest[37:38]
        self.not_rehired = rest[38:40]  # [0]: ≥3 lates, [1]: course failure
        for person in (*self.resigned, *self.not_rehired):
            person.user.active = False

    # -- appointments ------------------------------------------------------------------------

    def history(
        self,
        appointment: Appointment,
        steps: Sequence[tuple[Stage | None, Stage, date, User, str]],
    ) -> None:
        for from_stage, to_stage, on, by, reason in steps:
            moment = min(local_at(on, 10, self.rng.randint(0, 59)), local_at(self.today, 0))
            self.add(
                AppointmentEvent(
                    appointment=appointment,
                    from_stage=from_stage,
                    to_stage=to_stage,
                    on=on,
                    at=moment,
                    by_id=by.id,
                    reason=reason,
                )
            )

    def appointments(self) -> None:
        rng, counselor = self.rng, self.counselor
        prev, cur = self.previous, self.current
        self.trial_stage: dict[int, Stage] = {}
        self.joined: dict[tuple[int, int], date] = {}  # (semester, user) → first day on duty
        notes = ("成绩优良，综合测评班级前 20%", "学习成绩良好，无挂科", "GPA 3.6，专业前 15%")
        experience = (
            "曾任班长",
            "曾任学生会干事",
            "曾任团支书",
            "有志愿服务经历",
            "曾在图书馆勤工助学",
        )

        # Previous semester: applied → reviewed → trial → appointed (resigned / ended / dismissed).
        applied = prev.start - timedelta(days=7)
        reviewed = prev.start - timedelta(days=3)
        appointed = prev.start + timedelta(days=self.settings.trial_days)
        for person in (*self.veterans, *self.resigned, *self.not_rehired):
            user = person.user
            appointment = Appointment(
                user_id=user.id,
                semester_id=prev.id,
                stage=Stage.appointed,
                applied_on=applied,
                trial_start=prev.start,
                appointed_on=appointed,
                grades_note=rng.choice(notes),
                experience=rng.choice(experience),
            )
            self.add(appointment)
            steps: list[tuple[Stage | None, Stage, date, User, str]] = [
                (None, Stage.applied, applied, user, "本人提交报名表"),
                (Stage.applied, Stage.reviewed, reviewed, counselor, "学院选拔审核通过"),
                (Stage.reviewed, Stage.trial, prev.start, counselor, "开始试用一个月"),
                (Stage.trial, Stage.appointed, appointed, counselor, "试用合格，学生处聘任"),
            ]
            self.joined[(prev.id, user.id)] = prev.start
            if person in self.resigned:
                requested = prev.start + timedelta(days=35)
                leaving = requested + timedelta(days=self.settings.resignation_notice_days)
                appointment.stage = Stage.resigned
                appointment.resignation_requested_on = requested
                appointment.ended_on = leaving
                steps.append(
                    (
                        Stage.appointed,
                        Stage.resigned,
                        leaving,
                        counselor,
                        "本人书面申请辞职（准备考研）",
                    )
                )
            elif person is self.not_rehired[0]:
                appointment.stage = Stage.ended
                appointment.ended_on = prev.end
                steps.append(
                    (
                        Stage.appointed,
                        Stage.ended,
                        prev.end,
                        counselor,
                        "考核不合格（迟到三次），不再聘任",
                    )
                )
            elif person is self.not_rehired[1]:
                appointment.stage = Stage.dismissed
                appointment.ended_on = prev.end
                appointment.dismissal_reason = DismissalReason.course_failure
                steps.append(
                    (Stage.appointed, Stage.dismissed, prev.end, counselor, "课程考试不及格，解聘")
                )
            self.history(appointment, steps)

        # Current semester: veterans are re-appointed (续聘) without a new trial.
        applied = cur.start - timedelta(days=7)
        reviewed = cur.start - timedelta(days=3)
        for person in self.veterans:
            user = person.user
            appointment = Appointment(
                user_id=user.id,
                semester_id=cur.id,
                stage=Stage.appointed,
                applied_on=applied,
                appointed_on=cur.start,
                grades_note=rng.choice(notes),
                experience="上学期担任学生助管",
            )
            self.add(appointment)
            self.joined[(cur.id, user.id)] = cur.start
            self.history(
                appointment,
                [
                    (None, Stage.applied, applied, user, "申请续聘"),
                    (
                        Stage.applied,
                        Stage.reviewed,
                        reviewed,
                        counselor,
                        "上学期考核合格，同意续聘",
                    ),
                    (Stage.reviewed, Stage.appointed, cur.start, counselor, "续聘"),
                ],
            )
        # New this semester: one from the first day (appointed once the month is over), one who
        # started her trial recently so the trial list has an entry coming due.
        trial_days = timedelta(days=self.settings.trial_days)
        first, second = self.new
        starts = {
            first.user.id: cur.start,
            second.user.id: max(cur.start, self.today - timedelta(days=26)),
        }
        for person in self.new:
            user = person.user
            trial_start = starts[user.id]
            applied = trial_start - timedelta(days=7)
            reviewed = trial_start - timedelta(days=2)
            done = trial_start + trial_days
            stage = Stage.appointed if done <= self.today and person is first else Stage.trial
            self.trial_stage[user.id] = stage
            appointment = Appointment(
                user_id=user.id,
                semester_id=cur.id,
                stage=stage,
                applied_on=applied,
                trial_start=trial_start,
                appointed_on=done if stage == Stage.appointed else None,
                grades_note=rng.choice(notes),
                experience=rng.choice(experience),
            )
            self.add(appointment)
            self.joined[(cur.id, user.id)] = trial_start
            user.created_at = local_at(applied, 9)
            steps = [
                (None, Stage.applied, applied, user, "本人提交报名表"),
                (Stage.applied, Stage.reviewed, reviewed, counselor, "学院选拔审核通过"),
                (Stage.reviewed, Stage.trial, trial_start, counselor, "开始试用一个月"),
            ]
            if stage == Stage.appointed:
                steps.append(
                    (Stage.trial, Stage.appointed, done, counselor, "试用合格，学生处聘任")
                )
            self.history(appointment, steps)

"""Realistic demo data (SPEC §7 ``seed-demo``): one college team, two semesters, real patterns.

Deterministic for a given ``(seed, today)``: one ``random.Random(seed)`` and no clock other than
``today`` (every timestamp, ``created_at`` included, is derived from it). The current semester is
placed so that ``today`` lies inside it; its duties are generated up to yesterday. The previous
semester is complete: evaluations, a published assessment (computed with the policy engine) and
paid stipends.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from data.models import (
    GRADE_LABELS,
    Appointment,
    AppointmentEvent,
    Assessment,
    CheckAction,
    CheckEvent,
    CheckMethod,
    Commendation,
    CourseFailure,
    DismissalReason,
    Evaluation,
    EvaluationKind,
    Grade,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingAttendance,
    OverrideKind,
    Place,
    Presence,
    Role,
    Semester,
    SemesterBreak,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    Stage,
    Stipend,
    StipendStatus,
    Summary,
    SummaryKind,
    Team,
    TeamSettings,
    Training,
    TrainingAttendance,
    User,
    WorkRecord,
)
from data.policy.duties import expected_duties
from data.policy.settings import PolicySettings
from data.policy.types import Duty, Event, LeaveInfo, OverrideSpec, ShiftSpec
from data.report import build_report
from data.timeutil import LOCAL_TZ

TEAM_NAME = "数学与物理学院助管团"
COLLEGE = "数学与物理学院"
MAIN_PLACE = "学工办"
AID_PLACE = "资助办"

COUNSELOR_USERNAME, COUNSELOR_PASSWORD = "T0001", "demo-counselor"
LEADERSHIP_USERNAME, LEADERSHIP_PASSWORD = "L0001", "demo-leader"
ASSISTANT_PASSWORD = "demo1234"
LEADER_USERNAME = "20242103"  # 团长, 2024级研究生
TYPICAL_USERNAME = "20230215"  # an ordinary assistant (in the current semester: exactly 1 late)

DEMO_LOGINS: list[tuple[str, str, str, str]] = [
    (
        "兼辅",
        COUNSELOR_USERNAME,
        COUNSELOR_PASSWORD,
        "王老师：名单、请假审批、补签、例会、考核、补贴、设置",
    ),
    ("学工组领导", LEADERSHIP_USERNAME, LEADERSHIP_PASSWORD, "只读：学期统计、学期对比、打印报表"),
    ("团长", LEADER_USERNAME, ASSISTANT_PASSWORD, "值班安排、日常考勤、例会考勤、通讯录"),
    (
        "助管",
        TYPICAL_USERNAME,
        ASSISTANT_PASSWORD,
        "扫码签到/签退、工作记录、请假；所有助管的密码都是 demo1234",
    ),
]

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_GIVEN = _words(
    "浩然 子轩 宇航 俊杰 志强 明哲 嘉豪 天佑 博文 思远 一鸣 建华 晓东 泽宇 文博 振宇 "
    "昊天 鹏飞 家乐 子豪 凯 磊 超 涛 斌 鑫 昊 航 铭 宏伟 立新 国栋"
)
FEMALE_GIVEN = _words(
    "雨欣 梓涵 思琪 欣怡 佳怡 诗涵 梦瑶 雅婷 晓雯 婧 静怡 若曦 嘉欣 紫萱 雨桐 "
    "可馨 心怡 慧敏 晓燕 丹 婷 璐 颖 倩 悦 琳 佳琪 梦洁 文静 秀英"
)
UNDERGRAD_MAJORS = (
    ("数学与应用数学", "01"),
    ("信息与计算科学", "02"),
    ("物理学", "03"),
    ("应用物理学", "04"),
    ("统计学", "05"),
)
GRAD_MAJORS = (
    ("基础数学", "21"),
    ("应用数学", "22"),
    ("计算数学", "23"),
    ("理论物理", "24"),
    ("凝聚态物理", "25"),
    ("概率论与数理统计", "26"),
)
POSTS = ("学工办值班", "档案整理", "宣传", "资助", "党建", "心理健康", "就业")
POLITICAL = (("中共党员", 0.7), ("中共预备党员", 0.2), ("共青团员", 0.1))

GRADES_TEXT = ("2022级", "2023级", "2024级", "2025级")
SCHOLARSHIPS = ("国家奖学金", "国家励志奖学金", "国家助学金", "学业奖学金", "校长奖学金")
NOTICES = ("期中教学检查", "宿舍安全检查", "防范电信诈骗", "评奖评优", "寒假离校", "体测补测")
TOPICS = ("心理健康月", "学风建设", "防诈骗宣传", "秋季招聘会", "考研经验交流会", "安全教育周")
QUESTIONS = ("奖助学金", "学籍异动", "请假销假", "转专业", "缓考申请", "助学贷款")
EVENTS = ("青年志愿者", "数学建模竞赛", "校运动会", "考研经验交流会", "大学生物理竞赛")

TASKS = (
    "整理{grade}学生档案，核对学籍信息",
    "接待来访学生并登记，共{n}人次",
    "录入{scholarship}申请材料{n}份",
    "核对助学贷款名单，标出信息不一致的{m}条",
    "发放{notice}通知，并在班级群确认收到",
    "更新学院宣传栏，张贴{topic}海报",
    "整理学工办文件柜，归档本周会议材料",
    "协助辅导员统计{grade}请假情况",
    "接听学生咨询电话，解答{question}相关问题",
    "扫描{grade}党员发展材料并上传系统",
    "录入勤工助学岗位考勤表",
    "核对{scholarship}公示名单",
    "整理心理健康普查问卷{n}份",
    "打印并装订{grade}学籍异动材料",
    "统计各班{event}报名情况",
    "复印并分发{notice}材料",
    "登记困难学生认定材料{m}份",
    "整理毕业生就业协议书{m}份",
)
REFLECTIONS = (
    "工作中注意保密，重要材料已锁入抽屉。",
    "与值班同学配合顺利，按时完成了老师交办的任务。",
    "发现档案编号有重复，已报告老师处理。",
    "下周计划提前熟悉奖助学金评审流程。",
    "来访学生较多，今后要提高登记效率。",
    "离开办公室时已检查门窗并锁门。",
    "部分材料缺少签字，已通知相关班级补交。",
)
LEAVE_REASONS = {
    LeaveKind.personal: ("家中有事需回家一趟", "参加亲属婚礼", "办理身份证补办手续"),
    LeaveKind.sick: ("感冒发烧，需去校医院就诊", "牙疼，预约了口腔科", "肠胃不适，需休息"),
    LeaveKind.exam: ("与期中考试时间冲突", "参加英语六级口语考试", "参加课程补考"),
    LeaveKind.official: (
        "参加学院团委组织的志愿活动",
        "代表学院参加数学建模竞赛",
        "参加党支部集中学习",
    ),
}
PHONE_REASONS = (
    "突发急性肠胃炎，电话向王老师请假",
    "家中突发急事连夜回家，电话请假",
    "骑车摔伤去校医院处理，电话请假",
)
XIANZHAN_REASON = "临时有事没能按时到岗，事后补交请假申请"

# Shift slots (weekday 1–5): 学工办 four slots a day, 资助办 two; up to 3 people per shift.
MAIN_SLOTS = ((time(8, 0), time(10, 0)), (time(10, 0), time(12, 0)))
MAIN_SLOTS += ((time(14, 0), time(16, 0)), (time(16, 0), time(18, 0)))
AID_SLOTS = ((time(9, 0), time(11, 30)), (time(14, 30), time(17, 0)))
MAIN_CAPACITY, AID_CAPACITY = 3, 3


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


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
    return _Builder(session, seed, today, now).build()


def semester_bounds(today: date) -> tuple[tuple[str, date, date], tuple[str, date, date]]:
    """(name, start, end) of the current semester (containing ``today``) and of the previous one.

    Autumn term (Sep–Jan; August counts as the coming autumn term): first Monday of September to
    mid-January. Spring term (Feb–Jul): last Monday of February to early July. When ``today``
    falls before the regular start, the term starts on the Monday of today's week; after the
    regular end (late January/July), the term runs to the month's end.
    """
    month = today.month
    if month >= 8 or month == 1:
        year = today.year if month >= 8 else today.year - 1
        start, end = _first_monday(year, 9), date(year + 1, 1, 16)
        if today > end:
            end = date(year + 1, 1, 31)
        current_name = f"{year}-{year + 1}学年第一学期"
        previous = (
            f"{year - 1}-{year}学年第二学期",
            _last_monday_of_february(year),
            date(year, 7, 10),
        )
    else:
        year = today.year
        start, end = _last_monday_of_february(year), date(year, 7, 10)
        if today > end:
            end = date(year, 7, 31)
        current_name = f"{year - 1}-{year}学年第二学期"
        previous = (f"{year - 1}-{year}学年第一学期", _first_monday(year - 1, 9), date(year, 1, 16))
    if today < start:
        start = today - timedelta(days=today.weekday())
    return (current_name, start, end), previous


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _names(usernames: Sequence[str]) -> str:
    return "、".join(usernames) if usernames else "无"


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday_of_february(year: int) -> date:
    last = date(year, 3, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=LOCAL_TZ).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class _Person:
    user: User
    quality: float  # 0..1, drives records, summaries and evaluations
    device: str
    ip_prefix: str
    post: str


@dataclass(frozen=True)
class _Plan:
    """How many of each pattern a semester gets; lates are per person (one entry each)."""

    late_counts: tuple[int, ...]
    absent: int
    missed: int
    early: int
    leave: int
    phone: int
    after_start: int
    swaps: int
    extras: int


CURRENT_PLAN = _Plan(
    late_counts=(1, 3, 2, 4, 2, 1, 1, 1),
    absent=3,
    missed=3,
    early=2,
    leave=6,
    phone=2,
    after_start=1,
    swaps=3,
    extras=4,
)
PREVIOUS_PLAN = _Plan(
    late_counts=(3, 2, 1, 1, 1, 1),
    absent=2,
    missed=2,
    early=2,
    leave=7,
    phone=1,
    after_start=0,
    swaps=2,
    extras=3,
)


@dataclass
class _SemesterData:
    """What one semester's generation produced, kept in memory for the assessment."""

    semester: Semester
    members: list[_Person]
    shifts: list[ShiftSpec]
    duties: list[Duty]  # expected duties up to the last generated day
    events: dict[tuple, list[Event]] = field(default_factory=lambda: defaultdict(list))
    extra_events: dict[int, list[Event]] = field(default_factory=lambda: defaultdict(list))
    leaves: dict[tuple, list[LeaveInfo]] = field(default_factory=lambda: defaultdict(list))
    records: Counter = field(default_factory=Counter)  # user id → work records
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    late_counts: Counter = field(default_factory=Counter)
    meetings: list[tuple[Meeting, dict[int, Presence]]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self, session: Session, seed: int, today: date, now: datetime | None = None
    ) -> None:
        self.session = session
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        self.now = now
        self.settings = PolicySettings()
        self.counts: Counter = Counter()
        (cur_name, cur_start, cur_end), (prev_name, prev_start, prev_end) = semester_bounds(today)
        self.cur_bounds = (cur_name, cur_start, cur_end)
        self.prev_bounds = (prev_name, prev_start, prev_end)
        # Created a month before the previous semester: the team's "founding".
        self.epoch = _at(prev_start - timedelta(days=30), 9)

    # -- bookkeeping -------------------------------------------------------------------------

    def add(self, *objects: object) -> None:
        for obj in objects:
            self.counts[type(obj).__tablename__] += 1  # type: ignore[attr-defined]
        self.session.add_all(objects)

    def fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            grade=rng.choice(GRADES_TEXT),
            n=rng.randint(3, 40),
            m=rng.randint(2, 12),
            scholarship=rng.choice(SCHOLARSHIPS),
            notice=rng.choice(NOTICES),
            topic=rng.choice(TOPICS),
            question=rng.choice(QUESTIONS),
            event=rng.choice(EVENTS),
        )

    def task_text(self, parts: int | None = None) -> str:
        parts = parts or self.rng.choice((1, 1, 2))
        return "；".join(self.fill(t) for t in self.rng.sample(TASKS, parts)) + "。"

    # -- main --------------------------------------------------------------------------------

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

    # -- people ------------------------------------------------------------------------------

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
        people: list[_Person] = []
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
            people.append(_Person(user, quality, device, ip_prefix, post))
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
            moment = min(_at(on, 10, self.rng.randint(0, 59)), _at(self.today, 0))
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
            user.created_at = _at(applied, 9)
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

    # -- one semester ------------------------------------------------------------------------

    def schedule(self, semester: Semester, members: list[_Person]) -> list[ShiftSpec]:
        rng = self.rng
        slots: list[tuple[Shift, int]] = []
        for weekday in range(1, 6):
            for start, end in MAIN_SLOTS:
                shift = Shift(
                    semester_id=semester.id,
                    weekday=weekday,
                    start=start,
                    end=end,
                    place_id=self.main_place.id,
                )
                slots.append((shift, MAIN_CAPACITY))
            for start, end in AID_SLOTS:
                shift = Shift(
                    semester_id=semester.id,
                    weekday=weekday,
                    start=start,
                    end=end,
                    place_id=self.aid_place.id,
                )
                slots.append((shift, AID_CAPACITY))
        self.add(*(s for s, _ in slots))
        self.session.flush()
        assigned: dict[int, list[int]] = {s.id: [] for s, _ in slots}
        weekdays: dict[int, set[int]] = defaultdict(set)
        order = list(members)
        rng.shuffle(order)
        # Everybody gets two shifts on different days; the 团长 and about a fifth get a third.
        thirds = {p.user.id for p in order[: len(order) // 5]} | {self.leader.user.id}
        rounds = [order, order, [p for p in order if p.user.id in thirds]]
        for people in rounds:
            for person in people:
                days = weekdays[person.user.id]
                candidates = [
                    (s, cap)
                    for s, cap in slots
                    if s.weekday not in days and len(assigned[s.id]) < cap
                ]
                if not candidates:
                    continue
                prefer_aid = person.post == "资助"

                def rank(item: tuple[Shift, int], prefer_aid: bool = prefer_aid) -> tuple:
                    shift, cap = item
                    at_aid = shift.place_id == self.aid_place.id
                    return (len(assigned[shift.id]) / cap, at_aid != prefer_aid, rng.random())

                shift, _ = min(candidates, key=rank)
                assigned[shift.id].append(person.user.id)
                days.add(shift.weekday)
        for shift, _ in slots:
            for user_id in assigned[shift.id]:
                self.add(ShiftAssignment(shift_id=shift.id, user_id=user_id))
        places = {self.main_place.id: MAIN_PLACE, self.aid_place.id: AID_PLACE}
        return [
            ShiftSpec(
                s.id, s.weekday, s.start, s.end, places[s.place_id], tuple(sorted(assigned[s.id]))
            )
            for s, _ in slots
        ]

    def _over(self, duty: Duty) -> bool:
        """A duty of today that ended long enough before ``now`` for its sign-out to exist."""
        return (
            self.now is not None
            and duty.day == self.today
            and duty.end + timedelta(minutes=45) <= self.now
        )

    def semester(
        self, semester: Semester, members: list[_Person], plan: _Plan, *, complete: bool
    ) -> _SemesterData:
        rng = self.rng
        shifts = self.schedule(semester, members)
        # The last day with generated activity: the whole term, or up to yesterday.
        last = semester.end if complete else min(semester.end, self.today - timedelta(days=1))
        # 校运动会停课: Thursday and Friday of the eighth week.
        sports = semester.start + timedelta(weeks=7, days=3)
        breaks = [(sports, sports + timedelta(days=1))]
        self.add(
            SemesterBreak(
                semester_id=semester.id, start=breaks[0][0], end=breaks[0][1], name="校运动会停课"
            )
        )
        base = expected_duties(semester.start, semester.end, shifts, (), breaks)
        past_days = sorted({d.day for d in base if d.day <= last})
        overrides = self.overrides(semester, plan, shifts, base, past_days)
        duties = expected_duties(semester.start, semester.end, shifts, overrides, breaks)
        data = _SemesterData(
            semester, members, shifts, [d for d in duties if d.day <= last or self._over(d)]
        )
        by_id = {p.user.id: p for p in members}

        # Allocate the patterns to people and their past scheduled duties.
        own: dict[int, list[Duty]] = defaultdict(list)
        for duty in data.duties:
            if duty.shift_id is not None:
                own[duty.user_id].append(duty)
        fate: dict[tuple, tuple[str, int]] = {}
        eligible = [p for p in members if own.get(p.user.id) and p is not self.new[-1]]
        forced = {
            self.previous.id: [self.not_rehired[0]] if complete else [],
            self.current.id: [self.typical],
        }[semester.id]
        pool: list[_Person] = []

        def take() -> _Person | None:
            if not eligible:
                return None
            if not pool:
                refill = [
                    p for p in eligible if p not in (self.typical, self.leader) and p not in forced
                ]
                rng.shuffle(refill)
                pool.extend(refill or eligible)
            return pool.pop()

        def mark(person: _Person, kind: str, count: int, minutes: tuple[int, int] = (0, 0)) -> int:
            free = [d for d in own[person.user.id] if d.key not in fate]
            chosen = rng.sample(free, min(count, len(free)))
            for duty in chosen:
                fate[duty.key] = (kind, rng.randint(*minutes) if minutes != (0, 0) else 0)
            if chosen:
                data.by_kind[kind].append(person.user.id)
            return len(chosen)

        # Early in a term there are few duties yet: fewer people get each pattern.
        scale = min(1.0, len(past_days) / 20)

        def scaled(count: int) -> int:
            return max(1, round(count * scale)) if count and past_days else 0

        for index, count in enumerate(plan.late_counts[: scaled(len(plan.late_counts))]):
            person = (
                forced[index] if index < len(forced) and own.get(forced[index].user.id) else take()
            )
            if person is not None:
                data.late_counts[person.user.id] += mark(person, "late", count, (6, 40))
        for kind, count in (
            ("absent", plan.absent),
            ("missed", plan.missed),
            ("early", plan.early),
            ("leave", plan.leave),
            ("phone", plan.phone),
            ("after_start", plan.after_start),
        ):
            for _ in range(scaled(count)):
                person = take()
                if person is not None:
                    mark(person, kind, 1, (10, 35) if kind == "early" else (0, 0))
        if not complete:
            self.future_leaves(data, duties)

        # Events, leave and work records, duty by duty.
        # Work-record compliance per person, 60–100 %; error diffusion keeps each person's
        # share close to it whatever the number of duties.
        compliance = {
            p.user.id: min(1.0, max(0.6, 0.6 + 0.4 * p.quality + rng.uniform(-0.05, 0.05)))
            for p in members
        }
        owed: dict[int, float] = {p.user.id: rng.random() for p in members}
        worked_days: dict[int, set[date]] = defaultdict(set)
        for duty in data.duties:
            person = by_id.get(duty.user_id)
            if person is None:
                continue
            kind, minutes = fate.get(duty.key, ("normal", 0))
            if kind in ("leave", "phone", "after_start"):
                self.leave(data, person, duty, kind)
                continue
            if kind == "absent":
                continue
            if kind == "late":
                sign_in = duty.start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            else:
                sign_in = duty.start - timedelta(
                    minutes=rng.randint(1, 15), seconds=rng.randint(0, 59)
                )
                if rng.random() < 0.15:  # just in time, within the grace minutes
                    sign_in = duty.start + timedelta(
                        minutes=rng.randint(0, 3), seconds=rng.randint(0, 59)
                    )
            self.event(data, person, duty.key, CheckAction.sign_in, sign_in, duty)
            worked_days[person.user.id].add(duty.day)
            if kind == "missed":
                continue
            if kind == "early":
                sign_out = duty.end - timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            else:
                sign_out = duty.end + timedelta(
                    minutes=rng.randint(0, 12), seconds=rng.randint(0, 59)
                )
            self.event(data, person, duty.key, CheckAction.sign_out, sign_out, duty)
            owed[person.user.id] += compliance[person.user.id]
            if owed[person.user.id] >= rng.uniform(0.6, 1.0):
                owed[person.user.id] -= 1
                self.add(
                    WorkRecord(
                        user_id=person.user.id,
                        duty_date=duty.day,
                        shift_id=duty.shift_id,
                        content=self.task_text(),
                        created_at=_utc(sign_out),
                    )
                )
                data.records[person.user.id] += 1

        self.extra_duties(data, plan, past_days, worked_days)
        self.summaries(data, complete, worked_days)
        self.session.flush()
        return data

    def overrides(
        self,
        semester: Semester,
        plan: _Plan,
        shifts: list[ShiftSpec],
        base: list[Duty],
        past_days: list[date],
    ) -> list[OverrideSpec]:
        """Swaps (换班), one cancelled day and one scheduled extra duty, all in the past."""
        rng = self.rng
        specs: list[OverrideSpec] = []
        self.scheduled_extra: tuple[int, date] | None = None
        if len(past_days) < 6:
            return specs
        weekdays_of: dict[int, set[int]] = defaultdict(set)
        for shift in shifts:
            for user_id in shift.user_ids:
                weekdays_of[user_id].add(shift.weekday)
        members = sorted(weekdays_of)
        # One cancelled day (停电检修) in the second half of the past days.
        cancel_day = rng.choice(past_days[len(past_days) // 2 :])
        specs.append(OverrideSpec(cancel_day, "cancel"))
        self.add(
            ShiftOverride(
                semester_id=semester.id,
                on=cancel_day,
                kind=OverrideKind.cancel,
                reason="学院办公楼停电检修，当日停止值班",
                approved_by_id=self.counselor.id,
                created_at=_at(cancel_day - timedelta(days=2), 16),
            )
        )
        candidates = [d for d in base if d.day in set(past_days) and d.day != cancel_day]
        used: set[tuple[int, date]] = set()
        for _ in range(plan.swaps):
            duty = rng.choice(candidates)
            weekday = duty.day.isoweekday()
            takers = [
                u for u in members if weekday not in weekdays_of[u] and (u, duty.day) not in used
            ]
            if not takers or (duty.user_id, duty.day) in used:
                continue
            taker = rng.choice(takers)
            used.update({(taker, duty.day), (duty.user_id, duty.day)})
            specs.append(OverrideSpec(duty.day, "swap", duty.shift_id, taker, duty.user_id))
            self.add(
                ShiftOverride(
                    semester_id=semester.id,
                    on=duty.day,
                    kind=OverrideKind.swap,
                    shift_id=duty.shift_id,
                    user_id=taker,
                    replaced_user_id=duty.user_id,
                    reason=rng.choice(
                        ("与课程时间冲突，申请换班", "参加学院活动，与同学换班", "实验课调课，换班")
                    ),
                    approved_by_id=self.counselor.id,
                    created_at=_at(duty.day - timedelta(days=2), 15, rng.randint(0, 59)),
                )
            )
        # One extra duty arranged in advance (临时任务): an evening at 学工办.
        day = rng.choice([d for d in past_days if d != cancel_day])
        user_id = rng.choice(members)
        self.scheduled_extra = (user_id, day)
        start, end = time(18, 30), time(20, 30)
        specs.append(OverrideSpec(day, "extra", None, user_id, None, start, end, MAIN_PLACE))
        self.add(
            ShiftOverride(
                semester_id=semester.id,
                on=day,
                kind=OverrideKind.extra,
                user_id=user_id,
                start=start,
                end=end,
                place_id=self.main_place.id,
                reason="临时任务：整理奖助学金评审材料",
                approved_by_id=self.counselor.id,
                created_at=_at(day - timedelta(days=1), 11),
            )
        )
        return specs

    def event(
        self,
        data: _SemesterData,
        person: _Person,
        key: tuple,
        action: CheckAction,
        moment: datetime,
        duty: Duty | None,
    ) -> None:
        rng = self.rng
        at = _utc(moment)
        place_id = self.main_place.id
        if duty is not None and duty.place == AID_PLACE:
            place_id = self.aid_place.id
        self.add(
            CheckEvent(
                user_id=person.user.id,
                action=action,
                at=at,
                method=CheckMethod.kiosk if rng.random() < 0.1 else CheckMethod.qr,
                duty_date=duty.day if duty is not None else None,
                shift_id=duty.shift_id if duty is not None else None,
                place_id=place_id,
                source_ip=f"{person.ip_prefix}{rng.randint(2, 254)}",
                device_id=person.device,
                created_at=at,
            )
        )
        if duty is None:
            data.extra_events[person.user.id].append(Event(at, action.value))
        else:
            data.events[key].append(Event(at, action.value))

    def leave(self, data: _SemesterData, person: _Person, duty: Duty, kind: str) -> None:
        rng, counselor = self.rng, self.counselor
        if kind == "leave":
            leave_kind = rng.choice(
                (LeaveKind.personal, LeaveKind.sick, LeaveKind.exam, LeaveKind.official)
            )
            created = _at(duty.day - timedelta(days=1), rng.randint(9, 17), rng.randint(0, 59))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=leave_kind,
                reason=rng.choice(LEAVE_REASONS[leave_kind]),
                status=LeaveStatus.approved,
                created_at=created,
                created_by_id=person.user.id,
                decided_at=created + timedelta(hours=rng.randint(1, 3)),
                decided_by_id=counselor.id,
                decision_reason="同意，已当面说明",
            )
        elif kind == "phone":
            created = _utc(duty.start + timedelta(minutes=rng.randint(30, 120)))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=LeaveKind.phone,
                reason=rng.choice(PHONE_REASONS),
                status=LeaveStatus.approved,
                created_at=created,
                created_by_id=counselor.id,
                decided_at=created,
                decided_by_id=counselor.id,
                decision_reason="突发情况，电话请假，准予",
            )
        else:  # 先斩后奏: the assistant's own request after the start; excuses nothing.
            created = _utc(duty.start + timedelta(minutes=rng.randint(40, 180)))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=LeaveKind.personal,
                reason=XIANZHAN_REASON,
                status=LeaveStatus.pending,
                after_start=True,
                created_at=created,
                created_by_id=person.user.id,
            )
        self.add(request)
        data.leaves[duty.key].append(
            LeaveInfo(request.kind.value, request.status.value, request.after_start)
        )

    def future_leaves(self, data: _SemesterData, duties: list[Duty]) -> None:
        """Two requests for coming duties, waiting for the counselor's decision."""
        rng = self.rng
        coming = [
            d
            for d in duties
            if self.today < d.day <= self.today + timedelta(days=10) and d.shift_id is not None
        ]
        by_user = {p.user.id: p for p in data.members if p is not self.new[-1]}
        seen: set[int] = set()
        for duty in rng.sample(coming, min(len(coming), 6)):
            if duty.user_id in seen or duty.user_id not in by_user or len(seen) == 2:
                continue
            seen.add(duty.user_id)
            leave_kind = rng.choice((LeaveKind.exam, LeaveKind.official, LeaveKind.sick))
            self.add(
                LeaveRequest(
                    user_id=duty.user_id,
                    duty_date=duty.day,
                    shift_id=duty.shift_id,
                    kind=leave_kind,
                    reason=rng.choice(LEAVE_REASONS[leave_kind]),
                    status=LeaveStatus.pending,
                    created_at=_at(self.today - timedelta(days=1), 20, rng.randint(0, 59)),
                    created_by_id=duty.user_id,
                )
            )

    def extra_duties(
        self,
        data: _SemesterData,
        plan: _Plan,
        past_days: list[date],
        worked_days: dict[int, set[date]],
    ) -> None:
        """加班: unscheduled evening sign-in/out (no shift at that time), with a work record."""
        rng = self.rng
        people = [p for p in data.members if worked_days.get(p.user.id) and p is not self.new[-1]]
        if not past_days or not people:
            return
        for person in rng.sample(people, min(plan.extras, len(people))):
            day = rng.choice(past_days)
            if (person.user.id, day) == self.scheduled_extra:
                continue
            sign_in = datetime.combine(day, time(18, 40), tzinfo=LOCAL_TZ) + timedelta(
                minutes=rng.randint(0, 20), seconds=rng.randint(0, 59)
            )
            sign_out = sign_in + timedelta(minutes=rng.randint(75, 140))
            self.event(data, person, (), CheckAction.sign_in, sign_in, None)
            self.event(data, person, (), CheckAction.sign_out, sign_out, None)
            self.add(
                WorkRecord(
                    user_id=person.user.id,
                    duty_date=day,
                    content="加班：" + self.task_text(1),
                    created_at=_utc(sign_out),
                )
            )
            data.records[person.user.id] += 1
            data.by_kind["extra"].append(person.user.id)

    def summaries(
        self, data: _SemesterData, complete: bool, worked_days: dict[int, set[date]]
    ) -> None:
        """Weekly summaries (周总结) for most completed weeks; a few daily ones (小结)."""
        rng = self.rng
        weeks: dict[int, Counter] = defaultdict(Counter)
        for duty in data.duties:
            weeks[duty.user_id][_monday(duty.day)] += 1
        for person in data.members:
            user_id = person.user.id
            rate = min(1.0, 0.8 + 0.35 * person.quality)
            for monday, count in sorted(weeks[user_id].items()):
                sunday = monday + timedelta(days=6)
                if (not complete and sunday >= self.today) or rng.random() > rate:
                    continue
                text = (
                    f"本周值班 {count} 次。主要工作：{self.task_text(2)}{rng.choice(REFLECTIONS)}"
                )
                self.add(
                    Summary(
                        user_id=user_id,
                        kind=SummaryKind.weekly,
                        period_start=monday,
                        content=text,
                        created_at=_at(min(sunday, self.today), 21, rng.randint(0, 59)),
                    )
                )
            candidates = sorted(worked_days.get(user_id, ()))
            if candidates and rng.random() < 0.3:
                for day in rng.sample(candidates, min(2, len(candidates))):
                    self.add(
                        Summary(
                            user_id=user_id,
                            kind=SummaryKind.daily,
                            period_start=day,
                            content=f"今日小结：{self.task_text(1)}{rng.choice(REFLECTIONS)}",
                            created_at=_at(day, 22, rng.randint(0, 59)),
                        )
                    )

    # -- meetings and trainings --------------------------------------------------------------

    def meeting(
        self,
        data: _SemesterData,
        held_on: date,
        topic: str,
        minutes: str,
        *,
        absent: _Person | None = None,
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

    def training(self, data: _SemesterData, held_on: date, topic: str, organizer: str) -> None:
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

    def minutes(self, data: _SemesterData, items: Sequence[str]) -> str:
        lines = [f"主持：王老师　记录：{self.leader.user.name}", "会议内容："]
        lines += [f"{i}. {item}" for i, item in enumerate(items, start=1)]
        lines.append("会议要求：严格执行签到签退制度，不得先斩后奏；按时提交周总结。")
        return "\n".join(lines)

    def meetings_and_trainings(self, prev: _SemesterData, cur: _SemesterData) -> None:
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

    # -- previous semester: evaluation, assessment, stipend ----------------------------------

    def assess_previous(self, data: _SemesterData) -> None:
        """Evaluations, then the published assessment and paid stipends from ``build_report``.

        The grades are the report's (the same code as every page and ``export-report``), so
        the demo cannot drift from the product's own rules.
        """
        rng, counselor = self.rng, self.counselor
        semester = data.semester
        # Everyone with a duty or an extra duty in the term is assessed (the resigned had none).
        on_duty = {duty.user_id for duty in data.duties} | {
            user_id for user_id, events in data.extra_events.items() if events
        }
        assessed = [p for p in data.members if p.user.id in on_duty]
        evaluated_at = _at(semester.end - timedelta(days=3), 15)
        for person in assessed:
            score = round(min(20.0, max(8.0, 9 + 9 * person.quality + rng.uniform(-1, 1))), 1)
            self.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=person.user.id,
                    rater_id=counselor.id,
                    kind=EvaluationKind.counselor,
                    score=score,
                    comment="工作认真负责" if score >= 17 else "能完成交办任务",
                    created_at=evaluated_at,
                )
            )
            mates = [p for p in assessed if p is not person]
            for rater in rng.sample(mates, min(5, len(mates))):
                peer = round(
                    min(10.0, max(5.0, 5 + 4 * person.quality + rng.uniform(-0.8, 0.8))), 1
                )
                self.add(
                    Evaluation(
                        semester_id=semester.id,
                        subject_id=person.user.id,
                        rater_id=rater.user.id,
                        kind=EvaluationKind.peer,
                        score=peer,
                        created_at=evaluated_at,
                    )
                )
        failed = self.not_rehired[1]
        self.add(
            CourseFailure(
                user_id=failed.user.id,
                semester_id=semester.id,
                course="数学分析（三）" if failed.user.degree_level == "本科生" else "泛函分析",
                recorded_on=semester.end - timedelta(days=5),
                by_id=counselor.id,
            )
        )
        self.session.flush()

        # Published at the end of term: missing evaluations would count 0, not be scaled out.
        computed = min(_at(semester.end + timedelta(days=5), 10), _at(self.today, 0))
        as_of = _at(semester.end + timedelta(days=1), 12)
        report = build_report(self.session, semester, as_of, estimate=False)
        members = {m.user_id: m for m in report.members}
        missing = sorted(p.user.username for p in assessed if p.user.id not in members)
        if missing:  # the demo's appointments and the report disagree: a bug, say whose
            raise RuntimeError(f"demo members the report does not assess: {missing}")
        semester.finalized_at = computed
        grades: Counter = Counter()
        for person in assessed:
            member = members[person.user.id]
            result = member.assessment
            grades[member.final_grade] += 1
            self.add(
                Assessment(
                    semester_id=semester.id,
                    user_id=person.user.id,
                    attendance_score=result.attendance,
                    records_score=result.records,
                    meetings_score=result.meetings,
                    counselor_score=result.counselor,
                    peer_score=result.peer,
                    total=result.total,
                    grade=Grade(result.grade),
                    reasons="；".join(result.reasons),
                    published=True,
                    computed_at=computed,
                )
            )
        self.previous_grades = {GRADE_LABELS[g]: grades[g.value] for g in Grade}

        # 嘉奖 for the best of the term, paid with the stipend.
        best = max(assessed, key=lambda p: (members[p.user.id].assessment.total, -p.user.id))
        self.add(
            Commendation(
                user_id=best.user.id,
                semester_id=semester.id,
                on=semester.end - timedelta(days=7),
                reason="迎新及奖助学金评审期间主动加班，工作表现突出",
                bonus=Decimal("200"),
                by_id=counselor.id,
            )
        )
        self.session.flush()
        # Read again so the bonus is in the best one's stipend exactly as the report adds it.
        report = build_report(self.session, semester, as_of, estimate=False)
        members = {m.user_id: m for m in report.members}
        paid_at = min(_at(semester.end + timedelta(days=20), 10), _at(self.today, 0))
        rate = Decimal(str(report.attendance.settings.hourly_rate))
        for person in assessed:
            user_id = person.user.id
            stipend = members[user_id].stipend
            common = {
                "semester_id": semester.id,
                "user_id": user_id,
                "rate": rate,
                "grade_factor": stipend.factor,
                "status": StipendStatus.paid,
                "approved_by_id": counselor.id,
                "paid_at": paid_at,
            }
            self.add(
                Stipend(
                    month="",
                    hours=stipend.hours,
                    bonus=stipend.bonus,
                    amount=stipend.amount,
                    **common,
                )
            )
            for month, (_credited, capped) in stipend.monthly.items():
                self.add(
                    Stipend(
                        month=month,
                        hours=capped,
                        bonus=Decimal("0"),
                        amount=_cents(capped * common["rate"] * stipend.factor),
                        **common,
                    )
                )

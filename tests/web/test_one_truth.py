"""One truth (issue 10): late, absence, missed sign-out and 先斩后奏 agree on every page.

The door's answer, /me, the 团长's today list, the dashboard callbacks, the workbook and the
assessment inputs all read one summary of the read model; these tests read each of them the
way a person sees it (pages parsed, callbacks called, the xlsx opened) and compare.
"""

from __future__ import annotations

import csv
import importlib
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import data.report as report_module
from checkin.door.tokens import make_poster_token
from data.demo import ASSISTANT_PASSWORD, LEADER_USERNAME
from data.export import report_frames
from data.importers import EVENT_COLUMNS, ROSTER_COLUMNS, SCHEDULE_COLUMNS
from data.models import (
    CheckAction,
    CheckEvent,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Place,
    Semester,
    Shift,
    User,
)
from data.policy.classify import classify_duty, counts_late, summarize
from data.policy.duties import non_duty_days
from data.policy.settings import PolicySettings
from data.policy.types import IN_PROGRESS, UPCOMING, Duty, DutyOutcome, Event
from data.report import build_report
from data.timeutil import LOCAL_TZ, local_today, to_local
from data.xlsx import write_workbook
from tests.conftest import DEMO_NOW, DEMO_TODAY, TEST_DATABASE_URL, csrf_token
from tests.dash_helpers import logged_in, texts
from tests.web.test_dashboard_today import rows_of
from web import get_session

pytestmark = pytest.mark.db


@dataclass(frozen=True)
class Counts:
    """What one view says about one person; None where the view does not show that number."""

    late: int | None = None
    absent: int | None = None
    missed: int | None = None
    after_start: int | None = None

    def agrees_with(self, truth: Counts) -> bool:
        return all(
            mine is None or mine == theirs
            for mine, theirs in (
                (self.late, truth.late),
                (self.absent, truth.absent),
                (self.missed, truth.missed),
                (self.after_start, truth.after_start),
            )
        )


@dataclass
class Snapshot:
    """Every view of one database at one moment, per 学号."""

    truth: dict[str, Counts]  # the report (build_report) everyone should agree with
    views: dict[str, dict[str, Counts]] = field(default_factory=lambda: defaultdict(dict))
    today_marks: dict[str, int] = field(default_factory=dict)  # late marks in the today list
    today_lates: dict[str, int] = field(default_factory=dict)  # today's lates in the report
    ids: dict[str, int] = field(default_factory=dict)


def _login(client, username: str, password: str = ASSISTANT_PASSWORD) -> None:
    """Log in as an assistant (demo password by default), unless this client already is."""
    login = client.get("/login")
    if login.status_code != 200:
        return  # already logged in: /login redirects
    client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(login.get_data(as_text=True)),
        },
    )


def page(name: str):
    return importlib.import_module(f"dashboard.pages.{name}")


def find(component, component_id: str):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            hit = find(child, component_id)
            if hit is not None:
                return hit
    elif children is not None and not isinstance(children, str | int | float):
        return find(children, component_id)
    return None


def _grab(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def from_reasons(text: str) -> Counts:
    """The counts a warning's reasons state (a count below its trigger is not mentioned: 0)."""
    return Counts(
        late=_grab(r"已迟到 (\d+) 次", text),
        absent=_grab(r"已缺勤 (\d+) 次", text),
        missed=_grab(r"漏签退 (\d+) 次", text),
        after_start=_grab(r"先斩后奏请假 (\d+) 次", text),
    )


def semester_id_of(app) -> int:
    with app.app_context():
        return get_session().scalar(
            select(Semester.id).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
        )


def snapshot(
    app, workdir: Path, semester_id: int | None = None, leader: str = LEADER_USERNAME
) -> Snapshot:
    """Read every team-wide view once: report, assessment inputs, 考勤, 预警, workbook.

    By default the demo's current semester, read as its 团长.
    """
    semester_id = semester_id if semester_id is not None else semester_id_of(app)
    inputs = []
    original = report_module.assess

    def spy(inp, settings):
        inputs.append(inp)
        return original(inp, settings)

    with logged_in(app, leader), pytest.MonkeyPatch.context() as patch:
        session = get_session()
        moment = app.config["CLOCK"]()
        semester = session.get(Semester, semester_id)
        patch.setattr(report_module, "assess", spy)
        report = build_report(session, semester, moment)
        patch.undo()
        snap = Snapshot(
            truth={
                m.username: Counts(
                    m.attendance.late,
                    m.attendance.absent,
                    m.attendance.missed_sign_out,
                    dict((k, n) for k, n, _ in m.warning.evidence).get("after_start_leave", 0),
                )
                for m in report.members
            },
            ids={m.username: m.user_id for m in report.members},
        )
        # build_report assesses its members in order, one input each.
        assert len(inputs) == len(report.members)
        for m, inp in zip(report.members, inputs, strict=True):
            snap.views["assessment inputs"][m.username] = Counts(
                inp.late, inp.absent, inp.missed_sign_out
            )
            snap.views["report warning"][m.username] = from_reasons("；".join(m.warning.reasons))

        today = local_today(moment)
        for m in report.members:
            snap.today_lates[m.username] = sum(
                1
                for o in report.attendance.outcomes
                if o.duty.user_id == m.user_id and o.duty.day == today and counts_late(o)
            )

        body = page("attendance").render_attendance(semester_id)
        for row in find(body, "attendance-grid").rowData:
            snap.views["考勤 grid"][row["学号"]] = Counts(row["迟到"], row["缺勤"], row["漏签退"])
        marks: dict[str, int] = defaultdict(int)
        for row in rows_of(page("today").render_today(semester_id, None)):
            username = row.children[0].children[1].children  # the 学号 beside the name
            marks[username] += "迟到" in texts(row)
        snap.today_marks = {u: marks.get(u, 0) for u in snap.truth}

        warnings = page("warnings")
        body = warnings.render_warnings(semester_id)
        grid = find(body, "warnings-grid")
        listed = {r["学号"]: r["原因"] for r in (grid.rowData if grid is not None else [])}
        leaves = find(body, "warnings-leaves")
        leave_rows = [r["学号"] for r in (leaves.rowData if leaves is not None else [])]
        for username, user_id in snap.ids.items():
            snap.views["预警 list"][username] = from_reasons(listed.get(username, ""))
            snap.views["先斩后奏 table"][username] = Counts(after_start=leave_rows.count(username))
            _open, _title, content = warnings.show_evidence({"rowId": str(user_id)}, semester_id)
            summary = texts(content.children[0]) if hasattr(content, "children") else ""
            snap.views["预警 evidence"][username] = Counts(
                late=_grab(r"(?:^|，)迟到 (\d+) 次", summary),
                absent=_grab(r"(?:^|，)缺勤 (\d+) 次", summary),
                missed=_grab(r"(?:^|，)漏签退 (\d+) 次", summary),
                after_start=_grab(r"(?:^|，)先斩后奏 (\d+) 次", summary),
            )

    path = workdir / "report.xlsx"
    write_workbook(report_frames(report), path)
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = list(book["考勤汇总"].iter_rows(values_only=True))
    head = sheet[0]
    for row in sheet[1:]:
        cells = dict(zip(head, row, strict=True))
        snap.views["workbook 考勤汇总"][str(cells["学号"])] = Counts(
            cells["迟到"], cells["缺勤"], cells["漏签退"]
        )
    warned = {str(r[0]): r[3] or "" for r in list(book["预警"].iter_rows(values_only=True))[1:]}
    for username in snap.truth:
        snap.views["workbook 预警"][username] = from_reasons(warned.get(username, ""))
    book.close()
    return snap


def me_counts(client, username: str, password: str = ASSISTANT_PASSWORD) -> Counts:
    """/me as the assistant sees it, parsed."""
    _login(client, username, password)
    html = client.get("/me").get_data(as_text=True)
    late = re.search(r'id="late-count">(.*?)</div>', html, re.S)
    assert late, f"/me of {username} shows no late count"
    line = re.sub(r"<[^>]+>", "", late.group(1)).strip()
    assert re.fullmatch(r"已迟到 \d+ 次（\d+ 次即不合格）", line), line

    def number(element_id: str) -> int:
        return int(re.search(rf'id="{element_id}">(\d+)<', html).group(1))

    return Counts(
        late=int(re.search(r"已迟到 (\d+) 次", line).group(1)),
        absent=number("count-absent"),
        missed=number("count-missed"),
        after_start=number("count-after-start"),
    )


def assert_all_agree(snap: Snapshot, username: str, me: Counts | None = None) -> None:
    truth = snap.truth[username]
    seen = {name: view[username] for name, view in snap.views.items()}
    if me is not None:
        seen["/me"] = me
    wrong = {name: c for name, c in seen.items() if not c.agrees_with(truth)}
    assert not wrong, f"{username}: report says {truth}, but {wrong}"
    assert snap.today_marks[username] == snap.today_lates[username], username


# ---------------------------------------------------------------- every demo assistant


@pytest.fixture(scope="module")
def demo_snapshot(_demo_template, tmp_path_factory):
    """The demo as of DEMO_NOW, read through every view once for the whole module."""
    if _demo_template is None:
        pytest.skip("the module-wide snapshot copies the SQLite demo template")
    from app import create_app

    workdir = tmp_path_factory.mktemp("one-truth")
    path = workdir / "demo.db"
    shutil.copy(_demo_template, path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "test-secret-key",
            "CLOCK": lambda: DEMO_NOW,
        }
    )
    yield app, snapshot(app, workdir)
    app.extensions["zhuguantong.db"].dispose()


# The demo's assistants in post this semester (its seed is fixed); the guard test below fails
# with a clear message when the demo grows, so nobody drops out of the comparison unnoticed.
DEMO_MEMBERS = 39


@pytest.mark.parametrize("index", range(DEMO_MEMBERS))
def test_every_view_agrees_for_each_demo_assistant(demo_snapshot, index):
    app, snap = demo_snapshot
    username = sorted(snap.truth)[index]
    assert_all_agree(snap, username, me_counts(app.test_client(), username))


def test_the_demo_exercises_the_counts(demo_snapshot):
    """Guard: the parametrized test above compares something other than zeros."""
    _app, snap = demo_snapshot
    assert len(snap.truth) == DEMO_MEMBERS, "update DEMO_MEMBERS to the demo's size"
    assert sum(c.late for c in snap.truth.values()) > 0
    assert sum(c.absent for c in snap.truth.values()) > 0
    assert sum(c.missed for c in snap.truth.values()) > 0
    assert sum(c.after_start for c in snap.truth.values()) > 0


# ---------------------------------------------------------------- a semester scripted via the CLI

# A semester brought onto the system the way an outside user would: only `flask` commands and
# the SPEC §6 file formats. Tuesday noon, mid-semester, with duties done and under way today.
SCRIPTED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)
SCRIPTED_SEMESTER = ("2026秋季学期", date(2026, 9, 7), date(2027, 1, 15))
SCRIPTED_PASSWORD = "scripted-2026"
SCRIPTED_LEADER = "2026001"
LATE_APPOINTED, APPOINTED_ON = "2026107", date(2026, 10, 19)
LATE_AND_MISSED, LATE_AND_MISSED_DAY = "2026104", date(2026, 10, 28)

# 学号 → (姓名, 角色, weekly shifts as (星期, 开始, 结束)); one place, 值班室.
SCRIPTED_PEOPLE: dict[str, tuple[str, str, tuple[tuple[int, str, str], ...]]] = {
    "2026001": ("林团长", "团长", ((1, "08:00", "10:00"),)),
    "2026101": ("王一", "助管", ((1, "10:00", "12:00"), (4, "14:00", "16:00"))),
    "2026102": ("李二", "助管", ((2, "11:00", "13:00"),)),
    "2026103": ("张三", "助管", ((3, "08:00", "10:00"),)),
    "2026104": ("赵四", "助管", ((3, "14:00", "16:00"),)),
    "2026105": ("钱五", "助管", ((4, "08:00", "10:00"),)),
    "2026106": ("孙六", "助管", ((5, "08:00", "10:00"),)),
    "2026107": ("周七", "助管", ((1, "14:00", "16:00"),)),  # appointed only from APPOINTED_ON
    "2026108": ("吴八", "助管", ((2, "09:00", "10:30"),)),
}

# The deviations from "signed in 5 minutes early, out 2 minutes late": (学号, day) → that
# duty's events as (动作, HH:MM); () is no event at all.
SCRIPT: dict[tuple[str, date], tuple[tuple[str, str], ...]] = {
    ("2026102", date(2026, 9, 15)): (("签到", "11:12"), ("签退", "13:01")),  # late
    ("2026102", date(2026, 10, 20)): (("签到", "11:07"), ("签退", "13:01")),  # late
    ("2026102", date(2026, 11, 24)): (("签到", "11:20"),),  # late today, under way at noon
    ("2026103", date(2026, 9, 16)): (),  # absent
    ("2026103", date(2026, 10, 14)): (("签到", "08:09"), ("签退", "10:01")),  # late
    ("2026103", date(2026, 11, 11)): (),  # absent
    ("2026104", LATE_AND_MISSED_DAY): (("签到", "14:15"),),  # late and never signed out
    ("2026105", date(2026, 10, 15)): (("签到", "07:55"), ("签退", "09:30")),  # early sign-out
    ("2026105", date(2026, 11, 5)): (("签到", "07:56"),),  # on time, never signed out
    ("2026106", date(2026, 11, 13)): (),  # absent; asks for leave afterwards (先斩后奏)
    # Before the appointment: no event, and a late sign-in; neither may count against him.
    ("2026107", date(2026, 9, 7)): (),
    ("2026107", date(2026, 9, 21)): (("签到", "14:20"), ("签退", "16:02")),
    ("2026107", date(2026, 9, 28)): (),
    ("2026107", date(2026, 11, 9)): (("签到", "14:10"), ("签退", "16:01")),  # late, in post
    ("2026108", date(2026, 11, 24)): (("签到", "09:10"), ("签退", "10:31")),  # late today, done
}

# What the script means, by SPEC §3: late (today's included), absent, missed, 先斩后奏.
SCRIPTED_EXPECTED = {
    "2026001": Counts(0, 0, 0, 0),
    "2026101": Counts(0, 0, 0, 0),  # only a cancelled 先斩后奏
    "2026102": Counts(3, 0, 0, 0),
    "2026103": Counts(1, 2, 0, 0),
    "2026104": Counts(1, 0, 1, 0),
    "2026105": Counts(0, 0, 1, 0),
    "2026106": Counts(0, 1, 0, 1),
    "2026107": Counts(1, 0, 0, 0),
    "2026108": Counts(1, 0, 0, 0),
}


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> Path:
    # UTF-8 with BOM, as Excel in China saves a CSV.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _roster_rows(usernames: list[str]) -> list[list[str]]:
    rows = []
    for username in usernames:
        name, role, _shifts = SCRIPTED_PEOPLE[username]
        values = dict.fromkeys(ROSTER_COLUMNS, "") | {
            "学号": username,
            "姓名": name,
            "角色": role,
            "家庭经济困难": "否",
            "岗位": "值班",
        }
        rows.append([values[column] for column in ROSTER_COLUMNS])
    return rows


def _scripted_events() -> list[list[str]]:
    """Every scheduled duty up to now, as SCRIPT says or on time; the 调休 calendar is China's."""
    _name, start, _end = SCRIPTED_SEMESTER
    today = SCRIPTED_NOW.date()
    days_off = non_duty_days(start, today)
    rows = []
    for username, (_name, _role, shifts) in SCRIPTED_PEOPLE.items():
        for weekday, begin, finish in shifts:
            first = start + timedelta(days=(weekday - 1 - start.weekday()) % 7)
            for day in (first + timedelta(weeks=n) for n in range(20)):
                if day > today or day in days_off:
                    continue
                scripted = SCRIPT.get((username, day))
                if scripted is None:
                    if day == today:
                        continue  # today's duties happen only as scripted
                    at = datetime.combine(day, time.fromisoformat(begin))
                    until = datetime.combine(day, time.fromisoformat(finish))
                    scripted = (
                        ("签到", f"{at - timedelta(minutes=5):%H:%M}"),
                        ("签退", f"{until + timedelta(minutes=2):%H:%M}"),
                    )
                rows += [[username, f"{day} {clock}", action] for action, clock in scripted]
    return sorted(rows, key=lambda r: r[1])


def _shift_id(session, semester_id: int, username: str, index: int = 0) -> int:
    weekday, begin, _end = SCRIPTED_PEOPLE[username][2][index]
    return session.scalar(
        select(Shift.id).where(
            Shift.semester_id == semester_id,
            Shift.weekday == weekday,
            Shift.start == time.fromisoformat(begin),
        )
    )


@pytest.fixture(scope="module")
def scripted(_migrated, tmp_path_factory):
    """The scripted semester as of SCRIPTED_NOW: (app, semester id, snapshot of every view)."""
    if TEST_DATABASE_URL:
        pytest.skip("the module-wide scripted semester copies the migrated SQLite template")
    from app import create_app

    workdir = tmp_path_factory.mktemp("scripted")
    path = workdir / "scripted.db"
    shutil.copy(_migrated, path)  # migrated and empty: no team, no user
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "test-secret-key",
            "CLOCK": lambda: SCRIPTED_NOW,
        }
    )
    runner = app.test_cli_runner()

    def cli(*args: object) -> str:
        result = runner.invoke(args=[str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.output

    name, start, end = SCRIPTED_SEMESTER
    cli("create-semester", name, start, end)
    first = [u for u in SCRIPTED_PEOPLE if u != LATE_APPOINTED]
    roster = _write_csv(workdir / "roster.csv", ROSTER_COLUMNS, _roster_rows(first))
    out = cli(
        "import-roster",
        roster,
        "--semester",
        name,
        "--from",
        start,
        "--passwords-file",
        workdir / "passwords.csv",
    )
    assert f"{len(first)} 人自 {start} 起上岗" in out, out
    late = _write_csv(workdir / "roster-late.csv", ROSTER_COLUMNS, _roster_rows([LATE_APPOINTED]))
    out = cli(
        "import-roster",
        late,
        "--semester",
        name,
        "--from",
        APPOINTED_ON,
        "--passwords-file",
        workdir / "passwords-late.csv",
    )
    assert f"1 人自 {APPOINTED_ON} 起上岗" in out, out

    # He is on the schedule from the start, but in post only from APPOINTED_ON.
    schedule = [
        [username, weekday, begin, finish, "值班室"]
        for username, (_n, _r, shifts) in SCRIPTED_PEOPLE.items()
        for weekday, begin, finish in shifts
    ]
    out = cli(
        "import-schedule", name, _write_csv(workdir / "schedule.csv", SCHEDULE_COLUMNS, schedule)
    )
    assert f"自 {start} 起生效" in out, out

    rows = _scripted_events()
    events = _write_csv(workdir / "events.csv", EVENT_COLUMNS, rows)
    out = cli("import-events", events)
    assert f"新增 {len(rows)} 条" in out, out

    database = app.extensions["zhuguantong.db"]

    def stored() -> list[tuple]:
        with database.session() as s:
            query = select(
                CheckEvent.user_id,
                CheckEvent.action,
                CheckEvent.at,
                CheckEvent.duty_date,
                CheckEvent.shift_id,
            ).order_by(CheckEvent.id)
            return [tuple(r) for r in s.execute(query)]

    before = stored()
    out = cli("import-events", events)  # SPEC §7: importing the same events twice changes nothing
    assert "新增 0 条" in out and f"已存在 {len(rows)} 条" in out, out
    assert stored() == before

    with database.session() as s:
        semester_id = s.scalar(select(Semester.id).where(Semester.name == name))
        users = {u.username: u for u in s.scalars(select(User))}
        assert set(users) == set(SCRIPTED_PEOPLE)
        initial = {
            row[0]: row[2]
            for f in ("passwords.csv", "passwords-late.csv")
            for row in list(csv.reader((workdir / f).read_text("utf-8-sig").splitlines()))[1:]
        }
        for user in users.values():
            # Imported accounts must change their initial password at first login; the test
            # stands for that step by setting a known password and clearing the flag here.
            assert user.must_change_password and user.check_password(initial[user.username])
            user.set_password(SCRIPTED_PASSWORD)
            user.must_change_password = False
        # There is no command for leave: the requests an assistant would make at /me.
        asked = datetime(2026, 11, 13, 8, 30, tzinfo=LOCAL_TZ)
        s.add(
            LeaveRequest(
                user_id=users["2026106"].id,
                duty_date=asked.date(),
                shift_id=_shift_id(s, semester_id, "2026106"),
                kind=LeaveKind.personal,
                reason="早上起晚了",
                status=LeaveStatus.pending,
                after_start=True,
                created_at=asked,
            )
        )
        cancelled = datetime(2026, 11, 19, 14, 30, tzinfo=LOCAL_TZ)
        s.add(
            LeaveRequest(
                user_id=users["2026101"].id,
                duty_date=cancelled.date(),
                shift_id=_shift_id(s, semester_id, "2026101", 1),
                kind=LeaveKind.personal,
                reason="临时有事",
                status=LeaveStatus.cancelled,
                after_start=True,
                created_at=cancelled,
            )
        )

    yield app, semester_id, snapshot(app, workdir, semester_id, SCRIPTED_LEADER)
    database.dispose()


@pytest.mark.parametrize("username", sorted(SCRIPTED_PEOPLE))
def test_every_view_agrees_for_each_scripted_assistant(scripted, username):
    app, _semester_id, snap = scripted
    me = me_counts(app.test_client(), username, SCRIPTED_PASSWORD)
    assert_all_agree(snap, username, me)


def test_the_scripted_semester_reads_as_scripted(scripted):
    """Guard: lates, absences, missed sign-outs, late+missed and 先斩后奏 are all there."""
    app, semester_id, snap = scripted
    assert snap.truth == SCRIPTED_EXPECTED
    assert sum(c.late for c in snap.truth.values()) > 0
    assert sum(c.absent for c in snap.truth.values()) > 0
    assert sum(c.missed for c in snap.truth.values()) > 0
    assert sum(c.after_start for c in snap.truth.values()) > 0
    assert snap.today_lates == {"2026102": 1, "2026108": 1} | {
        u: 0 for u in SCRIPTED_PEOPLE if u not in ("2026102", "2026108")
    }
    early = {o.duty.day: o.status for o in _scripted_outcomes(app, semester_id, "2026105")}
    assert early[date(2026, 10, 15)] == "early"


def _scripted_outcomes(app, semester_id: int, username: str) -> list[DutyOutcome]:
    with app.app_context():
        session = get_session()
        report = build_report(session, session.get(Semester, semester_id), SCRIPTED_NOW)
        user_id = next(m.user_id for m in report.members if m.username == username)
        return [o for o in report.attendance.outcomes if o.duty.user_id == user_id]


def test_nothing_is_expected_before_the_appointment(scripted):
    app, semester_id, snap = scripted
    truth = snap.truth[LATE_APPOINTED]
    # On the schedule from 9/7, absent on two Mondays and late once before 10/19: none counts.
    assert (truth.late, truth.absent) == (1, 0)
    outcomes = _scripted_outcomes(app, semester_id, LATE_APPOINTED)
    early = [o for o in outcomes if o.duty.day < APPOINTED_ON]
    assert all(o.duty.extra for o in early), [(o.duty.day, o.status) for o in early]
    assert [o.duty.day for o in outcomes if counts_late(o)] == [date(2026, 11, 9)]
    me = me_counts(app.test_client(), LATE_APPOINTED, SCRIPTED_PASSWORD)
    assert (me.late, me.absent) == (1, 0)


def test_the_late_duty_never_signed_out_counts_in_both(scripted):
    app, semester_id, snap = scripted
    truth = snap.truth[LATE_AND_MISSED]
    assert (truth.late, truth.missed, truth.absent) == (1, 1, 0)
    (outcome,) = (
        o
        for o in _scripted_outcomes(app, semester_id, LATE_AND_MISSED)
        if o.duty.day == LATE_AND_MISSED_DAY
    )
    assert (outcome.status, outcome.late_minutes) == ("missed_sign_out", 15)
    client = app.test_client()
    assert me_counts(client, LATE_AND_MISSED, SCRIPTED_PASSWORD) == truth
    assert "迟到+漏签退" in client.get("/me").get_data(as_text=True)


# ---------------------------------------------------------------- the door, today


def _poster_url(app, place: Place) -> str:
    return f"/checkin/door?t={make_poster_token(app.secret_key, place.id, place.poster_version)}"


def test_a_late_sign_in_counts_at_once_everywhere(demo_app, tmp_path):
    """The door's answer, /me, the today list and every view agree right after a late sign-in."""
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id_of(demo_app))
        report = build_report(session, semester, DEMO_NOW)
        members = {m.user_id: m for m in report.members}
        duty = next(
            o.duty
            for o in sorted(report.attendance.outcomes, key=lambda o: o.duty.start)
            if o.status == UPCOMING and o.duty.day == DEMO_TODAY and o.duty.user_id in members
        )
        member = members[duty.user_id]
        place = session.scalar(select(Place).where(Place.team_id == semester.team_id))
        before = member.attendance.late
        url = _poster_url(demo_app, place)
    moment = duty.start + timedelta(minutes=12)
    demo_app.config["CLOCK"] = lambda: moment

    client = demo_app.test_client()
    client.get(url)
    _login(client, member.username)
    door = client.get("/checkin/door").get_data(as_text=True)
    answer = client.post(
        "/checkin/door",
        data={"action": "sign_in", "csrf_token": csrf_token(door)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "迟到 12 分钟" in answer
    assert f"本学期已迟到 {before + 1} 次（3 次即不合格）" in answer

    snap = snapshot(demo_app, tmp_path)
    assert snap.truth[member.username].late == before + 1
    assert snap.today_lates[member.username] == 1
    assert_all_agree(snap, member.username, me_counts(client, member.username))
    html = client.get("/me").get_data(as_text=True)
    assert "迟到+进行中" in html and "迟到 12 分钟" in html


def test_a_late_duty_missing_its_sign_out_counts_in_both(demo_app, tmp_path):
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id_of(demo_app))
        report = build_report(session, semester, DEMO_NOW)
        members = {m.user_id: m for m in report.members}
        absent = next(
            o
            for o in report.attendance.outcomes
            if o.status == "absent" and o.duty.user_id in members and not o.duty.extra
        )
        member = members[absent.duty.user_id]
        before = snapshot(demo_app, tmp_path).truth[member.username]
        session.add(
            CheckEvent(
                user_id=member.user_id,
                action=CheckAction.sign_in,
                at=absent.duty.start + timedelta(minutes=20),
                duty_date=absent.duty.day,
                shift_id=absent.duty.shift_id,
            )
        )
        session.commit()
        after_report = build_report(session, semester, DEMO_NOW)
        outcome = next(o for o in after_report.attendance.outcomes if o.duty.key == absent.duty.key)
        assert outcome.status == "missed_sign_out" and outcome.late_minutes == 20
    snap = snapshot(demo_app, tmp_path)
    truth = snap.truth[member.username]
    assert (truth.late, truth.absent, truth.missed) == (
        before.late + 1,
        before.absent - 1,
        before.missed + 1,
    )
    client = demo_app.test_client()
    assert_all_agree(snap, member.username, me_counts(client, member.username))
    html = client.get("/me").get_data(as_text=True)
    assert "迟到+漏签退" in html


def test_a_cancelled_after_start_request_counts_nowhere(demo_app, tmp_path):
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id_of(demo_app))
        report = build_report(session, semester, DEMO_NOW)
        member = next(
            m
            for m in report.members
            if not m.warning.level
            and any(
                o.duty.user_id == m.user_id and o.status == "normal"
                for o in report.attendance.outcomes
            )
        )
        worked = next(
            o
            for o in report.attendance.outcomes
            if o.duty.user_id == member.user_id and o.status == "normal"
        )
        session.add(
            LeaveRequest(
                user_id=member.user_id,
                duty_date=worked.duty.day,
                shift_id=worked.duty.shift_id,
                kind=LeaveKind.personal,
                reason="临时有事",
                status=LeaveStatus.cancelled,
                after_start=True,
                created_at=worked.duty.start + timedelta(minutes=30),
            )
        )
        session.commit()
    snap = snapshot(demo_app, tmp_path)
    assert snap.truth[member.username].after_start == 0
    assert_all_agree(snap, member.username, me_counts(demo_app.test_client(), member.username))
    with logged_in(demo_app, LEADER_USERNAME):
        body = page("warnings").render_warnings(semester_id_of(demo_app))
        grid = find(body, "warnings-grid")
        listed = {r["学号"] for r in (grid.rowData if grid is not None else [])}
    assert member.username not in listed  # the warning level did not move either


def test_stale_tab_after_sign_in_is_told_it_is_done(demo_app):
    """A second submit from an old tab answers "已签到（hh:mm）", not "请先扫描…"."""
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_id_of(demo_app))
        report = build_report(session, semester, DEMO_NOW)
        members = {m.user_id: m for m in report.members}
        duty = next(
            o.duty
            for o in sorted(report.attendance.outcomes, key=lambda o: o.duty.start)
            if o.status == UPCOMING and o.duty.day == DEMO_TODAY and o.duty.user_id in members
        )
        place = session.scalar(select(Place).where(Place.team_id == semester.team_id))
        url = _poster_url(demo_app, place)
    moment = duty.start - timedelta(minutes=3)
    demo_app.config["CLOCK"] = lambda: moment
    client = demo_app.test_client()
    client.get(url)
    _login(client, members[duty.user_id].username)
    stale = csrf_token(client.get("/checkin/door").get_data(as_text=True))
    first = client.post(
        "/checkin/door", data={"action": "sign_in", "csrf_token": stale}, follow_redirects=True
    )
    assert "准时" in first.get_data(as_text=True)
    again = client.post(
        "/checkin/door", data={"action": "sign_in", "csrf_token": stale}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"已签到（{to_local(moment):%H:%M}）" in again and "请先扫描" not in again
    with demo_app.app_context():
        ins = get_session().scalars(
            select(CheckEvent).where(
                CheckEvent.user_id == duty.user_id, CheckEvent.action == CheckAction.sign_in
            )
        )
        assert [e.duty_date for e in ins].count(DEMO_TODAY) == 1


# ---------------------------------------------------------------- the rule itself (pure)


def _outcome(status: str, late: int = 0, extra: bool = False) -> DutyOutcome:
    day = DEMO_TODAY
    start = datetime.combine(day, time(14, 0), tzinfo=LOCAL_TZ)
    duty = Duty(1, day, None if extra else 1, start, start + timedelta(hours=2), "", extra)
    return DutyOutcome(duty, status, late, 0, 0, start + timedelta(minutes=late))


def test_a_late_sign_in_counts_while_under_way_but_is_not_expected_yet():
    summary = summarize([_outcome(IN_PROGRESS, late=12)])
    assert (summary.late, summary.late_minutes) == (1, 12)
    assert (summary.expected, summary.attended) == (0, 0)
    assert summarize([_outcome(IN_PROGRESS)]).late == 0  # on time so far: nothing


def test_late_and_missed_sign_out_count_once_in_each():
    summary = summarize([_outcome("missed_sign_out", late=20), _outcome("late", late=7)])
    assert (summary.late, summary.missed_sign_out, summary.late_minutes) == (2, 1, 27)
    assert (summary.expected, summary.attended) == (2, 2)


def test_the_engine_gives_late_minutes_to_undecided_and_missed_outcomes():
    rules = PolicySettings()
    start = datetime.combine(DEMO_TODAY, time(14, 0), tzinfo=LOCAL_TZ)
    duty = Duty(1, DEMO_TODAY, 1, start, start + timedelta(hours=2), "")
    signed = [Event(start + timedelta(minutes=9), "sign_in")]
    running = classify_duty(duty, signed, [], None, rules, start + timedelta(minutes=10))
    missed = classify_duty(duty, signed, [], None, rules, start + timedelta(hours=5))
    assert (running.status, running.late_minutes) == (IN_PROGRESS, 9)
    assert (missed.status, missed.late_minutes) == ("missed_sign_out", 9)
    assert counts_late(running) and counts_late(missed)


statuses = st.sampled_from(
    ["normal", "late", "late_early", "early", "absent", "leave", "missed_sign_out"]
    + [UPCOMING, IN_PROGRESS, "extra"]
)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(statuses, st.integers(0, 90)), max_size=12))
def test_late_count_is_the_number_of_late_marks(items):
    outcomes = []
    for status, late in items:
        # The engine never gives minutes to an on-time status; keep the input realistic.
        minutes = late if status in ("late", "late_early", "missed_sign_out", IN_PROGRESS) else 0
        outcomes.append(_outcome(status, minutes, extra=status == "extra"))
    summary = summarize(outcomes)
    assert summary.late == sum(1 for o in outcomes if counts_late(o))
    assert summary.late >= sum(1 for o in outcomes if o.status in ("late", "late_early"))
    # Adding a duty under way with a late sign-in adds one late and nothing expected.
    more = summarize([*outcomes, _outcome(IN_PROGRESS, late=6)])
    assert (more.late, more.expected) == (summary.late + 1, summary.expected)

"""The demo generator (data.demo) and the seed-demo command: determinism, semesters, patterns."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import Database
from data.demo import DEMO_LOGINS, DemoSummary, seed_demo, semester_bounds
from data.migrate import upgrade
from data.models import (
    Appointment,
    AppointmentEvent,
    Assessment,
    CheckAction,
    CheckEvent,
    Commendation,
    CourseFailure,
    Evaluation,
    EvaluationKind,
    Grade,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingAttendance,
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
    Training,
    User,
    WorkRecord,
)
from data.policy.duties import expected_duties, non_duty_days
from data.policy.types import Duty, OverrideSpec, ShiftSpec
from data.timeutil import LOCAL_TZ, local_to_utc

pytestmark = pytest.mark.db

TODAY = date(2026, 11, 24)  # a Tuesday in the autumn term
GRACE = timedelta(minutes=5)
CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _seed(db: Database, today: date = TODAY, seed: int = 2026) -> DemoSummary:
    with db.session() as s:
        return seed_demo(s, seed=seed, today=today)


def _semester(s: Session, name: str) -> Semester:
    return s.scalars(select(Semester).where(Semester.name == name)).one()


def _shifts(s: Session, semester: Semester) -> dict[int, Shift]:
    return {x.id: x for x in s.scalars(select(Shift).where(Shift.semester_id == semester.id))}


def _expected(s: Session, semester: Semester, until: date) -> list[Duty]:
    """The semester's expected duties up to ``until``, straight from the policy engine."""
    places = dict(s.execute(select(Place.id, Place.name)).all())
    assigned: dict[int, list[int]] = defaultdict(list)
    shifts = _shifts(s, semester)
    for shift_id, user_id in s.execute(
        select(ShiftAssignment.shift_id, ShiftAssignment.user_id).where(
            ShiftAssignment.shift_id.in_(shifts)
        )
    ):
        assigned[shift_id].append(user_id)
    specs = [
        ShiftSpec(x.id, x.weekday, x.start, x.end, places[x.place_id], tuple(assigned[x.id]))
        for x in shifts.values()
    ]
    overrides = [
        OverrideSpec(o.on, o.kind.value, o.shift_id, o.user_id, o.replaced_user_id, o.start, o.end)
        for o in s.scalars(select(ShiftOverride).where(ShiftOverride.semester_id == semester.id))
    ]
    breaks = [(b.start, b.end) for b in semester.breaks]
    return expected_duties(semester.start, semester.end, specs, overrides, breaks, until=until)


def _sign_ins(s: Session, semester: Semester) -> list[CheckEvent]:
    return list(
        s.scalars(
            select(CheckEvent).where(
                CheckEvent.action == CheckAction.sign_in,
                CheckEvent.shift_id.in_(_shifts(s, semester)),
            )
        )
    )


def _late_counts(s: Session, semester: Semester) -> Counter:
    """Lates per user id: sign-in later than the shift start + 5 min grace."""
    shifts = _shifts(s, semester)
    lates: Counter = Counter()
    for event in _sign_ins(s, semester):
        start = datetime.combine(event.duty_date, shifts[event.shift_id].start, tzinfo=LOCAL_TZ)
        if event.at > start + GRACE:
            lates[event.user_id] += 1
    return lates


def _snapshot(db: Database) -> dict[str, list[tuple]]:
    with db.session() as s:
        names = dict(s.execute(select(User.id, User.username)).all())
        users = [
            (
                u.username,
                u.name,
                u.role.value,
                u.gender,
                u.degree_level,
                u.grade,
                u.major,
                u.phone,
                u.qq,
                u.political_status,
                u.hardship,
                u.post,
                u.active,
                u.created_at,
            )
            for u in s.scalars(select(User))
        ]
        events = [
            (names[e.user_id], e.action.value, e.at, e.duty_date, e.source_ip, e.device_id)
            for e in s.scalars(select(CheckEvent))
        ]
        leaves = [
            (
                names[x.user_id],
                x.duty_date,
                x.kind.value,
                x.status.value,
                x.after_start,
                x.created_at,
            )
            for x in s.scalars(select(LeaveRequest))
        ]
        records = [
            (names[r.user_id], r.duty_date, r.content, r.created_at)
            for r in s.scalars(select(WorkRecord))
        ]
        assessments = [
            (names[a.user_id], a.total, a.grade.value, a.reasons)
            for a in s.scalars(select(Assessment))
        ]
        semesters = [(x.name, x.start, x.end) for x in s.scalars(select(Semester))]
    return {
        key: sorted(value, key=repr)
        for key, value in {
            "users": users,
            "events": events,
            "leaves": leaves,
            "records": records,
            "assessments": assessments,
            "semesters": semesters,
        }.items()
    }


@pytest.fixture
def seeded(db) -> tuple[Database, DemoSummary]:
    return db, _seed(db)


# --------------------------------------------------------------------------------------------
# Determinism and semesters
# --------------------------------------------------------------------------------------------


def test_same_seed_and_today_give_identical_data(db, tmp_path):
    second = Database(f"sqlite:///{tmp_path / 'second.db'}")
    upgrade(second.engine)
    try:
        first_summary = _seed(db)
        second_summary = _seed(second)
        assert first_summary.counts == second_summary.counts
        assert first_summary.late_critical == second_summary.late_critical
        one, two = _snapshot(db), _snapshot(second)
        for key in one:
            assert one[key] == two[key], key
        assert len(one["events"]) > 1000
    finally:
        second.dispose()


def test_another_seed_gives_other_people(db, tmp_path):
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other.engine)
    try:
        _seed(db, seed=2026)
        _seed(other, seed=7)
        names = [{u[1] for u in _snapshot(x)["users"]} for x in (db, other)]
        assert names[0] != names[1]
    finally:
        other.dispose()


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 8, 3),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 15),
        date(2026, 12, 20),
        date(2027, 1, 10),
        date(2027, 1, 28),
        date(2027, 2, 3),
        date(2027, 3, 15),
        date(2027, 6, 10),
        date(2027, 7, 25),
    ],
)
def test_semester_bounds_contain_today(today):
    (name, start, end), (prev_name, prev_start, prev_end) = semester_bounds(today)
    assert start <= today <= end
    assert start.weekday() == 0 and prev_start.weekday() == 0
    assert prev_start < prev_end < start
    assert re.fullmatch(r"\d{4}-\d{4}学年第[一二]学期", name)
    assert name != prev_name
    autumn = today.month >= 8 or today.month == 1
    assert name.endswith("第一学期") == autumn
    if autumn and today >= date(today.year, 9, 7):
        assert start.month == 9 and start.day <= 7  # the first Monday of September


@pytest.mark.parametrize(
    "today", [date(2026, 9, 16), date(2026, 12, 10), date(2027, 1, 12), date(2027, 3, 18)]
)
def test_today_inside_current_semester_and_no_duty_on_holidays(db, today):
    summary = _seed(db, today=today)
    with db.session() as s:
        current = _semester(s, summary.current_semester)
        previous = _semester(s, summary.previous_semester)
        assert current.start <= today <= current.end
        assert previous.end < current.start
        assert previous.finalized_at is not None and current.finalized_at is None
        midnight = local_to_utc(today, time(0, 0))
        assert s.scalar(select(CheckEvent.id).where(CheckEvent.at >= midnight)) is None
        for semester in (previous, current):
            breaks = [(b.start, b.end) for b in semester.breaks]
            off = non_duty_days(semester.start, semester.end, breaks)
            assert off, "a semester always has a holiday or a break"
            days = set(
                s.scalars(
                    select(CheckEvent.duty_date).where(
                        CheckEvent.duty_date.between(semester.start, semester.end)
                    )
                )
            )
            assert days and not (days & off)
            assert all(d.isoweekday() <= 5 for d in days)
        assert summary.late_critical and summary.late_twice and summary.late_once


def test_seeding_a_fresh_database_works(db):
    # Its speed is measured by `python -m bench.demo`, not asserted here (a loaded machine).
    summary = _seed(db)
    assert summary.counts["check_event"] > 0 and summary.counts["assessment"] > 0
    assert sum(summary.previous_grades.values()) == summary.counts["assessment"]


# --------------------------------------------------------------------------------------------
# People, schedule, appointments
# --------------------------------------------------------------------------------------------


def test_people_and_logins(seeded):
    db, summary = seeded
    with db.session() as s:
        team = s.scalars(select(Team)).one()
        assert team.name == "数学与物理学院助管团" and team.college == "数学与物理学院"
        users = list(s.scalars(select(User)))
        roles = Counter(u.role for u in users)
        assert roles[Role.leader] == 1 and roles[Role.counselor] == 1
        assert roles[Role.leadership] == 1
        assert 38 <= roles[Role.assistant] + roles[Role.leader] <= 45
        assistants = [u for u in users if u.role in (Role.assistant, Role.leader)]
        assert {u.degree_level for u in assistants} == {"研究生", "本科生"}
        assert {u.gender for u in assistants} == {"男", "女"}
        assert all(re.fullmatch(r"20(22|23|24|25)\d{4}", u.username) for u in assistants)
        assert all(re.fullmatch(r"1[3-9]\d{9}", u.phone) for u in assistants)
        assert all(CJK.search(u.name) and 2 <= len(u.name) <= 4 for u in assistants)
        political = Counter(u.political_status for u in assistants)
        assert political.most_common(1)[0][0] == "中共党员"
        assert any(u.hardship for u in assistants)
        assert len({u.name for u in assistants}) == len(assistants)
        by_username = {u.username: u for u in users}
        for _role, username, password, _note in DEMO_LOGINS:
            assert by_username[username].check_password(password), username
        assert by_username[summary.leader].role is Role.leader
        assert by_username["T0001"].role is Role.counselor
        assert by_username["L0001"].role is Role.leadership


def test_schedule_and_appointments(seeded):
    db, summary = seeded
    with db.session() as s:
        counselor = s.scalars(select(User).where(User.username == "T0001")).one()
        ids = dict(s.execute(select(User.username, User.id)).all())
        for name in (summary.previous_semester, summary.current_semester):
            semester = _semester(s, name)
            shifts = _shifts(s, semester)
            assert {x.weekday for x in shifts.values()} == {1, 2, 3, 4, 5}
            assert {x.start for x in shifts.values()} >= {time(8), time(10), time(14), time(16)}
            per_user = Counter(
                s.scalars(
                    select(ShiftAssignment.user_id).where(ShiftAssignment.shift_id.in_(shifts))
                )
            )
            assert set(per_user.values()) <= {2, 3}
            per_shift = Counter(
                s.scalars(
                    select(ShiftAssignment.shift_id).where(ShiftAssignment.shift_id.in_(shifts))
                )
            )
            assert max(per_shift.values()) <= 3
            assert s.scalar(
                select(SemesterBreak.id).where(SemesterBreak.semester_id == semester.id)
            )
        current = _semester(s, summary.current_semester)
        kinds = Counter(
            s.scalars(select(ShiftOverride.kind).where(ShiftOverride.semester_id == current.id))
        )
        assert kinds["swap"] >= 2 and kinds["cancel"] == 1

        # Appointment history: a veteran went applied → reviewed → trial → appointed last term.
        previous = _semester(s, summary.previous_semester)
        leader_appointment = s.scalars(
            select(Appointment).where(
                Appointment.semester_id == previous.id,
                Appointment.user_id == ids[summary.leader],
            )
        ).one()
        history = list(
            s.scalars(
                select(AppointmentEvent)
                .where(AppointmentEvent.appointment_id == leader_appointment.id)
                .order_by(AppointmentEvent.id)
            )
        )
        assert [h.to_stage for h in history] == [
            Stage.applied,
            Stage.reviewed,
            Stage.trial,
            Stage.appointed,
        ]
        assert [h.on for h in history] == sorted(h.on for h in history)
        assert all(h.by_id == counselor.id for h in history[1:])
        stages = Counter(
            s.scalars(select(Appointment.stage).where(Appointment.semester_id == previous.id))
        )
        assert stages[Stage.resigned] == 1
        # New this term: one still in trial, started within the last 30 days.
        trial = s.scalars(
            select(Appointment).where(
                Appointment.semester_id == current.id, Appointment.stage == Stage.trial
            )
        ).all()
        assert trial and any(TODAY - timedelta(days=30) <= a.trial_start <= TODAY for a in trial)
        assert set(summary.trial) <= set(summary.new_assistants)
        previous_users = set(
            s.scalars(select(Appointment.user_id).where(Appointment.semester_id == previous.id))
        )
        assert all(ids[u] not in previous_users for u in summary.new_assistants)


# --------------------------------------------------------------------------------------------
# Attendance patterns in the current semester
# --------------------------------------------------------------------------------------------


def test_late_patterns(seeded):
    db, summary = seeded
    with db.session() as s:
        names = dict(s.execute(select(User.id, User.username)).all())
        lates = _late_counts(s, _semester(s, summary.current_semester))
        by_count = Counter(lates.values())
        assert by_count[1] >= 1 and by_count[2] >= 1
        assert sum(n for count, n in by_count.items() if count >= 3) >= 2
        # The summary names exactly the people the events say.
        assert summary.late_once == tuple(sorted(names[u] for u, n in lates.items() if n == 1))
        assert summary.late_twice == tuple(sorted(names[u] for u, n in lates.items() if n == 2))
        assert summary.late_critical == tuple(sorted(names[u] for u, n in lates.items() if n >= 3))
        # Late by 6–40 minutes, never by seconds.
        shifts = _shifts(s, _semester(s, summary.current_semester))
        for event in _sign_ins(s, _semester(s, summary.current_semester)):
            start = datetime.combine(event.duty_date, shifts[event.shift_id].start, tzinfo=LOCAL_TZ)
            minutes = (event.at - start).total_seconds() / 60
            assert -16 <= minutes <= 41
            assert not 4 < minutes < 6


def test_absence_leave_and_after_start_leave(seeded):
    db, summary = seeded
    with db.session() as s:
        current = _semester(s, summary.current_semester)
        counselor = s.scalars(select(User).where(User.username == "T0001")).one()
        duties = [d for d in _expected(s, current, TODAY - timedelta(days=1)) if d.shift_id]
        signed = {
            (e.user_id, e.duty_date, e.shift_id)
            for e in s.scalars(select(CheckEvent).where(CheckEvent.duty_date >= current.start))
        }
        leaves = {
            (x.user_id, x.duty_date, x.shift_id): x
            for x in s.scalars(select(LeaveRequest).where(LeaveRequest.duty_date >= current.start))
        }
        shifts = _shifts(s, current)
        absent = [d for d in duties if d.key not in signed and d.key not in leaves]
        assert len(absent) >= 2
        # Every event belongs to a duty of the schedule (swaps included).
        keys = {d.key for d in duties}
        assert {k for k in signed if k[2] is not None} <= keys

        def start_of(x: LeaveRequest) -> datetime:
            return datetime.combine(x.duty_date, shifts[x.shift_id].start, tzinfo=LOCAL_TZ)

        past = [x for x in leaves.values() if x.duty_date < TODAY]
        approved = [
            x for x in past if x.status is LeaveStatus.approved and x.kind is not LeaveKind.phone
        ]
        assert len(approved) >= 3
        assert {x.kind for x in approved} <= {
            LeaveKind.personal,
            LeaveKind.sick,
            LeaveKind.exam,
            LeaveKind.official,
        }
        for x in approved:
            assert x.created_at < x.decided_at < start_of(x)
            assert x.decided_by_id == counselor.id and x.created_by_id == x.user_id
            assert (x.user_id, x.duty_date, x.shift_id) not in signed

        phone = [x for x in past if x.kind is LeaveKind.phone]
        assert phone
        for x in phone:
            assert x.status is LeaveStatus.approved and not x.after_start
            assert x.created_by_id == counselor.id and x.created_at > start_of(x)

        after = s.scalars(select(LeaveRequest).where(LeaveRequest.after_start.is_(True))).all()
        assert len(after) == 1
        (xz,) = after
        assert xz.status in (LeaveStatus.pending, LeaveStatus.rejected)
        assert xz.created_by_id == xz.user_id and xz.created_at > start_of(xz)
        assert (xz.user_id, xz.duty_date, xz.shift_id) not in signed
        assert xz.kind is not LeaveKind.phone
        # Pending requests for coming duties wait for the counselor.
        coming = [x for x in leaves.values() if x.duty_date > TODAY]
        assert coming and all(x.status is LeaveStatus.pending for x in coming)


def test_missed_sign_out_early_leave_and_extra_duty(seeded):
    db, summary = seeded
    with db.session() as s:
        current = _semester(s, summary.current_semester)
        shifts = _shifts(s, current)
        events = s.scalars(
            select(CheckEvent).where(CheckEvent.at >= local_to_utc(current.start, time(0)))
        ).all()
        by_duty: dict[tuple, dict[str, CheckEvent]] = defaultdict(dict)
        for e in events:
            if e.shift_id is not None:
                by_duty[(e.user_id, e.duty_date, e.shift_id)][e.action.value] = e
        missed = [k for k, v in by_duty.items() if "sign_in" in v and "sign_out" not in v]
        assert len(missed) >= 2
        assert all("sign_in" in v for v in by_duty.values())
        early = [
            k
            for k, v in by_duty.items()
            if "sign_out" in v
            and v["sign_out"].at < datetime.combine(k[1], shifts[k[2]].end, tzinfo=LOCAL_TZ) - GRACE
        ]
        assert len(early) >= 1
        # 加班: unscheduled sign-in and sign-out on a weekday evening, outside every shift.
        extra = [e for e in events if e.duty_date is None]
        assert extra and {e.shift_id for e in extra} == {None}
        pairs = Counter((e.user_id, e.at.astimezone(LOCAL_TZ).date(), e.action) for e in extra)
        assert set(pairs.values()) == {1}
        for e in extra:
            local = e.at.astimezone(LOCAL_TZ)
            assert local.isoweekday() <= 5 and local.time() >= time(18, 0)
        # Realistic metadata on every event.
        assert all(e.source_ip.startswith("10.") for e in events)
        devices = defaultdict(set)
        for e in events:
            devices[e.user_id].add(e.device_id)
        assert all(len(d) == 1 for d in devices.values())
        assert len({next(iter(d)) for d in devices.values()}) == len(devices)


def test_work_records_and_summaries(seeded):
    db, summary = seeded
    with db.session() as s:
        current = _semester(s, summary.current_semester)
        records = s.scalars(select(WorkRecord)).all()
        assert len(records) > 500
        assert all(len(r.content) >= 5 and CJK.search(r.content) for r in records)
        assert len({r.content for r in records}) > len(records) // 3
        # Compliance varies between people (duties with a record / duties with a sign-out).
        outs = Counter(
            s.scalars(
                select(CheckEvent.user_id).where(
                    CheckEvent.action == CheckAction.sign_out,
                    CheckEvent.duty_date >= current.start,
                )
            )
        )
        written = Counter(r.user_id for r in records if r.duty_date >= current.start)
        rates = [min(1.0, written[u] / n) for u, n in outs.items() if n >= 5]
        assert min(rates) < 0.9 and max(rates) >= 0.9 and min(rates) >= 0.5

        weekly = s.scalars(select(Summary).where(Summary.kind == SummaryKind.weekly)).all()
        assert len(weekly) > 200
        assert all(w.period_start.weekday() == 0 for w in weekly)
        assert all(CJK.search(w.content) for w in weekly)
        current_weeks = Counter(w.user_id for w in weekly if w.period_start >= current.start)
        assert len(set(current_weeks.values())) > 1  # some weeks are missing for some people
        assert s.scalar(select(Summary.id).where(Summary.kind == SummaryKind.daily))


# --------------------------------------------------------------------------------------------
# Meetings, trainings, evaluation, assessment, stipend
# --------------------------------------------------------------------------------------------


def test_meetings_and_trainings(seeded):
    db, summary = seeded
    with db.session() as s:
        previous = _semester(s, summary.previous_semester)
        current = _semester(s, summary.current_semester)
        for semester, wanted in ((previous, 2), (current, 1)):
            meetings = s.scalars(select(Meeting).where(Meeting.semester_id == semester.id)).all()
            assert len(meetings) >= wanted
            assert all(m.minutes.strip() and m.attendance for m in meetings)
            assert all(semester.start <= m.held_on <= semester.end for m in meetings)
        current_meetings = s.scalars(select(Meeting).where(Meeting.semester_id == current.id)).all()
        assert len(current_meetings) == 1 and current_meetings[0].held_on <= TODAY
        statuses = Counter(
            s.scalars(
                select(MeetingAttendance.status).where(
                    MeetingAttendance.meeting_id == current_meetings[0].id
                )
            )
        )
        assert statuses[Presence.absent] == 1
        assert statuses[Presence.present] > statuses[Presence.excused]
        trainings = s.scalars(select(Training)).all()
        assert {t.organizer for t in trainings} == {"学院", "学校"}
        assert {t.semester_id for t in trainings if t.organizer == "学院"} == {
            previous.id,
            current.id,
        }
        assert all(t.attendance for t in trainings)


def test_previous_semester_assessment_and_stipend(seeded):
    db, summary = seeded
    with db.session() as s:
        previous = _semester(s, summary.previous_semester)
        current = _semester(s, summary.current_semester)
        ids = dict(s.execute(select(User.username, User.id)).all())
        assessments = s.scalars(
            select(Assessment).where(Assessment.semester_id == previous.id)
        ).all()
        assert len(assessments) >= 30 and all(a.published for a in assessments)
        assert not s.scalar(select(Assessment.id).where(Assessment.semester_id == current.id))
        grades = Counter(a.grade for a in assessments)
        assert grades[Grade.unqualified] >= 2 and grades[Grade.excellent] >= 3
        assert grades[Grade.qualified] > 0
        by_user = {a.user_id: a for a in assessments}
        lates = _late_counts(s, previous)
        three = [u for u, n in lates.items() if n >= 3]
        assert three and all(by_user[u].grade is Grade.unqualified for u in three)
        failure = s.scalars(select(CourseFailure)).one()
        assert failure.semester_id == previous.id
        assert by_user[failure.user_id].grade is Grade.unqualified
        assert "不及格" in by_user[failure.user_id].reasons
        for a in assessments:
            parts = a.attendance_score + a.records_score + a.meetings_score
            parts += a.counselor_score + a.peer_score
            assert abs(parts - a.total) < 0.3
            if a.grade is Grade.excellent:
                assert a.total >= 90
        # Those graded 不合格 were not re-hired.
        current_users = set(
            s.scalars(select(Appointment.user_id).where(Appointment.semester_id == current.id))
        )
        assert all(ids[u] not in current_users for u in summary.not_rehired)
        assert {by_user[ids[u]].grade for u in summary.not_rehired} == {Grade.unqualified}

        evaluations = s.scalars(select(Evaluation)).all()
        assert all(e.subject_id != e.rater_id for e in evaluations)
        counselor = [e for e in evaluations if e.kind is EvaluationKind.counselor]
        peers = [e for e in evaluations if e.kind is EvaluationKind.peer]
        assert len(counselor) == len(assessments)
        assert all(0 <= e.score <= 20 for e in counselor) and all(0 <= e.score <= 10 for e in peers)
        raters = Counter(e.subject_id for e in peers)
        assert set(raters.values()) == {5}

        stipends = s.scalars(select(Stipend).where(Stipend.semester_id == previous.id)).all()
        totals = [x for x in stipends if x.month == ""]
        assert len(totals) == len(assessments)
        assert all(x.status is StipendStatus.paid and x.amount > 0 for x in totals)
        assert any(x.month for x in stipends)
        commendation = s.scalars(select(Commendation)).one()
        bonus_row = next(x for x in totals if x.user_id == commendation.user_id)
        assert bonus_row.bonus == commendation.bonus > 0
        for row in totals:
            expected = row.hours * row.rate * row.grade_factor + row.bonus
            assert abs(row.amount - expected) <= 0.01


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_seed_demo_command_refuses_to_run_twice(runner, db):
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-24", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "演示数据已生成" in result.output
    assert "T0001" in result.output and "demo-counselor" in result.output
    with db.session() as s:
        assert s.scalar(select(Team.name)) == "数学与物理学院助管团"
        assert s.scalar(select(Semester.name).where(Semester.start <= TODAY, Semester.end >= TODAY))

    again = runner.invoke(args=["seed-demo", "--today", "2026-11-24"])
    assert again.exit_code != 0
    assert "--force" in again.output
    assert "Traceback" not in again.output

    forced = runner.invoke(args=["seed-demo", "--today", "2026-11-24", "--force"])
    assert forced.exit_code != 0 and "已存在" in forced.output

    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0
    with db.session() as s:
        assert len(s.scalars(select(Team)).all()) == 1


def test_seed_demo_force_next_to_other_users(runner, db):
    with db.session() as s:
        admin = User(username="admin", name="管理员", role=Role.counselor)
        admin.set_password("x-secret-1")
        s.add(admin)
    refused = runner.invoke(args=["seed-demo", "--today", "2026-11-24"])
    assert refused.exit_code != 0 and "--force" in refused.output
    forced = runner.invoke(args=["seed-demo", "--today", "2026-11-24", "--force"])
    assert forced.exit_code == 0, forced.output
    with db.session() as s:
        assert s.scalar(select(User.id).where(User.username == "L0001"))


def test_seed_demo_rejects_bad_date_and_prints_logins(runner):
    bad = runner.invoke(args=["seed-demo", "--today", "2026-13-01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
    # Issue 12: an install without the demo says so in one line instead of listing accounts
    # that do not exist (exit 0: the question was answered).
    empty = runner.invoke(args=["demo-logins"])
    assert empty.exit_code == 0
    assert empty.output.strip().splitlines() == [
        "数据库中没有演示团队，无演示账号（可用 seed-demo 生成）"
    ]
    assert all(password not in empty.output for *_, password, _note in DEMO_LOGINS)


def test_demo_logins_lists_the_seeded_accounts(demo_app):
    logins = demo_app.test_cli_runner().invoke(args=["demo-logins"])
    assert logins.exit_code == 0
    for _role, username, password, _note in DEMO_LOGINS:
        assert username in logins.output and password in logins.output


def test_seed_demo_reports_a_taken_username(runner, db, tmp_path):
    scratch = Database(f"sqlite:///{tmp_path / 'scratch.db'}")
    upgrade(scratch.engine)
    try:
        summary = _seed(scratch, seed=2026)
    finally:
        scratch.dispose()
    logins = {login[1] for login in DEMO_LOGINS}
    taken = next(u for u in summary.assistants if u not in logins)
    with db.session() as s:
        s.add(User(username=taken, name="已有学生"))
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-24", "--force"])
    assert result.exit_code != 0 and "重名" in result.output
    assert "Traceback" not in result.output
    with db.session() as s:
        assert s.scalar(select(Team.id)) is None  # nothing half-written

"""The schedule is versioned by date (SPEC §3 "The record holds"): a change applies from a date,
and no duty before that date moves — not by a grid edit, a time change, a removal or an import.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from data.attendance import duties_on, semester_duties
from data.export import report_frames
from data.models import (
    CheckAction,
    CheckEvent,
    CheckMethod,
    Place,
    Semester,
    Shift,
    ShiftAssignment,
    User,
)
from data.policy.duties import dated_shift_specs, expected_duties
from data.policy.types import Period, ShiftTimes
from data.report import build_report
from data.services import Refused
from data.services.schedule import change_times, end_person, end_shift, ensure_person, preview
from data.timeutil import LOCAL_TZ, local_to_utc
from tests.conftest import DEMO_NOW, csrf_token

START, END = date(2026, 9, 7), date(2026, 11, 29)  # a Monday … a Sunday, 12 weeks


# --- Pure: dated specs --------------------------------------------------------------------


def test_dated_specs_split_at_every_change():
    times = [
        ShiftTimes(None, time(8), time(10), "学工办"),
        ShiftTimes(date(2026, 10, 5), time(9), time(11), "学工办"),
    ]
    periods = [Period(1), Period(2, None, date(2026, 9, 20)), Period(3, date(2026, 10, 12))]
    specs = dated_shift_specs(7, 1, times, periods)
    assert [(s.valid_from, s.valid_to, s.start, s.user_ids) for s in specs] == [
        (None, date(2026, 9, 20), time(8), (1, 2)),
        (date(2026, 9, 21), date(2026, 10, 4), time(8), (1,)),
        (date(2026, 10, 5), date(2026, 10, 11), time(9), (1,)),
        (date(2026, 10, 12), None, time(9), (1, 3)),
    ]
    duties = expected_duties(START, END, specs)
    assert {d.user_id for d in duties if d.day == date(2026, 9, 14)} == {1, 2}
    assert {d.user_id for d in duties if d.day == date(2026, 9, 21)} == {1}
    late = [d for d in duties if d.day == date(2026, 10, 12)]
    assert {d.user_id for d in late} == {1, 3} and late[0].start.hour == 9


# --- Pure: any sequence of dated changes keeps the past -------------------------------------


def _transient_semester() -> Semester:
    return Semester(name="测试学期", start=START, end=END)


def _transient_shifts() -> list[Shift]:
    shifts = []
    for shift_id, weekday in ((1, 1), (2, 3), (3, 6)):
        shift = Shift(id=shift_id, weekday=weekday, start=time(8), end=time(10), place_id=1)
        shift.assignments.append(ShiftAssignment(user_id=10 + shift_id))
        shifts.append(shift)
    return shifts


def _duties(shifts: list[Shift]) -> list[tuple]:
    specs = []
    for shift in shifts:
        times = [ShiftTimes(None, shift.start, shift.end, "学工办")]
        times += [ShiftTimes(v.valid_from, v.start, v.end, "学工办") for v in shift.versions]
        periods = [Period(a.user_id, a.valid_from, a.valid_to) for a in shift.assignments]
        specs += dated_shift_specs(
            shift.id, shift.weekday, times, periods, shift.valid_from, shift.valid_to
        )
    return [
        (d.day, d.user_id, d.shift_id, d.start, d.end) for d in expected_duties(START, END, specs)
    ]


days = st.integers(min_value=0, max_value=(END - START).days).map(lambda n: START + timedelta(n))
operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "times", "end_shift"]),
        st.integers(min_value=0, max_value=2),  # which shift
        st.integers(min_value=10, max_value=14),  # which person
        days,
        st.integers(min_value=6, max_value=12),  # new start hour
    ),
    max_size=12,
)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_no_duty_before_its_change_date_moves(ops):
    semester = _transient_semester()
    shifts = _transient_shifts()
    for kind, index, user_id, day, hour in ops:
        shift = shifts[index]
        before = [d for d in _duties(shifts) if d[0] < day]
        try:
            if kind == "add":
                ensure_person(shift, user_id, day, semester)
            elif kind == "remove":
                end_person(shift, user_id, day, semester)
            elif kind == "times":
                change_times(shift, time(hour), time(hour + 2), 1, day, semester)
            else:
                end_shift(None, shift, day, date.max, semester)  # today = max: never deleted
        except Refused:
            continue
        after = _duties(shifts)
        assert [d for d in after if d[0] < day] == before
        # …and from the date on the change holds.
        on_day = [d for d in after if d[0] >= day and d[2] == shift.id]
        if kind == "add" and shift.in_force(day):
            assert all(
                any(d[1] == user_id for d in on_day if d[0] == x) for x in {d[0] for d in on_day}
            )
        if kind == "remove":
            assert all(d[1] != user_id for d in on_day)


# --- Database: the report before the date is the same, cell by cell --------------------------


def _frames(session, semester: Semester, as_of: date) -> dict[str, pd.DataFrame]:
    moment = local_to_utc(as_of + timedelta(days=1), time(0)) - timedelta(microseconds=1)
    return report_frames(build_report(session, semester, moment))


def _assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False, obj=name)


DEMO_TODAY = DEMO_NOW.date()
YESTERDAY = DEMO_TODAY - timedelta(days=1)


def _semester(session) -> Semester:
    return session.scalar(
        select(Semester).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
    )


@pytest.mark.db
def test_changes_from_today_leave_the_report_up_to_yesterday_alone(demo_db):
    """Grid add (a Saturday shift), removal, time change and re-import, each from today."""
    with demo_db.session() as s:
        semester = _semester(s)
        baseline = _frames(s, semester, YESTERDAY)
        shifts = [x for x in s.scalars(select(Shift).where(Shift.semester_id == semester.id))]
        busy = max(shifts, key=lambda x: len(x.assignments))
        person = busy.assignments[0].user_id
        place = s.get(Place, busy.place_id)
        # 1. A Saturday shift for someone, from today.
        saturday = Shift(
            semester_id=semester.id,
            weekday=6,
            start=time(9),
            end=time(11),
            place=place,
            valid_from=DEMO_TODAY,
        )
        saturday.assignments.append(ShiftAssignment(user_id=person))
        s.add(saturday)
        s.flush()
        _assert_same(baseline, _frames(s, semester, YESTERDAY))
        # 2. Removing a person from their shift from today.
        assert end_person(busy, person, DEMO_TODAY, semester)
        s.flush()
        _assert_same(baseline, _frames(s, semester, YESTERDAY))
        # 3. Moving a shift's times from today.
        change_times(busy, time(7), time(9), busy.place_id, DEMO_TODAY, semester)
        s.flush()
        _assert_same(baseline, _frames(s, semester, YESTERDAY))
        # The duties from today did change.
        duties = duties_on(s, semester, DEMO_TODAY + timedelta(days=(5 - DEMO_TODAY.weekday()) % 7))
        assert any(d.user_id == person and d.shift_id == saturday.id for d in duties)
        s.rollback()


@pytest.mark.db
def test_reimport_from_a_date_keeps_the_report_before_it(demo_db, tmp_path):
    from data.importers import import_schedule

    with demo_db.session() as s:
        semester = _semester(s)
        baseline = _frames(s, semester, YESTERDAY)
        someone = s.scalar(select(User.username).where(User.username == "20230215"))
        body = f"学号,星期,开始,结束,岗位\n{someone},1,08:00,10:00,学工办\n"
        path = tmp_path / "one.csv"
        path.write_text(body, encoding="utf-8")
        report = import_schedule(s, path, semester=semester, from_day=DEMO_TODAY, today=DEMO_TODAY)
        s.flush()
        assert report.written and report.removed > 0
        _assert_same(baseline, _frames(s, semester, YESTERDAY))
        # From today only that one duty a week is left.
        week = [
            d
            for d in semester_duties(s, semester)
            if DEMO_TODAY <= d.day < DEMO_TODAY + timedelta(days=7)
        ]
        assert [(d.day.isoweekday(), d.start.astimezone(LOCAL_TZ).hour) for d in week] == [(1, 8)]
        s.rollback()


@pytest.mark.db
def test_events_imported_before_the_schedule_land_on_their_duties(db, team):
    """Import order never matters: events are matched to duties when the record is read."""
    from tests.factories import small_team  # noqa: F401  (the fixture made the team)

    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        zhang = s.scalar(select(User).where(User.username == "2023101"))
        day = date(2026, 9, 16)  # a Wednesday
        for action, hour, minute in ((CheckAction.sign_in, 13, 58), (CheckAction.sign_out, 16, 1)):
            s.add(
                CheckEvent(
                    user_id=zhang.id,
                    action=action,
                    at=datetime(2026, 9, 16, hour, minute, tzinfo=LOCAL_TZ),
                    method=CheckMethod.import_,
                )
            )
        s.flush()
        now = datetime(2026, 9, 17, 12, 0, tzinfo=LOCAL_TZ)
        report = build_report(s, semester, now)
        zhang_row = next(m for m in report.members if m.user_id == zhang.id)
        assert zhang_row.attendance.extra == 1  # no schedule yet: 加班
        place = s.get(Place, team.place_id)
        shift = Shift(semester_id=semester.id, weekday=3, start=time(14), end=time(16), place=place)
        shift.assignments.append(ShiftAssignment(user_id=zhang.id))
        s.add(shift)
        s.flush()
        report = build_report(s, semester, now)
        zhang_row = next(m for m in report.members if m.user_id == zhang.id)
        outcomes = [o for o in report.attendance.outcomes if o.duty.user_id == zhang.id]
        on_day = [o for o in outcomes if o.duty.day == day and o.duty.shift_id == shift.id]
        assert [o.status for o in on_day] == ["normal"]
        assert zhang_row.attendance.extra == 0
        s.rollback()


@pytest.mark.db
def test_preview_lists_the_duties_a_change_moves_and_changes_nothing(db, team):
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        shift = s.scalar(select(Shift).where(Shift.semester_id == semester.id, Shift.weekday == 2))
        person = shift.assignments[0].user_id
        day, today = date(2026, 10, 6), date(2026, 10, 1)
        result = preview(s, semester, lambda: end_person(shift, person, day, semester), day, today)
        assert result.removed > 0 and result.added == 0 and not result.past
        assert all(c.day >= day and c.user_id == person and not c.after for c in result.changes)
        # Nothing was written: the shift still has the person on every day.
        s.expire_all()
        shift = s.get(Shift, shift.id)
        assert [a.valid_to for a in shift.assignments] == [None]
        # A past date is flagged, and so are the duties that already happened.
        day, later = date(2026, 10, 20), date(2026, 10, 21)  # a Tuesday after the golden week
        past = preview(s, semester, lambda: end_person(shift, person, day, semester), day, later)
        assert past.past and past.past_changes >= 1


# --- The workbench: removal asks first, a past date needs a reason -----------------------------


def _token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


@pytest.mark.db
def test_grid_removal_from_a_past_date_needs_a_reason(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: datetime(2026, 9, 30, 12, 0, tzinfo=LOCAL_TZ)
    auth.login(team.leader)
    with db.session() as s:
        assignment_id = s.scalar(
            select(ShiftAssignment.id)
            .join(Shift)
            .where(Shift.weekday == 1, Shift.semester_id == team.semester_id)
        )
    url = f"/admin/schedule/assignments/{assignment_id}/delete"
    page = client.post(url, data={"csrf_token": _token(client), "from": "2026-09-14"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已经发生" in html and 'name="reason"' in html
    confirm = {"csrf_token": _token(client), "from": "2026-09-14", "confirm": "1"}
    refused = client.post(url, data=confirm)
    assert refused.status_code == 200 and "须填写原因" in refused.get_data(as_text=True)
    with db.session() as s:
        assert s.get(ShiftAssignment, assignment_id).valid_to is None
    client.post(url, data=confirm | {"csrf_token": _token(client), "reason": "录入错误，更正"})
    with db.session() as s:
        assert s.get(ShiftAssignment, assignment_id).valid_to == date(2026, 9, 13)
    # A date outside the semester is refused with one message and changes nothing.
    bad = client.post(url, data={"csrf_token": _token(client), "from": "2030-01-01"})
    assert "不在学期" in client.get(bad.headers["Location"]).get_data(as_text=True)


@pytest.mark.db
def test_shift_time_change_keeps_the_shift_and_the_past(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: datetime(2026, 9, 30, 12, 0, tzinfo=LOCAL_TZ)
    auth.login(team.counselor)
    with db.session() as s:
        shift_id = s.scalar(select(Shift.id).where(Shift.weekday == 1))
    data = {
        "csrf_token": _token(client),
        "shift": shift_id,
        "start": "09:00",
        "end": "11:00",
        "place_id": team.place_id,
        "from": "2026-10-26",
    }
    page = client.post("/admin/schedule/shift-times", data=data)
    assert page.status_code == 200 and "周一 09:00–11:00" in page.get_data(as_text=True)
    client.post("/admin/schedule/shift-times", data=data | {"confirm": "1"})
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        before = duties_on(s, semester, date(2026, 10, 19))
        after = duties_on(s, semester, date(2026, 10, 26))
        assert [d.start.astimezone(LOCAL_TZ).hour for d in before] == [8]
        assert [d.start.astimezone(LOCAL_TZ).hour for d in after] == [9]
        assert before[0].shift_id == after[0].shift_id == shift_id


@pytest.mark.db
def test_schedule_export_is_the_schedule_in_force_that_day(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: datetime(2026, 9, 30, 12, 0, tzinfo=LOCAL_TZ)
    auth.login(team.leader)
    with db.session() as s:
        shift = s.scalar(select(Shift).where(Shift.weekday == 2))
        shift.assignments[0].valid_to = date(2026, 10, 4)
        s.commit()
    url = f"/admin/schedule/export.xlsx?semester={team.semester_id}"
    early = pd.read_excel(io.BytesIO(client.get(url + "&on=2026-10-01").data), dtype=str)
    late = pd.read_excel(io.BytesIO(client.get(url + "&on=2026-10-06").data), dtype=str)
    assert len(early) == len(late) + 1

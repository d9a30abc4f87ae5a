"""今日值班 on the demo team: the narrow day read equals the semester report, and the callback."""

from __future__ import annotations

import base64
import importlib
import io
from collections import defaultdict
from datetime import datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from dashboard.tables.today import FRAME_COLUMNS, board_frame, day_outcomes, today_board
from data.attendance import duties_on
from data.models import (
    CheckAction,
    CheckEvent,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Semester,
)
from data.policy.classify import counts_late
from data.report import build_report
from data.timeutil import LOCAL_TZ, local_to_utc
from tests.conftest import DEMO_NOW, DEMO_TODAY
from tests.dash_helpers import logged_in, texts
from web import get_session

pytestmark = pytest.mark.db

# A busy afternoon: the demo's morning duties got activity, the 14:00 ones are under way.
LIVELY_NOW = datetime(2026, 11, 24, 14, 20, tzinfo=LOCAL_TZ)
# Per slot (in start order), per person: (sign-in, sign-out) local "HH:MM", or "leave".
SCRIPT = [
    [("07:58", "10:01"), ("08:12", "10:00"), None],
    [("08:55", None), ("09:20", "11:00"), "leave"],
    [None, ("10:02", "12:00"), ("09:40", None)],
    [("13:58", None), ("14:12", None), None],
    [None, ("14:05", None)],
]


def _at(hhmm: str) -> datetime:
    return local_to_utc(DEMO_TODAY, time.fromisoformat(hhmm))


def liven_today(session, semester: Semester) -> None:
    """Give today's demo duties the activity of SCRIPT, and one 加班 sign-in at 13:00."""
    slots: dict[datetime, list] = {}
    for duty in sorted(
        duties_on(session, semester, DEMO_TODAY), key=lambda d: (d.start, d.user_id)
    ):
        slots.setdefault(duty.start, []).append(duty)
    for duties, plan in zip(slots.values(), SCRIPT, strict=False):
        for duty, step in zip(duties, plan, strict=False):
            if step == "leave":
                session.add(
                    LeaveRequest(
                        user_id=duty.user_id,
                        duty_date=duty.day,
                        shift_id=duty.shift_id,
                        kind=LeaveKind.phone,
                        reason="发烧",
                        status=LeaveStatus.approved,
                    )
                )
                continue
            for action, hhmm in zip(
                (CheckAction.sign_in, CheckAction.sign_out), step or (None, None), strict=True
            ):
                if hhmm:
                    session.add(
                        CheckEvent(
                            user_id=duty.user_id,
                            action=action,
                            at=_at(hhmm),
                            duty_date=duty.day,
                            shift_id=duty.shift_id,
                        )
                    )
    last = list(slots.values())[-1][0]
    session.add(CheckEvent(user_id=last.user_id, action=CheckAction.sign_in, at=_at("13:00")))
    session.commit()


def today_page():
    return importlib.import_module("dashboard.pages.today")


def semester_ids(app) -> tuple[int, int]:
    """The demo's running semester and the one before it."""
    with app.app_context():
        session = get_session()
        current = session.scalar(
            select(Semester.id).where(Semester.start <= DEMO_TODAY, Semester.end >= DEMO_TODAY)
        )
        old = session.scalar(select(Semester.id).where(Semester.end < DEMO_TODAY))
        return current, old


def rows_of(component) -> list:
    """Every board row (className today-row) inside a rendered tree."""
    found = []
    if "today-row" in (getattr(component, "className", None) or "").split():
        found.append(component)
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            found += rows_of(child)
    elif children is not None and not isinstance(children, str | int | float):
        found += rows_of(children)
    return found


def test_day_outcomes_equal_the_semester_report_every_day(demo_app):
    current, _old = semester_ids(demo_app)
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, current)
        report = build_report(session, semester, DEMO_NOW)
        by_day = defaultdict(list)
        for outcome in report.attendance.outcomes:
            by_day[outcome.duty.day].append(outcome)
        day, checked = semester.start, 0
        while day <= DEMO_TODAY:
            narrow = day_outcomes(session, semester, day, DEMO_NOW)
            assert sorted(narrow, key=_key) == sorted(by_day[day], key=_key), day
            checked += bool(narrow)
            day += timedelta(days=1)
    assert checked > 40 and by_day[DEMO_TODAY]  # most days have duties, today too


def _key(outcome) -> tuple:
    return (outcome.duty.start, outcome.duty.user_id, outcome.duty.extra)


def test_board_of_today_has_every_duty_and_extra(demo_app):
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, semester_ids(demo_app)[0])
        board = today_board(session, semester.team_id, DEMO_NOW)
        report = build_report(session, semester, DEMO_NOW)
    todays = [o for o in report.attendance.outcomes if o.duty.day == DEMO_TODAY]
    assert board.semester.id == semester.id and len(board.rows) == len(todays) > 0
    assert board.counts.expected == sum(1 for o in todays if not o.duty.extra)
    assert board.counts.late == sum(1 for o in todays if counts_late(o))
    assert board.counts.extra == sum(1 for o in todays if o.duty.extra)
    frame = board_frame(board)
    assert list(frame["状态"]) == [r.state.label for r in board.rows]


def test_counselor_sees_the_board_with_quick_links(demo_app):
    render = today_page().render_today
    current, _old = semester_ids(demo_app)
    with logged_in(demo_app, "T0001"):
        body = render(current, None)
        board = today_board(get_session(), get_session().get(Semester, current).team_id, DEMO_NOW)
    text = texts(body)
    assert "更新于 12:00:00" in text and "应到" in text
    rows = rows_of(body)
    assert len(rows) == len(board.rows)
    red = [r for r in rows if "today-red" in r.className]
    assert len(red) == len(board.red)
    for row in board.rows:
        assert row.username in text
    links = " ".join(texts(r) for r in red)
    if any(r.state.code in ("no_show", "absent") for r in board.rows):
        assert "电话请假" in links
    if red:
        assert "补签" in links


def test_leader_sees_the_board_without_links(demo_app):
    render = today_page().render_today
    current, _old = semester_ids(demo_app)
    with logged_in(demo_app, "20242103"):
        body = render(current, 3)
    assert rows_of(body) and "补签" not in texts(body) and "电话请假" not in texts(body)


def test_past_semester_says_so_and_shows_the_current_one(demo_app):
    render = today_page().render_today
    current, old = semester_ids(demo_app)
    with logged_in(demo_app, "T0001"):
        body = render(old, None)
        now_body = render(current, None)
    assert "今天不在进行中" in texts(body)
    assert len(rows_of(body)) == len(rows_of(now_body)) > 0


def test_assistant_is_refused(demo_app):
    render = today_page().render_today
    current, _old = semester_ids(demo_app)
    with logged_in(demo_app, "20230215"), pytest.raises(Forbidden):
        render(current, None)


def test_a_busy_afternoon_shows_every_state(demo_app):
    current, _old = semester_ids(demo_app)
    demo_app.config["CLOCK"] = lambda: LIVELY_NOW
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, current)
        liven_today(session, semester)
        board = today_board(session, semester.team_id, LIVELY_NOW)
        report = build_report(session, semester, LIVELY_NOW)
        narrow = day_outcomes(session, semester, DEMO_TODAY, LIVELY_NOW)
    whole = [o for o in report.attendance.outcomes if o.duty.day == DEMO_TODAY]
    assert sorted(narrow, key=_key) == sorted(whole, key=_key)
    labels = {(r.name, r.state.label) for r in board.rows}
    codes = {r.state.code for r in board.rows}
    assert {"signed_out", "absent", "missed_sign_out", "leave", "signed_in", "no_show"} <= codes
    assert {"open", "upcoming", "extra"} <= codes
    late = [r for r in board.rows if r.state.label == "迟到 12 分钟"]
    assert len(late) == 1 and late[0].state.red  # late is red at once, before the end
    missing = [r for r in board.rows if r.state.code == "no_show"]
    assert [r.state.label for r in missing] == ["未到 20 分钟"]
    assert board.counts.late == 3 and board.counts.leave == 1 and board.counts.extra == 1
    assert len(labels) == len(board.rows)
    with logged_in(demo_app, "T0001"):
        body = today_page().render_today(current, 7)
    assert "更新于 14:20:00" in texts(body)
    red = [texts(r) for r in rows_of(body) if "today-red" in r.className]
    assert len(red) == len(board.red)
    assert all("补签" in t for t in red)
    assert sum("电话请假" in t for t in red) == sum(
        1 for r in board.rows if r.state.code in ("no_show", "absent")
    )


def test_attendance_export_sheet_uses_the_board_states(demo_app):
    current, _old = semester_ids(demo_app)
    demo_app.config["CLOCK"] = lambda: LIVELY_NOW
    with demo_app.app_context():
        session = get_session()
        semester = session.get(Semester, current)
        liven_today(session, semester)
        board = today_board(session, semester.team_id, LIVELY_NOW)
    attendance = importlib.import_module("dashboard.pages.attendance")
    with logged_in(demo_app, "T0001"):
        data = attendance.export_attendance(1, current)
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    rows = list(book["今日值班"].iter_rows(values_only=True))
    assert list(rows[0]) == FRAME_COLUMNS
    assert [r[4] for r in rows[1:]] == [r.state.label for r in board.rows]
    assert "迟到 12 分钟" in [r[4] for r in rows[1:]]


def test_overview_has_the_today_card_for_the_counselor_only(demo_app):
    overview = importlib.import_module("dashboard.pages.overview")
    current, _old = semester_ids(demo_app)
    with logged_in(demo_app, "T0001"):
        mine = overview.render_overview(current)
    with logged_in(demo_app, "20242103"):
        leaders = overview.render_overview(current)
    card = texts(mine.children[1])
    assert "今日值班" in card and "应到 17" in card and "缺勤" in card
    assert "今日值班" not in texts(leaders)


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (datetime(2026, 11, 22, 10, 0, tzinfo=LOCAL_TZ), "今天没有值班安排"),  # a Sunday
        (datetime(2027, 2, 10, 10, 0, tzinfo=LOCAL_TZ), "不在本队任何学期内"),  # winter break
    ],
)
def test_days_without_duties_say_so(demo_app, moment, message):
    current, _old = semester_ids(demo_app)
    demo_app.config["CLOCK"] = lambda: moment
    with logged_in(demo_app, "20242103"):
        body = today_page().render_today(current, None)
    assert message in texts(body) and rows_of(body) == []

"""月度汇总 (data/monthly.py): months add up to the semester workbook, months follow local dates,
the workbook's shape, and the 考勤 download."""

from __future__ import annotations

import base64
import importlib
import io
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from data.export import report_frames
from data.models import (
    CheckAction,
    CheckEvent,
    CheckMethod,
    OverrideKind,
    Semester,
    ShiftOverride,
    User,
)
from data.monthly import (
    COUNT_COLUMNS,
    MONTHLY_COLUMNS,
    monthly_frame,
    monthly_sheets,
    semester_months,
    window_report,
)
from data.report import build_report
from data.timeutil import LOCAL_TZ
from data.xlsx import workbook_bytes
from tests.conftest import DEMO_NOW
from tests.dash_helpers import logged_in
from web import get_session

pytestmark = pytest.mark.db

# 月度汇总 column → the semester workbook's 考勤汇总 column holding the same count.
SAME_AS_WORKBOOK = {
    "应值班次": "应值班次",
    "出勤": "出勤",
    "迟到次数": "迟到",
    "早退次数": "早退",
    "缺勤": "缺勤",
    "请假": "请假",
    "漏签退": "漏签退",
}


def demo_semesters(session) -> list[Semester]:
    return session.scalars(select(Semester).order_by(Semester.start)).all()


def test_months_add_up_to_the_semester_workbook_for_every_person(demo_db):
    with demo_db.session() as session:
        for semester in demo_semesters(session):
            report = build_report(session, semester, DEMO_NOW)
            workbook = report_frames(report)["考勤汇总"].set_index("学号")
            frame = monthly_frame(report)
            assert list(frame.columns) == MONTHLY_COLUMNS
            sums = frame.groupby("学号")[[*COUNT_COLUMNS, "工时(小时)", "加班工时"]].sum()
            assert set(sums.index) == set(workbook.index)
            months = len(semester_months(semester, DEMO_NOW.date()))
            for username, row in workbook.iterrows():
                for monthly, semestral in SAME_AS_WORKBOOK.items():
                    assert sums.loc[username, monthly] == row[semestral], (username, monthly)
                # Each month is rounded once (hours_of); the semester's 工时 is their sum.
                assert sums.loc[username, "工时(小时)"] == pytest.approx(
                    row["工时(小时)"], abs=1e-9
                )
                assert months >= 1
            member = {m.username: m for m in report.members}
            for username in workbook.index:
                late_minutes = member[username].attendance.late_minutes
                assert sums.loc[username, "迟到分钟"] == late_minutes
            assert (frame["加班工时"] <= frame["工时(小时)"]).all()
            assert frame["迟到次数"].sum() > 0  # the demo has lates in both semesters


def test_extra_hours_are_the_extra_duties_share_of_the_hours(demo_db):
    with demo_db.session() as session:
        semester = demo_semesters(session)[-1]
        report = build_report(session, semester, DEMO_NOW)
        extra_minutes = sum(o.credited_minutes for o in report.attendance.outcomes if o.duty.extra)
        frame = monthly_frame(report)
    assert extra_minutes > 0  # the demo has 加班
    assert frame["加班工时"].sum() == pytest.approx(extra_minutes / 60, abs=0.005 * len(frame))


def add_event(session, user_id: int, action: CheckAction, at: datetime, **duty) -> None:
    session.add(
        CheckEvent(user_id=user_id, action=action, at=at, method=CheckMethod.import_, **duty)
    )


def test_a_duty_belongs_to_the_month_of_its_local_date(db, team):
    """23:30 on 31 October in Shanghai is 15:30 UTC: October. 07:30 on 1 November is 23:30 UTC
    on 31 October: November."""
    with db.session() as session:
        semester = session.get(Semester, team.semester_id)
        zhang = session.scalar(select(User).where(User.username == team.assistants[0]))
        session.add(
            ShiftOverride(
                semester_id=semester.id,
                on=date(2026, 10, 31),
                kind=OverrideKind.extra,
                user_id=zhang.id,
                start=time(23, 20),
                end=time(23, 55),
                place_id=team.place_id,
            )
        )
        add_event(
            session, zhang.id, CheckAction.sign_in, datetime(2026, 10, 31, 15, 30, tzinfo=UTC)
        )
        add_event(
            session, zhang.id, CheckAction.sign_out, datetime(2026, 10, 31, 15, 55, tzinfo=UTC)
        )
        # 加班 with no duty: 07:30–08:30 on 1 November, local.
        add_event(
            session, zhang.id, CheckAction.sign_in, datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
        )
        add_event(session, zhang.id, CheckAction.sign_out, datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
        session.flush()
        report = build_report(session, semester, datetime(2026, 11, 2, 12, 0, tzinfo=LOCAL_TZ))
        frame = monthly_frame(report).set_index(["学号", "月份"])
    october, november = (
        frame.loc[(zhang.username, "2026-10")],
        frame.loc[(zhang.username, "2026-11")],
    )
    late = [o for o in report.attendance.outcomes if o.duty.day == date(2026, 10, 31)]
    assert [o.status for o in late] == ["late"]  # signed in 23:30 for 23:20: 10 minutes late
    assert october["迟到次数"] == 1 and october["迟到分钟"] == late[0].late_minutes
    assert october["加班工时"] == 0
    assert november["加班工时"] == 1.0 and november["工时(小时)"] == 1.0
    assert november["迟到次数"] == 0
    assert list(frame.index.get_level_values("月份").unique()) == ["2026-09", "2026-10", "2026-11"]


def test_window_report_counts_only_the_window(demo_db):
    with demo_db.session() as session:
        semester = demo_semesters(session)[-1]
        report = build_report(session, semester, DEMO_NOW)
        november = window_report(report, date(2026, 11, 1), date(2026, 11, 30))
        frame = monthly_frame(report)
    assert all(o.duty.day.month == 11 for o in november.attendance.outcomes)
    rows = frame[frame["月份"] == "2026-11"].set_index("学号")
    for m in november.members:
        assert m.attendance.expected == rows.loc[m.username, "应值班次"]
        assert m.hours == rows.loc[m.username, "工时(小时)"]
    assert window_report(report, semester.start, semester.end) is report


def test_workbook_has_frozen_header_widths_and_a_totals_row(demo_db):
    with demo_db.session() as session:
        report = build_report(session, demo_semesters(session)[-1], DEMO_NOW)
        frame = monthly_frame(report)
        data = workbook_bytes(monthly_sheets(report))
    sheet = load_workbook(io.BytesIO(data))["月度汇总"]
    header = [c.value for c in sheet[1]]
    assert header == MONTHLY_COLUMNS
    assert sheet.freeze_panes == "A2"
    for column in "ABCDEFGHIJKLM":
        assert sheet.column_dimensions[column].width >= 8
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "合计"
    assert sheet.max_row == len(frame) + 2  # header + rows + 合计
    for index, name in enumerate(MONTHLY_COLUMNS):
        if name in COUNT_COLUMNS:
            assert last[index] == frame[name].sum(), name
    assert last[MONTHLY_COLUMNS.index("工时(小时)")] == pytest.approx(frame["工时(小时)"].sum())


def test_attendance_page_offers_the_monthly_download(demo_app):
    attendance = importlib.import_module("dashboard.pages.attendance")
    with logged_in(demo_app, "T0001"):
        session = get_session()
        semester = demo_semesters(session)[-1]
        data = attendance.export_monthly(1, semester.id)
        report = build_report(session, semester, DEMO_NOW)
    assert data["filename"] == f"月度汇总-{semester.name}.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(data["content"])))["月度汇总"]
    assert sheet.max_row == len(monthly_frame(report)) + 2


def test_assistants_cannot_download_it(demo_app):
    from werkzeug.exceptions import Forbidden

    attendance = importlib.import_module("dashboard.pages.attendance")
    with logged_in(demo_app, "20230215"):
        semester_id = demo_semesters(get_session())[-1].id
        with pytest.raises(Forbidden):
            attendance.export_monthly(1, semester_id)

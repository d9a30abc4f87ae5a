"""交办任务 (第六条五): the state machine, the status at a moment and the one count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.policy.assessment import AssessmentInput, assess
from data.policy.settings import BOUNDS, PolicySettings, SettingsError
from data.policy.tasks import (
    Actor,
    Status,
    TaskAct,
    TaskCounts,
    TaskRow,
    TaskState,
    deadline_month,
    is_overdue,
    may_act,
    next_state,
    task_counts,
    task_status,
)
from data.policy.types import AttendanceSummary
from data.policy.warnings import assess_warnings
from data.timeutil import local_to_utc

# 2026-12-01 18:00 in Shanghai is 10:00 UTC.
DEADLINE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
BEFORE = DEADLINE - timedelta(minutes=1)
AFTER = DEADLINE + timedelta(minutes=1)


def test_transitions_given_done_sent_back_done_accepted():
    state = TaskState.open
    state = next_state(TaskAct.mark_done, state)
    assert state == TaskState.done
    state = next_state(TaskAct.send_back, state)
    assert state == TaskState.sent_back
    state = next_state(TaskAct.mark_done, state)
    assert state == TaskState.done
    state = next_state(TaskAct.accept, state)
    assert state == TaskState.accepted


@pytest.mark.parametrize(
    ("act", "state"),
    [
        (TaskAct.accept, TaskState.open),
        (TaskAct.send_back, TaskState.open),
        (TaskAct.mark_done, TaskState.done),
        (TaskAct.accept, TaskState.sent_back),
        (TaskAct.send_back, TaskState.sent_back),
        (TaskAct.mark_done, TaskState.accepted),
        (TaskAct.accept, TaskState.accepted),
        (TaskAct.send_back, TaskState.accepted),
    ],
)
def test_every_other_transition_is_refused(act, state):
    assert next_state(act, state) is None


def test_who_may_act():
    giver, assignee, other = 1, 2, 3
    assert may_act(TaskAct.mark_done, Actor(assignee), giver, assignee)
    assert not may_act(TaskAct.mark_done, Actor(giver), giver, assignee)
    assert not may_act(TaskAct.mark_done, Actor(other, counselor=True), giver, assignee)
    for act in (TaskAct.accept, TaskAct.send_back):
        assert may_act(act, Actor(giver), giver, assignee)
        assert may_act(act, Actor(other, counselor=True), giver, assignee)
        assert not may_act(act, Actor(assignee), giver, assignee)
        assert not may_act(act, Actor(other), giver, assignee)
        assert may_act(act, Actor(other, counselor=True), None, assignee)  # giver deleted


def test_deadline_is_college_time():
    deadline = local_to_utc(DEADLINE.date(), datetime(2026, 12, 1, 18, 0).time())
    assert deadline == DEADLINE
    # 23:30 Shanghai on Nov 30 is 15:30 UTC: its month is November, not December.
    late_evening = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    assert deadline_month(TaskRow(1, late_evening)) == "2026-11"
    assert deadline_month(TaskRow(1, late_evening + timedelta(minutes=31))) == "2026-12"


@pytest.mark.parametrize(
    ("row", "now", "status"),
    [
        (TaskRow(1, DEADLINE), DEADLINE - timedelta(hours=25), Status.open),
        (TaskRow(1, DEADLINE), DEADLINE - timedelta(hours=24), Status.due_soon),
        (TaskRow(1, DEADLINE), DEADLINE, Status.due_soon),  # at the deadline: not yet overdue
        (TaskRow(1, DEADLINE), AFTER, Status.overdue),
        (TaskRow(1, DEADLINE, TaskState.done, BEFORE), AFTER, Status.done),
        (TaskRow(1, DEADLINE, TaskState.done, DEADLINE), AFTER, Status.done),
        (TaskRow(1, DEADLINE, TaskState.done, AFTER), AFTER, Status.done_late),
        (TaskRow(1, DEADLINE, TaskState.accepted, BEFORE), AFTER, Status.accepted),
        (TaskRow(1, DEADLINE, TaskState.accepted, AFTER), AFTER, Status.accepted_late),
        (TaskRow(1, DEADLINE, TaskState.sent_back, None, 1), BEFORE, Status.sent_back),
        (TaskRow(1, DEADLINE, TaskState.sent_back, None, 1), AFTER, Status.overdue),
    ],
)
def test_status(row, now, status):
    assert task_status(row, now, 24) == status


def test_counts_define_overdue_once():
    rows = [
        TaskRow(1, DEADLINE, TaskState.accepted, BEFORE),  # on time
        TaskRow(1, DEADLINE, TaskState.done, BEFORE),  # on time, waiting for review
        TaskRow(1, DEADLINE, TaskState.done, AFTER),  # done late: overdue once
        TaskRow(1, DEADLINE),  # open past the deadline: overdue
        TaskRow(1, DEADLINE, TaskState.sent_back, None, 2),  # sent back twice: overdue, once
        TaskRow(1, DEADLINE + timedelta(days=3)),  # not due yet: pending
    ]
    counts = task_counts(rows, AFTER)
    assert counts == TaskCounts(given=6, done_on_time=2, overdue=3, sent_back=1, pending=1)
    # Before the deadline nothing is overdue yet, and a done-late row cannot exist then.
    assert task_counts(rows[:2] + rows[3:], BEFORE).overdue == 0
    assert counts.line() == "交办任务 6 项：按时完成 2，逾期 3，被退回 1"


rows_strategy = st.lists(
    st.builds(
        TaskRow,
        user_id=st.just(1),
        deadline=st.sampled_from([BEFORE, DEADLINE, AFTER]),
        state=st.sampled_from(list(TaskState)),
        done_at=st.sampled_from([None, BEFORE, DEADLINE, AFTER]),
        send_backs=st.integers(0, 3),
    ),
    max_size=20,
)


@given(rows_strategy, st.sampled_from([BEFORE, DEADLINE, AFTER, AFTER + timedelta(days=9)]))
def test_counts_partition_and_grow_with_time(rows, now):
    counts = task_counts(rows, now)
    assert counts.done_on_time + counts.overdue + counts.pending == counts.given == len(rows)
    assert 0 <= counts.sent_back <= counts.given
    later = task_counts(rows, now + timedelta(days=30))
    assert later.overdue >= counts.overdue  # time never makes a task less overdue
    assert later.done_on_time == counts.done_on_time
    assert all(is_overdue(r, now) == is_overdue(r, now) for r in rows)


def test_warning_is_info_or_warning_by_setting():
    summary = AttendanceSummary()
    info = assess_warnings(summary, overdue_tasks=2, settings=PolicySettings())
    assert info.level == "info"
    assert info.reasons == ["交办任务逾期 2 项"]
    assert info.evidence == [("overdue_task", 2, "info")]
    strict = PolicySettings(overdue_task_is_warning=True)
    assert assess_warnings(summary, overdue_tasks=1, settings=strict).level == "warning"
    back = assess_warnings(summary, sent_back_tasks=1, settings=PolicySettings())
    assert (back.level, back.reasons) == ("info", ["交办任务被退回 1 项"])
    assert assess_warnings(summary, settings=PolicySettings()).level is None


def test_assessment_deducts_per_overdue_task_from_records_only():
    base = AssessmentInput(record_compliance=1.0, counselor_score=20, peer_scores=[10])
    line = "交办任务 3 项：按时完成 1，逾期 2"
    with_tasks = AssessmentInput(**{**base.__dict__, "overdue_tasks": 2, "task_line": line})
    default = assess(with_tasks, PolicySettings())
    assert default.records == assess(base, PolicySettings()).records == 20  # default: 0 points
    assert line in default.reasons
    deducting = PolicySettings(overdue_task_deduction=3)
    assert assess(with_tasks, deducting).records == 14
    assert assess(with_tasks, deducting).attendance == assess(base, deducting).attendance
    floor = assess(with_tasks, PolicySettings(overdue_task_deduction=50))
    assert floor.records == 0  # never below zero


def test_task_settings_are_bounded():
    assert BOUNDS["overdue_task_deduction"] == (0, 100)
    with pytest.raises(SettingsError):
        PolicySettings(overdue_task_deduction=101)
    with pytest.raises(SettingsError):
        PolicySettings(task_due_soon_hours=0)
    assert PolicySettings.from_dict({"overdue_task_deduction": -1}).overdue_task_deduction == 0

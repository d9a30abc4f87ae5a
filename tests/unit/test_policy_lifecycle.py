"""Lifecycle: trial (第四条), training (第八条二), dismissal and resignation (第九条四五), meetings (第七条一)."""

from __future__ import annotations

from datetime import date

import pytest

from data.policy.lifecycle import (
    dismissal_proposals,
    meeting_progress,
    resignation_notice_ok,
    training_ok,
    trial_due,
    trial_end,
)
from data.policy.settings import PolicySettings

S = PolicySettings()
END = date(2027, 1, 15)


def test_art4_trial_is_one_month_default_30_days():
    assert trial_end(date(2026, 9, 1), S) == date(2026, 10, 1)
    assert not trial_due(date(2026, 9, 1), date(2026, 9, 30), S)
    assert trial_due(date(2026, 9, 1), date(2026, 10, 1), S)
    assert trial_end(date(2026, 9, 1), S.replace(trial_days=14)) == date(2026, 9, 15)


@pytest.mark.parametrize(
    ("requested", "leaving", "ok"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), True),  # exactly 30 days
        (date(2026, 10, 2), date(2026, 10, 31), False),  # 29 days
        (date(2026, 9, 1), date(2026, 12, 1), True),
    ],
)
def test_art9_resignation_needs_a_month_notice(requested, leaving, ok):
    assert resignation_notice_ok(requested, leaving, S) is ok


@pytest.mark.parametrize(
    ("args", "kwargs", "reasons"),
    [
        ((0, 0, "qualified"), {}, []),
        ((1, 0, "qualified"), {}, ["课程考试不及格 1 门"]),
        ((0, 2, None), {}, ["违反学校规章制度 2 次"]),
        ((0, 0, "unqualified"), {}, ["考核为不合格"]),
        ((0, 0, "excellent"), {"poor_performance": True}, ["工作表现不佳"]),
        ((0, 0, "qualified"), {"duties_unfulfilled": True}, ["未能履行规定工作职责"]),
    ],
)
def test_art9_dismissal_proposals(args, kwargs, reasons):
    assert dismissal_proposals(*args, **kwargs) == reasons


def test_art7_meeting_progress_counts_held_meetings():
    meetings = [(date(2026, 9, 10), True), (date(2026, 12, 1), True)]
    assert meeting_progress(meetings, S, date(2026, 10, 1), END) == (1, 2, 0, False)


def test_art7_meeting_progress_warns_in_last_four_weeks_when_short():
    meetings = [(date(2026, 9, 10), True)]
    assert meeting_progress(meetings, S, date(2026, 12, 17), END).warn is False
    assert meeting_progress(meetings, S, date(2026, 12, 18), END).warn is True  # END − 28 days
    two = [*meetings, (date(2026, 12, 1), True)]
    assert meeting_progress(two, S, date(2027, 1, 10), END).warn is False


def test_art7_meeting_without_minutes_warns():
    meetings = [(date(2026, 9, 10), False)]
    progress = meeting_progress(meetings, S, date(2026, 10, 1), END)
    assert (progress.held, progress.missing_minutes, progress.warn) == (1, 1, True)


def test_art8_training_at_least_once():
    assert not training_ok(0, S)
    assert training_ok(1, S)
    assert not training_ok(1, S.replace(trainings_required=2))

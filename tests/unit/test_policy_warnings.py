"""Warnings (第七条三 奖惩制度): 提醒 / 警告 / 不合格风险."""

from __future__ import annotations

import pytest

from data.policy.settings import PolicySettings
from data.policy.types import AttendanceSummary
from data.policy.warnings import LEVEL_LABELS, Level, assess_warnings

S = PolicySettings()


def warn(late=0, absent=0, missed=0, weeks=0, after_start=0, meetings=0, settings=S):
    summary = AttendanceSummary(late=late, absent=absent, missed_sign_out=missed)
    return assess_warnings(
        summary,
        weeks_without_summary=weeks,
        after_start_leaves=after_start,
        unexcused_meeting_absences=meetings,
        settings=settings,
    )


@pytest.mark.parametrize(
    ("kwargs", "level"),
    [
        ({}, None),
        ({"late": 1}, "info"),
        ({"missed": 1}, "info"),
        ({"weeks": 1}, "info"),
        ({"late": 2}, "warning"),
        ({"absent": 1}, "warning"),
        ({"after_start": 1}, "warning"),
        ({"late": 3}, "critical"),
        ({"late": 5}, "critical"),
        ({"absent": 2}, "critical"),
        ({"meetings": 1}, "critical"),
        ({"late": 1, "absent": 2, "weeks": 3}, "critical"),
    ],
)
def test_art7_warning_table(kwargs, level):
    assert warn(**kwargs).level == level


def test_art7_two_lates_warn_one_more_is_unqualified():
    result = warn(late=2)
    assert result.level == Level.warning
    assert result.label == "警告"
    assert result.reasons == ["已迟到 2 次，再迟到 1 次将评为不合格"]


def test_art7_three_lates_is_critical_because_yishang_includes_three():
    result = warn(late=3)
    assert result.reasons == ["已迟到 3 次（迟到三次以上评为不合格）"]
    assert result.label == "不合格风险"


def test_art7_reasons_most_severe_first_with_evidence():
    result = warn(late=1, absent=1, meetings=1, weeks=2)
    assert [e[0] for e in result.evidence] == [
        "meeting_absence",
        "absent",
        "late",
        "weekly_summary",
    ]
    assert result.evidence[0] == ("meeting_absence", 1, "critical")
    assert result.reasons[-1] == "2 周未写周总结"


def test_art7_thresholds_come_from_settings():
    strict = S.replace(late_info=1, late_warning=1, late_critical=2)
    assert warn(late=1, settings=strict).level == "warning"
    assert warn(late=2, settings=strict).reasons == ["已迟到 2 次（迟到二次以上评为不合格）"]


def test_level_labels_are_chinese():
    assert {str(k): v for k, v in LEVEL_LABELS.items()} == {
        "info": "提醒",
        "warning": "警告",
        "critical": "不合格风险",
    }
    assert warn().label == ""

"""Assessment (第七条三、第九条): score, grade, hard rules and the 优秀 quota."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.policy.assessment import AssessmentInput, AssessmentResult, apply_excellent_quota, assess
from data.policy.settings import PolicySettings

S = PolicySettings()
PERFECT = dict(
    record_compliance=1.0,
    meetings_total=2,
    meetings_attended=2,
    counselor_score=20,
    peer_scores=[10, 10],
)


def grade_of(**kwargs):
    return assess(AssessmentInput(**{**PERFECT, **kwargs}), S)


def test_art9_perfect_semester_is_excellent():
    result = grade_of()
    assert (result.attendance, result.records, result.meetings) == (40, 20, 10)
    assert (result.counselor, result.peer, result.total, result.grade) == (20, 10, 100, "excellent")
    assert result.reasons == []


@pytest.mark.parametrize(
    ("kwargs", "attendance"),
    [
        ({"late": 1}, 35),
        ({"late": 2, "early": 1}, 27),
        ({"absent": 1, "missed_sign_out": 1}, 25),
        ({"absent": 5}, 0),  # floor 0
    ],
)
def test_art9_attendance_score_table(kwargs, attendance):
    assert grade_of(**kwargs).attendance == attendance


def test_art9_records_and_meetings_scores():
    result = grade_of(record_compliance=0.5, meetings_total=4, meetings_attended=3)
    assert (result.records, result.meetings) == (10, 7.5)
    assert grade_of(meetings_total=0, meetings_attended=0).meetings == 10


def test_art9_peer_score_is_the_mean_and_total_rounds_half_up():
    result = grade_of(peer_scores=[9, 8, 8.5], record_compliance=0.9125)
    assert result.peer == 8.5
    assert result.records == 18.3  # 18.25 → 18.3, half up
    assert result.total == 40 + 18.3 + 10 + 20 + 8.5


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"counselor_score": 10}, "excellent"),  # 90
        ({"counselor_score": 9.9}, "qualified"),  # 89.9
        ({"counselor_score": 0, "peer_scores": [0], "record_compliance": 0.5}, "qualified"),  # 60
        ({"counselor_score": 0, "peer_scores": [0], "record_compliance": 0.49}, "unqualified"),
    ],
)
def test_art9_grade_boundaries(kwargs, grade):
    assert grade_of(**kwargs).grade == grade


def test_art7_three_lates_is_unqualified():
    result = grade_of(late=3)
    assert result.total == 85
    assert result.grade == "unqualified"
    assert result.reasons == ["迟到 3 次（迟到 3 次以上评为不合格）"]


def test_art7_two_lates_is_not_forced_unqualified():
    result = grade_of(late=2)
    assert (result.total, result.grade) == (90, "excellent")


def test_art7_unexcused_meeting_absence_is_unqualified():
    result = grade_of(meetings_attended=1, unexcused_meeting_absences=1)
    assert (result.meetings, result.grade) == (0, "unqualified")
    assert "例会旷到 1 次" in result.reasons


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"course_failures": 1}, "课程考试不及格 1 门"), ({"violations": 2}, "违反学校规章制度 2 次")],
)
def test_art9_course_failure_or_violation_is_unqualified(kwargs, reason):
    result = grade_of(**kwargs)
    assert (result.grade, result.reasons) == ("unqualified", [reason])


def test_art7_commendations_are_listed_and_change_no_score():
    plain = grade_of(late=3)
    praised = grade_of(late=3, commendations=("迎新加班", "获校级表彰"))
    assert praised.reasons == [*plain.reasons, "嘉奖：迎新加班", "嘉奖：获校级表彰"]
    # A commendation never lifts a hard 不合格 nor adds points (第七条三 keeps them apart).
    assert (
        (praised.total, praised.grade)
        == (plain.total, plain.grade)
        == (praised.total, "unqualified")
    )


def test_art9_low_total_gives_reason():
    result = grade_of(counselor_score=0, peer_scores=[0], record_compliance=0)
    assert result.grade == "unqualified"
    assert result.reasons == ["总分 50.0 低于合格线 60"]


def test_art9_missing_evaluations_count_zero_and_say_so():
    result = grade_of(counselor_score=None, peer_scores=[])
    assert (result.counselor, result.peer, result.total) == (0, 0, 70)
    assert result.reasons == ["兼辅评价未录入，按 0 分计", "无同学互评，按 0 分计"]


def _result(total, grade="excellent", attendance=40.0):
    return AssessmentResult(attendance, 20, 10, 20, 10, total, grade, [])


def test_art7_excellent_quota_off_by_default():
    results = {1: _result(95), 2: _result(92)}
    assert apply_excellent_quota(results, S) == results


def test_art7_excellent_quota_keeps_the_top_share():
    results = {i: _result(100 - i) for i in range(1, 11)}  # ten excellent
    results[11] = _result(70, "qualified")
    out = apply_excellent_quota(results, S.replace(excellent_quota=0.2))
    # ceil(0.2 × 11) = 3 places
    assert [uid for uid, r in out.items() if r.grade == "excellent"] == [1, 2, 3]
    assert out[4].grade == "qualified"
    assert out[4].reasons == ["优秀名额 3 名（比例 20%），总分排名第 4，评为合格"]
    assert out[11] == results[11]


def test_art7_excellent_quota_ceil_is_exact():
    results = {i: _result(95) for i in range(30)}
    out = apply_excellent_quota(results, S.replace(excellent_quota=0.1))
    assert sum(r.grade == "excellent" for r in out.values()) == 3  # not ceil(3.0000000000000004)


def test_art7_excellent_quota_tie_broken_by_attendance_then_id():
    results = {5: _result(95, attendance=35), 6: _result(95, attendance=40), 7: _result(95)}
    out = apply_excellent_quota(results, S.replace(excellent_quota=0.5))  # 2 places
    assert {uid for uid, r in out.items() if r.grade == "excellent"} == {6, 7}


# -- estimates before publication (SPEC §3 Assessment; issue 10 item 4) -------------------------


def estimate_of(**kwargs):
    return assess(AssessmentInput(**{**PERFECT, **kwargs, "estimate": True}), S)


def test_estimate_leaves_out_missing_parts_and_scales():
    # 35 + 18.3 + 10 = 63.3 of 70 → 90.428… → 90.4
    result = estimate_of(late=1, record_compliance=0.9125, counselor_score=None, peer_scores=[])
    assert (result.attendance, result.records, result.meetings) == (35, 18.3, 10)
    assert (result.counselor, result.peer) == (0, 0)
    assert (result.total, result.grade) == (90.4, "excellent")
    assert result.estimate and result.missing_parts == ("counselor", "peer")
    assert result.reasons == ["预估：兼辅评价、同学互评尚未录入，按已有部分折算"]


def test_estimate_with_only_peer_missing_scales_over_ninety():
    # 40 + 10 + 10 + 12 = 72 of 90 → 80.0
    result = estimate_of(record_compliance=0.5, counselor_score=12, peer_scores=[])
    assert result.total == 80
    assert result.missing_parts == ("peer",)
    assert result.reasons == ["预估：同学互评尚未录入，按已有部分折算"]


def test_estimate_rounds_half_up_after_scaling():
    # 40 + 18.3 + 10 + 3.1 = 71.4 of 80 → exactly 89.25 → 89.3 (float math gives 89.2)
    result = estimate_of(record_compliance=0.9125, counselor_score=None, peer_scores=[3.1])
    assert result.missing_parts == ("counselor",)
    assert (result.total, result.grade) == (89.3, "qualified")


def test_estimate_scales_to_the_sum_of_all_maxima():
    # records out of 30: 40 + 20 + 10 = 70 of 80 kept, full score 110 → 96.25 → 96.3
    result = assess(
        AssessmentInput(record_compliance=2 / 3, estimate=True), S.replace(records_max=30)
    )
    assert result.records == 20.0
    assert result.total == 96.3


def test_estimate_with_every_part_entered_equals_the_final_total():
    kwargs = dict(late=2, early=1, record_compliance=0.8125, counselor_score=15.5, peer_scores=[8])
    final, estimate = grade_of(**kwargs), estimate_of(**kwargs)
    assert estimate.total == final.total
    assert estimate.grade == final.grade
    assert estimate.reasons == final.reasons
    assert estimate.estimate and not final.estimate and estimate.missing_parts == ()


def test_estimate_keeps_hard_rules():
    result = estimate_of(late=3, counselor_score=None, peer_scores=[])
    assert result.grade == "unqualified"
    assert result.reasons[0] == "迟到 3 次（迟到 3 次以上评为不合格）"
    assert result.reasons[-1] == "预估：兼辅评价、同学互评尚未录入，按已有部分折算"


def test_after_publication_missing_evaluations_still_count_zero():
    kwargs = dict(counselor_score=None, peer_scores=[], record_compliance=0.2)
    assert grade_of(**kwargs).grade == "unqualified"  # 40 + 4 + 10 = 54
    assert estimate_of(**kwargs).grade == "qualified"  # 54 of 70 → 77.1


@settings(deadline=None, max_examples=300)
@given(
    meetings=st.integers(0, 6),
    counselor=st.none() | st.floats(0, 20).map(lambda x: round(x, 1)),
    peers=st.lists(st.floats(0, 10).map(lambda x: round(x, 1)), max_size=6),
)
def test_estimate_never_fails_a_clean_record_for_missing_evaluations(meetings, counselor, peers):
    """No lates, absences or missed sign-outs, full records and meetings: at least 合格."""
    result = assess(
        AssessmentInput(
            record_compliance=1.0,
            meetings_total=meetings,
            meetings_attended=meetings,
            counselor_score=counselor,
            peer_scores=peers,
            estimate=True,
        ),
        S,
    )
    assert result.grade in ("qualified", "excellent")
    if counselor is None and not peers:
        assert (result.total, result.grade) == (100, "excellent")

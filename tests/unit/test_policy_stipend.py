"""Stipend (第八条三 酬金发放、第九条三 按考核结果发放)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from data.policy.settings import PolicySettings
from data.policy.stipend import compute_stipend

S = PolicySettings()


def test_art9_qualified_pays_hours_times_rate():
    result = compute_stipend({"2026-09": 600, "2026-10": 1200}, "qualified", Decimal("0"), S)
    assert result.monthly == {
        "2026-09": (Decimal("10.00"), Decimal("10.00")),
        "2026-10": (Decimal("20.00"), Decimal("20.00")),
    }
    assert (result.hours, result.factor, result.amount) == (
        Decimal("30.00"),
        Decimal("1.0"),
        Decimal("600.00"),
    )


def test_art8_monthly_cap_is_40_hours():
    result = compute_stipend({"2026-09": 50 * 60, "2026-10": 10 * 60}, "qualified", 0, S)
    assert result.monthly["2026-09"] == (Decimal("50.00"), Decimal("40.00"))
    assert result.hours == Decimal("50.00")
    assert result.amount == Decimal("1000.00")


@pytest.mark.parametrize(
    ("grade", "amount"),
    [("excellent", "240.00"), ("qualified", "200.00"), ("unqualified", "100.00")],
)
def test_art9_grade_factor(grade, amount):
    assert compute_stipend({"2026-09": 600}, grade, 0, S).amount == Decimal(amount)


def test_art7_commendation_bonus_is_added():
    result = compute_stipend({"2026-09": 600}, "excellent", Decimal("50"), S)
    assert (result.bonus, result.amount) == (Decimal("50.00"), Decimal("290.00"))


def test_art9_amount_rounds_half_up_from_shown_hours():
    # 10 min = 0.1666… h → 0.17 h shown; 0.17 × 20 × 1.2 = 4.08
    result = compute_stipend({"2026-09": 10}, "excellent", 0, S)
    assert (result.hours, result.amount) == (Decimal("0.17"), Decimal("4.08"))
    odd = S.replace(hourly_rate=20.125)
    assert compute_stipend({"2026-09": 60}, "qualified", 0, odd).amount == Decimal("20.13")


def test_unknown_grade_is_rejected_in_chinese():
    with pytest.raises(ValueError, match="未知的考核等级"):
        compute_stipend({}, "good", 0, S)


def test_no_hours_pays_only_the_bonus():
    assert compute_stipend({}, "qualified", Decimal("12.5"), S).amount == Decimal("12.50")

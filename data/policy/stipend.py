"""Stipend (第八条三、第九条三): capped monthly hours × rate × grade factor + commendation bonus."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from data.policy.settings import PolicySettings

CENT = Decimal("0.01")


def _dec(value: float | int | Decimal) -> Decimal:
    # str() first: Decimal(0.1) would carry the binary float's error into money.
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class StipendResult:
    """monthly maps 'YYYY-MM' to (credited hours, capped hours); hours is the capped total."""

    monthly: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    hours: Decimal = Decimal("0.00")
    factor: Decimal = Decimal("1")
    bonus: Decimal = Decimal("0.00")
    amount: Decimal = Decimal("0.00")


def compute_stipend(
    minutes_by_month: dict[str, int],
    grade: str,
    bonus: Decimal | float | int,
    settings: PolicySettings,
) -> StipendResult:
    """One assistant's stipend for the months given (SPEC §3 stipend)."""
    if grade not in settings.grade_factors:
        raise ValueError(f"未知的考核等级：{grade}")
    cap = _dec(settings.monthly_cap_hours)
    rate = _dec(settings.hourly_rate)
    factor = _dec(settings.grade_factors[grade])
    bonus = _dec(bonus)
    monthly: dict[str, tuple[Decimal, Decimal]] = {}
    for month in sorted(minutes_by_month):
        credited = hours_of(minutes_by_month[month])
        monthly[month] = (credited, min(credited, cap))
    # The finance sheet shows hours to 0.01 h; the amount is computed from those shown hours
    # so anyone can check hours × rate × factor + bonus on paper.
    hours = sum((capped for _, capped in monthly.values()), Decimal("0.00"))
    amount = _cents(hours * rate * factor + bonus)
    return StipendResult(monthly, hours, factor, _cents(bonus), amount)


def hours_of(minutes: int) -> Decimal:
    """A month's credited minutes as hours to 0.01 h: the one rounding of 工时 (SPEC §3).

    A semester's 工时 is the sum of its months' (data.report.MemberReport.hours), so the
    月度汇总, the stipend's months and the 考勤汇总 add up to the cent.
    """
    return _cents(Decimal(max(0, minutes)) / 60)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)

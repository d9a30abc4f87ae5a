"""补贴 (第八条三、第九条三): computed by the engine, then draft → approved → paid.

"计算" stores the engine's numbers (``build_report`` members' stipend) as ``Stipend`` rows: one
semester total (month '') and one row per month. Once any row is approved, the numbers are
frozen: recomputing would change money someone has signed off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Semester, Stipend, StipendStatus, User
from data.report import MemberReport, build_report
from data.services import Refused, audit

CENT = Decimal("0.01")
# target status → (the status it must come from, the refusal when it does not)
TRANSITIONS = {
    StipendStatus.approved: (StipendStatus.draft, "只有草稿状态的补贴可以审批"),
    StipendStatus.paid: (StipendStatus.approved, "只有已审批的补贴可以标记为已发放"),
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rows_of(session: Session, semester: Semester) -> list[Stipend]:
    """The semester's stipend rows, by person then month (the total, month '', first)."""
    query = select(Stipend).where(Stipend.semester_id == semester.id)
    return list(session.scalars(query.order_by(Stipend.user_id, Stipend.month)))


def usernames(session: Session, semester: Semester) -> dict[int, str]:
    query = select(User.id, User.username).where(User.team_id == semester.team_id)
    return dict(session.execute(query).all())


@dataclass(frozen=True)
class Computed:
    count: int
    estimate: bool  # the term is not over: grades, and so the money, are 预估


def _member_rows(semester: Semester, member: MemberReport, rate: Decimal) -> list[Stipend]:
    """The total row and one row per month with paid hours."""
    result = member.stipend
    rows = [
        Stipend(
            semester_id=semester.id,
            user_id=member.user_id,
            month="",
            hours=result.hours,
            rate=rate,
            grade_factor=result.factor,
            bonus=result.bonus,
            amount=result.amount,
        )
    ]
    for month, (_credited, capped) in result.monthly.items():
        if not capped:
            continue  # a month of absences only: nothing to pay, no row to approve
        rows.append(
            Stipend(
                semester_id=semester.id,
                user_id=member.user_id,
                month=month,
                hours=capped,
                rate=rate,
                grade_factor=result.factor,
                bonus=Decimal("0"),
                amount=cents(capped * rate * result.factor),
            )
        )
    return rows


def compute(
    session: Session, actor: User, semester: Semester, *, at: datetime, ip: str = ""
) -> Computed:
    """Replace the draft rows with the engine's numbers; refused once any row is signed off."""
    existing = rows_of(session, semester)
    if any(r.status is not StipendStatus.draft for r in existing):
        raise Refused("已有审批或发放的补贴，不能重新计算")
    report = build_report(session, semester, at)
    if not report.members:
        raise Refused("本学期没有在岗的助管")
    rate = Decimal(str(report.attendance.settings.hourly_rate))
    names = usernames(session, semester)
    before = {names[r.user_id]: str(r.amount) for r in existing if not r.month}
    for row in existing:
        session.delete(row)
    session.flush()  # the unique (semester, user, month) rows are replaced below
    after = {}
    for member in report.members:
        session.add_all(_member_rows(semester, member, rate))
        after[member.username] = str(member.stipend.amount)
    audit(
        session,
        actor,
        "stipend.compute",
        "semester",
        semester.id,
        before or None,
        after,
        at=at,
        ip=ip,
    )
    return Computed(len(after), not report.assessed)


def transition(
    session: Session,
    actor: User,
    semester: Semester,
    target: str,
    user_id: int | None,
    *,
    at: datetime,
    ip: str = "",
) -> int:
    """Approve or mark paid one person's rows (``user_id``) or every eligible row; returns the
    number of people moved."""
    if target not in (StipendStatus.approved.value, StipendStatus.paid.value):
        raise Refused("无效的操作")
    status = StipendStatus(target)
    source, refusal = TRANSITIONS[status]
    rows = rows_of(session, semester)
    if user_id is not None:
        rows = [r for r in rows if r.user_id == user_id]
        if not rows:
            raise Refused("该助管没有补贴记录，请先计算")
        if any(r.status is not source for r in rows):
            raise Refused(refusal)
    else:
        rows = [r for r in rows if r.status is source]
        if not rows:
            raise Refused(refusal + "（没有符合条件的记录）")
    names = usernames(session, semester)
    totals = [r for r in rows if not r.month]
    before = {names[r.user_id]: r.status for r in totals}
    for row in rows:
        row.status = status
        if status is StipendStatus.approved:
            row.approved_by_id = actor.id
        else:
            row.paid_at = at
    after = {names[r.user_id]: r.status for r in totals}
    action = "stipend.approve" if status is StipendStatus.approved else "stipend.pay"
    entity_id = user_id if user_id is not None else f"semester-{semester.id}"
    audit(session, actor, action, "stipend", entity_id, before, after, at=at, ip=ip)
    return len(totals)

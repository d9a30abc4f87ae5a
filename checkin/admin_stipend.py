"""补贴 (第八条三、第九条三): computed by the engine, then draft → approved → paid.

"计算" stores the engine's numbers (``build_report`` members' stipend) as ``Stipend`` rows: one
semester total (month '') and one row per month. Once any row is approved, the numbers are
frozen: recomputing would change money someone has signed off. The finance export has the
SPEC §6 ``补贴`` sheet plus the short sheet a bank transfer needs.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import roles_required
from checkin.common import (
    audit,
    form_semester,
    parse_id,
    pick_semester,
    team_semesters,
    xlsx_response,
)
from data.attendance import team_settings
from data.export import SHEETS
from data.models import GRADE_LABELS, Grade, Role, Semester, Stipend, StipendStatus, User
from data.report import build_report
from web import get_session, now

READERS = (Role.counselor, Role.leadership)
CENT = Decimal("0.01")
STATUS_LABELS = {
    StipendStatus.draft: "草稿",
    StipendStatus.approved: "已审批",
    StipendStatus.paid: "已发放",
}
# target status → (the status it must come from, the refusal when it does not)
TRANSITIONS = {
    StipendStatus.approved: (StipendStatus.draft, "只有草稿状态的补贴可以审批"),
    StipendStatus.paid: (StipendStatus.approved, "只有已审批的补贴可以标记为已发放"),
}
FINANCE_COLUMNS = SHEETS["补贴"]  # 学号, 姓名, 工时(小时), 等级, 金额(元)
BANK_COLUMNS = ["学号", "姓名", "金额", "备注"]


def _rows(db: Session, semester: Semester) -> list[Stipend]:
    query = select(Stipend).where(Stipend.semester_id == semester.id)
    return list(db.scalars(query.order_by(Stipend.user_id, Stipend.month)))


def _people(db: Session, semester: Semester) -> dict[int, User]:
    return {u.id: u for u in db.scalars(select(User).where(User.team_id == semester.team_id))}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@bp.get("/admin/stipend")
@roles_required(*READERS)
def stipend():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        rows = _rows(db, semester)
        people = _people(db, semester)
        months: dict[int, list[Stipend]] = defaultdict(list)
        totals = []
        for row in rows:
            if row.month:
                months[row.user_id].append(row)
            else:
                totals.append(row)
        totals.sort(key=lambda r: people[r.user_id].username)
        context.update(
            totals=totals,
            months=months,
            people=people,
            sum_amount=sum((r.amount for r in totals), Decimal("0")),
            counts={s: sum(1 for r in totals if r.status is s) for s in StipendStatus},
            frozen=any(r.status is not StipendStatus.draft for r in rows),
            settings=team_settings(db, semester.team_id),
        )
    return render_template(
        "admin_stipend.html",
        labels=STATUS_LABELS,
        can_edit=current_user.role is Role.counselor,
        **context,
    )


def _back(semester: Semester):
    return redirect(url_for("checkin.stipend", semester=semester.id))


@bp.post("/admin/stipend/compute")
@roles_required(Role.counselor)
def stipend_compute():
    db = get_session()
    semester = form_semester(db)
    existing = _rows(db, semester)
    if any(r.status is not StipendStatus.draft for r in existing):
        flash("已有审批或发放的补贴，不能重新计算", "danger")
        return _back(semester)
    report = build_report(db, semester, now())
    if not report.members:
        flash("本学期没有在岗的助管", "danger")
        return _back(semester)
    rate = Decimal(str(report.attendance.settings.hourly_rate))
    people = _people(db, semester)
    before = {people[r.user_id].username: str(r.amount) for r in existing if not r.month}
    for row in existing:
        db.delete(row)
    db.flush()  # the unique (semester, user, month) rows are replaced below
    after = {}
    for member in report.members:
        result = member.stipend
        db.add(
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
        )
        for month, (_credited, capped) in result.monthly.items():
            if not capped:
                continue  # a month of absences only: nothing to pay, no row to approve
            db.add(
                Stipend(
                    semester_id=semester.id,
                    user_id=member.user_id,
                    month=month,
                    hours=capped,
                    rate=rate,
                    grade_factor=result.factor,
                    bonus=Decimal("0"),
                    amount=_cents(capped * rate * result.factor),
                )
            )
        after[member.username] = str(result.amount)
    audit(db, "stipend.compute", "semester", semester.id, before or None, after)
    db.commit()
    note = "" if report.assessed else "（学期尚未结束，等级为预估，期末请重新计算）"
    flash(f"已计算 {len(after)} 人的补贴，状态为草稿{note}", "success")
    return _back(semester)


@bp.post("/admin/stipend/transition")
@roles_required(Role.counselor)
def stipend_transition():
    db = get_session()
    semester = form_semester(db)
    target = request.form.get("to", "")
    if target not in (StipendStatus.approved.value, StipendStatus.paid.value):
        flash("无效的操作", "danger")
        return _back(semester)
    target_status = StipendStatus(target)
    source, refusal = TRANSITIONS[target_status]
    rows = _rows(db, semester)
    raw_user = request.form.get("user_id")
    if raw_user:
        user_id = parse_id(raw_user)
        rows = [r for r in rows if r.user_id == user_id]
        if not rows:
            flash("该助管没有补贴记录，请先计算", "danger")
            return _back(semester)
        if any(r.status is not source for r in rows):
            flash(refusal, "danger")
            return _back(semester)
    else:
        rows = [r for r in rows if r.status is source]
        if not rows:
            flash(refusal + "（没有符合条件的记录）", "danger")
            return _back(semester)
    people = _people(db, semester)
    totals = [r for r in rows if not r.month]
    before = {people[r.user_id].username: r.status for r in totals}
    moment = now()
    for row in rows:
        row.status = target_status
        if target_status is StipendStatus.approved:
            row.approved_by_id = current_user.id
        else:
            row.paid_at = moment
    after = {people[r.user_id].username: r.status for r in totals}
    action = "stipend.approve" if target_status is StipendStatus.approved else "stipend.pay"
    entity_id = parse_id(raw_user) if raw_user else f"semester-{semester.id}"
    audit(db, action, "stipend", entity_id, before, after)
    db.commit()
    verb = "审批" if target_status is StipendStatus.approved else "标记为已发放"
    flash(f"已{verb} {len(totals)} 人的补贴", "success")
    return _back(semester)


def _grade_labels(db: Session, semester: Semester, totals: list[Stipend]) -> dict[int, str]:
    """The grade behind each stored factor (the one used for the money), else the engine's."""
    factors = team_settings(db, semester.team_id).grade_factors
    by_factor: dict[Decimal, list[str]] = defaultdict(list)
    for grade, factor in factors.items():
        by_factor[_cents(Decimal(str(factor)))].append(grade)
    labels, unsure = {}, []
    for row in totals:
        grades = by_factor.get(_cents(row.grade_factor), [])
        if len(grades) == 1:
            labels[row.user_id] = GRADE_LABELS[Grade(grades[0])]
        else:
            unsure.append(row.user_id)
    if unsure:
        report = build_report(db, semester, now())
        final = {m.user_id: m.final_grade for m in report.members}
        for user_id in unsure:
            labels[user_id] = GRADE_LABELS[Grade(final[user_id])] if user_id in final else ""
    return labels


@bp.get("/admin/stipend/finance.xlsx")
@roles_required(*READERS)
def stipend_export():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        flash("还没有学期", "danger")
        return redirect(url_for("checkin.stipend"))
    totals = [r for r in _rows(db, semester) if not r.month]
    if not totals:
        flash("还没有计算补贴，请先点“计算补贴”", "danger")
        return _back(semester)
    people = _people(db, semester)
    totals.sort(key=lambda r: people[r.user_id].username)
    grades = _grade_labels(db, semester, totals)
    finance = [
        [
            people[r.user_id].username,
            people[r.user_id].name,
            float(r.hours),
            grades[r.user_id],
            float(r.amount),
        ]
        for r in totals
    ]
    note = f"{semester.name}学生助管补贴"
    suffix = {
        StipendStatus.draft: "（待审批）",
        StipendStatus.approved: "",
        StipendStatus.paid: "（已发放）",
    }
    bank = [
        [
            people[r.user_id].username,
            people[r.user_id].name,
            float(r.amount),
            note + suffix[r.status],
        ]
        for r in totals
        if r.amount > 0
    ]
    sheets = {
        "补贴": pd.DataFrame(finance, columns=FINANCE_COLUMNS),
        "银行发放": pd.DataFrame(bank, columns=BANK_COLUMNS),
    }
    return xlsx_response(sheets, f"{semester.name}-助管补贴发放表.xlsx")

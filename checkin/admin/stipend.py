"""补贴 (第八条三、第九条三) page: the computed rows, draft → approved → paid, and the finance
export (the SPEC §6 ``补贴`` sheet plus the short sheet a bank transfer needs). The rules and
the audit live in ``data.services.stipend``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pandas as pd
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, RESULTS, roles_required
from checkin.common import (
    form_semester,
    parse_id,
    perform,
    pick_semester,
    team_semesters,
    xlsx_response,
)
from data.attendance import team_settings
from data.export import SHEETS
from data.models import GRADE_LABELS, Grade, Role, Semester, Stipend, StipendStatus, User
from data.report import build_report
from data.services import stipend as service
from data.services.stipend import cents, rows_of
from web import get_session, now

STATUS_LABELS = {
    StipendStatus.draft: "草稿",
    StipendStatus.approved: "已审批",
    StipendStatus.paid: "已发放",
}
FINANCE_COLUMNS = SHEETS["补贴"]  # 学号, 姓名, 工时(小时), 等级, 金额(元)
BANK_COLUMNS = ["学号", "姓名", "金额", "备注"]
BANK_SUFFIX = {
    StipendStatus.draft: "（待审批）",
    StipendStatus.approved: "",
    StipendStatus.paid: "（已发放）",
}


def _people(db: Session, semester: Semester) -> dict[int, User]:
    return {u.id: u for u in db.scalars(select(User).where(User.team_id == semester.team_id))}


def _page(db: Session, semester: Semester) -> dict[str, Any]:
    """Totals (one row a person) with their months, the sum and the counts by status."""
    rows = rows_of(db, semester)
    people = _people(db, semester)
    months: dict[int, list[Stipend]] = defaultdict(list)
    totals = []
    for row in rows:
        if row.month:
            months[row.user_id].append(row)
        else:
            totals.append(row)
    totals.sort(key=lambda r: people[r.user_id].username)
    return {
        "totals": totals,
        "months": months,
        "people": people,
        "sum_amount": sum((r.amount for r in totals), Decimal("0")),
        "counts": {s: sum(1 for r in totals if r.status is s) for s in StipendStatus},
        "frozen": any(r.status is not StipendStatus.draft for r in rows),
        "settings": team_settings(db, semester.team_id),
    }


@bp.get("/admin/stipend")
@roles_required(*RESULTS)
def stipend():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    context: dict[str, Any] = {"semester": semester, "semesters": team_semesters(db)}
    if semester is not None:
        context.update(_page(db, semester))
    return render_template(
        "admin/stipend.html",
        labels=STATUS_LABELS,
        can_edit=current_user.role is Role.counselor,
        **context,
    )


def _back(semester: Semester):
    return redirect(url_for("checkin.stipend", semester=semester.id))


@bp.post("/admin/stipend/compute")
@roles_required(*COUNSELOR)
def stipend_compute():
    semester = form_semester(get_session())
    done = perform(service.compute, semester)
    if done is not None:
        note = "（学期尚未结束，等级为预估，期末请重新计算）" if done.estimate else ""
        flash(f"已计算 {done.count} 人的补贴，状态为草稿{note}", "success")
    return _back(semester)


@bp.post("/admin/stipend/transition")
@roles_required(*COUNSELOR)
def stipend_transition():
    semester = form_semester(get_session())
    target = request.form.get("to", "")
    raw_user = request.form.get("user_id")
    # A user id that cannot exist (0) still means "this one person": refused as having no rows.
    user_id = (parse_id(raw_user) or 0) if raw_user else None
    count = perform(service.transition, semester, target, user_id)
    if count is not None:
        verb = "审批" if target == StipendStatus.approved.value else "标记为已发放"
        flash(f"已{verb} {count} 人的补贴", "success")
    return _back(semester)


def _grade_labels(db: Session, semester: Semester, totals: list[Stipend]) -> dict[int, str]:
    """The grade behind each stored factor (the one used for the money), else the engine's."""
    factors = team_settings(db, semester.team_id).grade_factors
    by_factor: dict[Decimal, list[str]] = defaultdict(list)
    for grade, factor in factors.items():
        by_factor[cents(Decimal(str(factor)))].append(grade)
    labels, unsure = {}, []
    for row in totals:
        grades = by_factor.get(cents(row.grade_factor), [])
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
@roles_required(*RESULTS)
def stipend_export():
    db = get_session()
    semester = pick_semester(db, request.args.get("semester"))
    if semester is None:
        flash("还没有学期", "danger")
        return redirect(url_for("checkin.stipend"))
    totals = [r for r in rows_of(db, semester) if not r.month]
    if not totals:
        flash("还没有计算补贴，请先点“计算补贴”", "danger")
        return _back(semester)
    return xlsx_response(_sheets(db, semester, totals), f"{semester.name}-助管补贴发放表.xlsx")


def _sheets(db: Session, semester: Semester, totals: list[Stipend]) -> dict[str, pd.DataFrame]:
    """The SPEC §6 ``补贴`` sheet and the bank transfer sheet (people with money only)."""
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
    bank = [
        [
            people[r.user_id].username,
            people[r.user_id].name,
            float(r.amount),
            note + BANK_SUFFIX[r.status],
        ]
        for r in totals
        if r.amount > 0
    ]
    return {
        "补贴": pd.DataFrame(finance, columns=FINANCE_COLUMNS),
        "银行发放": pd.DataFrame(bank, columns=BANK_COLUMNS),
    }

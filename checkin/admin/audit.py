"""The audit log page (counselor): who changed what, when, before → after, for the team only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import parse_day
from data.inputs import as_text, clean_text, parse_id, parse_int
from data.models import AuditLog, User
from data.timeutil import local_to_utc, to_local
from web import get_session

PER_PAGE = 50
MAX_PAGE = 10**6  # past the last page shows the last page
VALUE_MAX = 60  # long texts are cut in the list; the full value stays in the database
ACTION_LABELS = {
    "leave.request": "提交请假",
    "leave.cancel": "撤销请假",
    "leave.approve": "批准请假",
    "leave.reject": "驳回请假",
    "leave.phone": "登记电话请假",
    "leave.convert_phone": "先斩后奏转电话请假",
    "duty.correct": "补签",
    "duty.correct_delete": "撤销补签",
    "semester.finalize": "结束考核并锁定",
    "semester.unlock": "解锁学期",
    "semester.relock": "重新锁定学期",
    "poster.revoke": "作废海报",
    "kiosk.revoke": "作废平板链接",
    "place.create": "添加岗位",
    "semester.create": "创建学期",
    "semester.update": "修改学期",
    "semester.break_add": "新增假期",
    "semester.break_delete": "删除假期",
    "semester.makeup_add": "指定调休上班",
    "semester.makeup_delete": "取消调休上班",
    "election.open": "发起团长选举",
    "election.stand": "报名参选团长",
    "election.withdraw": "撤回参选",
    "election.vote": "团长选举投票（不记录投给谁）",
    "election.close": "团长选举计票",
    "election.confirm": "确认团长选举结果",
    "election.cancel": "取消团长选举",
    "user.role": "角色变更",
}
FIELD_LABELS = {
    "status": "状态",
    "reason": "原因",
    "kind": "类型",
    "duty_date": "值班日期",
    "shift_id": "班次",
    "user_id": "助管",
    "after_start": "先斩后奏",
    "decided_by_id": "审批人",
    "decided_at": "审批时间",
    "decision_reason": "审批说明",
    "created_by_id": "登记人",
    "sign_in_at": "签到",
    "sign_out_at": "签退",
    "outcome": "考勤结果",
    "finalized_at": "锁定时间",
    "name": "名称",
    "start": "开始日期",
    "end": "结束日期",
    "break": "假期",
    "makeup": "调休上班日",
    "weekday": "按星期几值班",
}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str
    added: bool  # the entry had no before (a creation)


def show(value: Any) -> str:
    """A stored JSON value as a short readable text (ISO datetimes in local time)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and "T" in value and len(value) >= 19:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return f"{to_local(moment):%Y-%m-%d %H:%M}"
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"


# Fields holding a user id: shown as the person's name, not a bare number.
USER_FIELDS = frozenset({"user_id", "decided_by_id", "created_by_id", "by_id"})


def changes(
    before: dict | None, after: dict | None, names: dict[int, str] | None = None
) -> list[Change]:
    """Only what differs, so one line says old → new for each changed key."""
    before, after, names = before or {}, after or {}, names or {}
    added = not before

    def text(key: str, value: Any) -> str:
        if key in USER_FIELDS and isinstance(value, int) and value in names:
            return names[value]
        return show(value)

    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        rows.append(Change(FIELD_LABELS.get(key, key), text(key, old), text(key, new), added))
    return rows


@dataclass(frozen=True)
class Filters:
    action: str
    actor: int | None
    entity: str
    start: date | None
    end: date | None
    page: int


def _day(name: str, label: str) -> date | None:
    text = as_text(request.args.get(name)).strip()
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        flash(f"{label}格式不正确，已忽略。", "warning")
    return day


def _filters() -> Filters:
    return Filters(
        action=clean_text(request.args.get("action"), 50),
        actor=parse_id(request.args.get("actor")),
        entity=clean_text(request.args.get("entity"), 50),
        start=_day("start", "开始日期"),
        end=_day("end", "结束日期"),
        page=parse_int(request.args.get("page"), 1, MAX_PAGE) or 1,
    )


def _query(f: Filters) -> Select:
    query = select(AuditLog).where(AuditLog.team_id == current_user.team_id)
    if f.action:
        # A prefix: "leave" finds leave.approve, leave.phone, …; LIKE wildcards are escaped.
        escaped = f.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditLog.action.like(escaped + "%", escape="\\"))
    if f.actor is not None:
        query = query.where(AuditLog.actor_id == f.actor)
    if f.entity:
        query = query.where(AuditLog.entity == f.entity)
    if f.start:
        query = query.where(AuditLog.at >= local_to_utc(f.start, time(0, 0)))
    if f.end:
        query = query.where(AuditLog.at < local_to_utc(f.end + timedelta(days=1), time(0, 0)))
    return query


def _entries(session: Session, f: Filters) -> tuple[list[AuditLog], int, int]:
    """One page of the filtered entries, newest first; (entries, page, total)."""
    query = _query(f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, f.page), pages)
    entries = list(
        session.scalars(
            query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    return entries, page, total


@bp.get("/admin/audit")
@roles_required(*COUNSELOR)
def audit_log():
    session = get_session()
    f = _filters()
    entries, page, total = _entries(session, f)
    team = AuditLog.team_id == current_user.team_id
    members = list(
        session.scalars(
            select(User).where(User.team_id == current_user.team_id).order_by(User.username)
        )
    )
    names = {u.id: u.name for u in members}
    entities = session.scalars(select(AuditLog.entity).where(team).distinct().order_by("entity"))
    actions = session.scalars(select(AuditLog.action).where(team).distinct().order_by("action"))
    # The page links carry the parsed filters only: a raw query key such as "endpoint" or
    # "_scheme" would be taken by url_for as its own argument.
    args = {k: v for k, v in vars(f).items() if k != "page" and v not in (None, "")}
    return render_template(
        "admin/audit.html",
        entries=[(e, changes(e.before, e.after, names)) for e in entries],
        names=names,
        members=members,
        entities=list(entities),
        actions=list(actions),
        action_labels=ACTION_LABELS,
        filters=f,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
        args=args,
    )

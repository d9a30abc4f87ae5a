"""交办任务 (第六条五, 兼辅 and 团长): give tasks, see them done, accept or send them back.

Thin: parse → ``data.services.tasks`` → flash/redirect. The 团长 sees and reviews the tasks they
gave; the 兼辅 sees every task of the team (filter 我交办的 / 全部).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from checkin import bp
from checkin.access import EDITORS, roles_required
from checkin.common import (
    clean_block,
    clean_text,
    parse_day,
    parse_id,
    parse_ids,
    perform,
    pick_semester,
    team_id,
    team_semesters,
    today,
)
from data.attendance import team_settings
from data.inputs import parse_choice, parse_clock
from data.models import Role, Task, TaskAssignment, User
from data.policy.tasks import (
    STATUS_BADGES,
    STATUS_LABELS,
    Status,
    TaskCounts,
    task_counts,
    task_status,
)
from data.services import tasks as service
from data.tasks import row_of
from web import get_session, now

FILTERS = {
    "all": "全部",
    "review": "待验收",
    "overdue": "有逾期",
    "open": "未完成",
    "cancelled": "已取消",
}
REVIEW = (Status.done, Status.done_late)
OPEN = (Status.open, Status.due_soon, Status.overdue, Status.sent_back)


@dataclass(frozen=True)
class AssigneeRow:
    assignment: TaskAssignment
    user: User
    status: Status
    label: str
    badge: str


@dataclass(frozen=True)
class TaskCard:
    task: Task
    giver: str
    rows: list[AssigneeRow]
    counts: TaskCounts
    can_review: bool


def _cards(tasks: list[Task], people: dict[int, User]) -> list[TaskCard]:
    moment = now()
    hours = team_settings(get_session(), team_id()).task_due_soon_hours
    cards = []
    for task in tasks:
        rows = []
        for a in task.assignments:
            status = task_status(row_of(task, a), moment, hours)
            user = people.get(a.user_id)
            if user is not None:
                rows.append(
                    AssigneeRow(a, user, status, STATUS_LABELS[status], STATUS_BADGES[status])
                )
        giver = people.get(task.giver_id)
        counts = task_counts([row_of(task, r.assignment) for r in rows], moment)
        mine = task.giver_id == current_user.id or current_user.role is Role.counselor
        cards.append(TaskCard(task, giver.name if giver else "（已删除）", rows, counts, mine))
    return cards


def _keep(card: TaskCard, chosen: str) -> bool:
    cancelled = card.task.cancelled_at is not None
    if chosen == "cancelled":
        return cancelled
    if cancelled:
        return chosen == "all"
    statuses = {r.status for r in card.rows}
    if chosen == "review":
        return bool(statuses & set(REVIEW))
    if chosen == "overdue":
        return card.counts.overdue > 0
    if chosen == "open":
        return bool(statuses & set(OPEN))
    return True


@bp.get("/admin/tasks")
@roles_required(*EDITORS)
def tasks():
    db = get_session()
    team_id()
    semester = pick_semester(db, request.args.get("semester"))
    chosen = parse_choice(request.args.get("show"), FILTERS) or "all"
    # The 团长 works with the tasks they gave; the 兼辅 may narrow to them ("mine").
    mine_only = current_user.role is Role.leader or request.args.get("mine") == "1"
    people = {u.id: u for u in db.scalars(select(User).where(User.team_id == current_user.team_id))}
    cards: list[TaskCard] = []
    if semester is not None:
        given = service.team_tasks(db, semester, current_user.id if mine_only else None)
        cards = [c for c in _cards(given, people) if _keep(c, chosen)]
    return render_template(
        "admin/tasks.html",
        semester=semester,
        semesters=team_semesters(db),
        cards=cards,
        filters=FILTERS,
        chosen=chosen,
        mine_only=mine_only,
        assignable=service.assignable(db, current_user, semester) if semester else [],
        default_day=today(),
        title_max=service.TITLE_MAX,
    )


def _back(semester_id: int | None = None):
    form = request.form
    semester_id = semester_id or parse_id(form.get("semester"))
    show = parse_choice(form.get("show"), FILTERS)
    args = {k: v for k, v in (("semester", semester_id), ("show", show)) if v}
    return redirect(url_for("checkin.tasks", **args))


@bp.post("/admin/tasks")
@roles_required(*EDITORS)
def task_give():
    team_id()
    form = request.form
    given = perform(
        service.give,
        [i for i in parse_ids(form.getlist("assignee")) if i],
        clean_text(form.get("title"), service.TITLE_MAX + 1),
        clean_block(form.get("details"), service.DETAILS_MAX + 1),
        parse_day(form.get("deadline_day")),
        parse_clock(form.get("deadline_time")),
        form.get("link", ""),
    )
    if given is None:
        return _back()
    flash(f"已交办“{given.title}”给 {len(given.assignments)} 人", "success")
    return _back(given.semester_id)


@bp.post("/admin/tasks/row/<int:assignment_id>/accept")
@roles_required(*EDITORS)
def task_accept(assignment_id: int):
    team_id()
    row = perform(service.accept, assignment_id)
    if row is not None:
        flash("已验收", "success")
    return _back()


@bp.post("/admin/tasks/row/<int:assignment_id>/send-back")
@roles_required(*EDITORS)
def task_send_back(assignment_id: int):
    team_id()
    row = perform(service.send_back, assignment_id, clean_block(request.form.get("reason"), 501))
    if row is not None:
        flash("已退回，承办人会在“我的值班”看到退回原因", "success")
    return _back()


@bp.post("/admin/tasks/<int:task_id>/cancel")
@roles_required(*EDITORS)
def task_cancel(task_id: int):
    team_id()
    task = perform(service.cancel, task_id)
    if task is not None:
        flash(f"已取消“{task.title}”，它不再计入统计", "success")
    return _back()

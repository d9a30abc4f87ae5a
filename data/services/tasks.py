"""交办任务 (第六条五): give, mark done, accept, send back, cancel — each audited.

Who may do what (the permission matrix, tested): the 兼辅 gives to anyone in post in the
semester (助管 and 团长), the 团长 only to 助管 of the own team; only the assignee marks done;
the giver or a 兼辅 accepts, sends back (with a reason) or cancels. The state machine and the
on-time rule are ``data.policy.tasks``; the deadline is an aware instant given in college time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.audit import snapshot
from data.facts import members_of, semester_on
from data.inputs import clean_block, clean_text
from data.models import Role, Semester, Task, TaskAssignment, User
from data.policy.tasks import Actor, TaskAct, TaskState, may_act, next_state
from data.services import Refused, audit, clean_reason
from data.services.semesters import LOCKED_MESSAGE, ensure_unlocked
from data.timeutil import local_to_utc

TITLE_MAX = 100
DETAILS_MAX = 2000
NOTE_MAX = 200
LINK_MAX = 500
ASSIGNEES_MAX = 200
LINK_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TASK_FIELDS = ("team_id", "semester_id", "giver_id", "title", "details", "deadline", "link")
ROW_FIELDS = (
    "user_id",
    "state",
    "done_at",
    "done_note",
    "reviewed_at",
    "review_reason",
    "send_backs",
)
GIVERS = (Role.counselor, Role.leader)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role is Role.counselor)


def parse_link(raw: Any) -> str:
    """An optional http(s) address; anything else (javascript:, ftp:, spaces) is refused."""
    link = clean_text(raw, LINK_MAX + 1)
    if not link:
        return ""
    if len(link) > LINK_MAX or not LINK_TEXT.fullmatch(link):
        raise Refused("附件链接须以 http:// 或 https:// 开头（不超过 500 个字符），或留空")
    return link


def assignable(session: Session, actor: User, semester: Semester) -> list[User]:
    """Who ``actor`` may give a task to in ``semester``: active people who serve in it."""
    if actor.role not in GIVERS or semester.team_id != actor.team_id:
        return []
    roles = (Role.assistant,) if actor.role is Role.leader else (Role.assistant, Role.leader)
    return [u for u in members_of(session, semester) if u.active and u.role in roles]


def give(
    session: Session,
    actor: User,
    assignee_ids: Iterable[int],
    title: str,
    details: str,
    deadline_day: date | None,
    deadline_time: time | None,
    link: str = "",
    *,
    at: datetime,
    ip: str = "",
) -> Task:
    """A new task for 1..n people; the deadline (college time) must be in the future."""
    if actor.role not in GIVERS or actor.team_id is None:
        raise Refused("只有兼辅和团长可以交办任务")
    title = clean_text(title, TITLE_MAX + 1)
    if not title:
        raise Refused("请填写任务标题")
    if len(title) > TITLE_MAX:
        raise Refused(f"任务标题不能超过 {TITLE_MAX} 个字")
    details = clean_block(details, DETAILS_MAX + 1)
    if len(details) > DETAILS_MAX:
        raise Refused(f"任务说明不能超过 {DETAILS_MAX} 个字")
    if deadline_day is None or deadline_time is None:
        raise Refused("请填写截止日期和时间（年-月-日 时:分）")
    deadline = local_to_utc(deadline_day, deadline_time)
    if deadline <= at:
        raise Refused("截止时间须晚于现在")
    semester = semester_on(session, actor.team_id, deadline_day)
    if semester is None:
        raise Refused(f"截止日期 {deadline_day:%Y-%m-%d} 不在本团队的任何学期内")
    ensure_unlocked(session, semester.team_id, deadline_day)
    ids = list(dict.fromkeys(assignee_ids))
    if not ids:
        raise Refused("请至少选择一位助管")
    if len(ids) > ASSIGNEES_MAX:
        raise Refused(f"一次最多交办给 {ASSIGNEES_MAX} 人")
    allowed = {u.id: u for u in assignable(session, actor, semester)}
    if any(i not in allowed for i in ids):
        who = "本团队的助管" if actor.role is Role.leader else "本学期在岗的助管或团长"
        raise Refused(f"只能交办给{who}")
    task = Task(
        team_id=actor.team_id,
        semester_id=semester.id,
        giver_id=actor.id,
        title=title,
        details=details,
        deadline=deadline,
        link=parse_link(link),
        created_at=at,
    )
    task.assignments = [TaskAssignment(user_id=i) for i in ids]
    session.add(task)
    session.flush()
    after = snapshot(task, TASK_FIELDS) | {"assignees": ids}
    audit(session, actor, "task.give", "task", task.id, None, after, at=at, ip=ip)
    return task


def _row(session: Session, actor: User, assignment_id: int) -> tuple[Task, TaskAssignment]:
    """The assignment and its task, within the actor's team; refused otherwise (no leak)."""
    assignment = session.get(TaskAssignment, assignment_id)
    task = session.get(Task, assignment.task_id) if assignment else None
    if task is None or task.team_id != actor.team_id:
        raise Refused("找不到该任务")
    if task.cancelled_at is not None:
        raise Refused("该任务已取消")
    return task, assignment


def _act(
    session: Session,
    actor: User,
    assignment_id: int,
    act: TaskAct,
    *,
    at: datetime,
    ip: str,
    change: dict[str, Any],
) -> TaskAssignment:
    task, row = _row(session, actor, assignment_id)
    if not may_act(act, actor_of(actor), task.giver_id, row.user_id):
        raise Refused(
            "只有任务的承办人可以标记完成"
            if act == TaskAct.mark_done
            else "只有交办人或兼辅可以验收或退回"
        )
    after_state = next_state(act, row.state)
    if after_state is None:
        raise Refused(_not_now(act, row.state))
    _ensure_open(session, task)
    before = snapshot(row, ROW_FIELDS)
    row.state = after_state
    for name, value in change.items():
        setattr(row, name, value)
    after = snapshot(row, ROW_FIELDS)
    audit(
        session, actor, f"task.{act.value}", "task_assignment", row.id, before, after, at=at, ip=ip
    )
    return row


def _ensure_open(session: Session, task: Task) -> None:
    """A finalized semester keeps its counts: nothing about its tasks moves any more."""
    if session.get(Semester, task.semester_id).finalized_at is not None:
        raise Refused(LOCKED_MESSAGE)


def _not_now(act: TaskAct, state: TaskState) -> str:
    if act == TaskAct.mark_done:
        return "该任务已标记完成" if state == TaskState.done else "该任务已验收，不能再修改"
    return "只有已完成、待验收的任务可以验收或退回"


def mark_done(
    session: Session, actor: User, assignment_id: int, note: str, *, at: datetime, ip: str = ""
) -> TaskAssignment:
    """The assignee reports the task done, with a short note (optional, ≤ 200 characters)."""
    note = clean_text(note, NOTE_MAX + 1)
    if len(note) > NOTE_MAX:
        raise Refused(f"完成说明不能超过 {NOTE_MAX} 个字")
    change = {"done_at": at, "done_note": note}
    return _act(session, actor, assignment_id, TaskAct.mark_done, at=at, ip=ip, change=change)


def accept(
    session: Session, actor: User, assignment_id: int, *, at: datetime, ip: str = ""
) -> TaskAssignment:
    change = {"reviewed_at": at, "review_reason": ""}
    return _act(session, actor, assignment_id, TaskAct.accept, at=at, ip=ip, change=change)


def send_back(
    session: Session, actor: User, assignment_id: int, reason: str, *, at: datetime, ip: str = ""
) -> TaskAssignment:
    """Back to the assignee with a reason; the 完成 no longer counts (``data.policy.tasks``)."""
    reason = clean_reason(reason, "退回原因")
    _task, row = _row(session, actor, assignment_id)
    change = {
        "reviewed_at": at,
        "review_reason": reason,
        "done_at": None,
        "send_backs": row.send_backs + 1,
    }
    return _act(session, actor, assignment_id, TaskAct.send_back, at=at, ip=ip, change=change)


def cancel(session: Session, actor: User, task_id: int, *, at: datetime, ip: str = "") -> Task:
    """A task given by mistake leaves every count; the giver or a 兼辅 cancels it."""
    task = session.get(Task, task_id)
    if task is None or task.team_id != actor.team_id:
        raise Refused("找不到该任务")
    if not (actor.role is Role.counselor or actor.id == task.giver_id):
        raise Refused("只有交办人或兼辅可以取消任务")
    if task.cancelled_at is not None:
        raise Refused("该任务已取消")
    _ensure_open(session, task)
    before = snapshot(task, (*TASK_FIELDS, "cancelled_at"))
    task.cancelled_at = at
    after = snapshot(task, (*TASK_FIELDS, "cancelled_at"))
    audit(session, actor, "task.cancel", "task", task.id, before, after, at=at, ip=ip)
    return task


# ---------------------------------------------------------------- reads for the pages


def team_tasks(session: Session, semester: Semester, giver_id: int | None = None) -> list[Task]:
    """The semester's tasks (cancelled ones too), nearest deadline first; one giver's if given."""
    query = select(Task).where(Task.semester_id == semester.id)
    query = query.options(selectinload(Task.assignments))  # one query for every card's rows
    if giver_id is not None:
        query = query.where(Task.giver_id == giver_id)
    return list(session.scalars(query.order_by(Task.cancelled_at.is_not(None), Task.deadline)))

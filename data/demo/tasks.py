"""Phase 6: a few 交办任务 in every state, so /me, the workbench and 工作记录 show something.

No random draws (the phases before keep their data for a seed); deadlines are relative to
today and only tasks whose deadline falls in the current semester are made.
"""

from __future__ import annotations

from datetime import date, timedelta

from data.demo.common import BuilderBase, local_at
from data.models import Task, TaskAssignment, User
from data.policy.tasks import TaskState

# (title, details, giver "counselor"/"leader", deadline days from today, hour, given days ago,
#  assignees as (index into veterans, state, done this many days ago at 15:00 or None, send-backs))
TASKS = (
    (
        "迎新资料归档",
        "把迎新期间的登记表扫描后归档到学工办共享盘“迎新”文件夹。",
        "counselor",
        -5,
        18,
        12,
        ((1, TaskState.accepted, 6, 0), (3, TaskState.accepted, 4, 0)),
    ),
    (
        "收集学生资助申请材料",
        "按班级收齐资助申请表，缺交的列出名单。",
        "counselor",
        -2,
        17,
        7,
        ((4, TaskState.open, None, 0), (5, TaskState.sent_back, None, 1)),
    ),
    (
        "更新值班室物品登记表",
        "核对值班室的打印机、钥匙和文具，更新登记表。",
        "leader",
        1,
        12,
        2,
        ((1, TaskState.open, None, 0), (6, TaskState.done, 1, 0), (7, TaskState.open, None, 0)),
    ),
    (
        "整理本学期助管考勤材料",
        "整理纸质签到表和请假条，按周装订，交兼辅老师。",
        "counselor",
        3,
        18,
        1,
        ((1, TaskState.open, None, 0), (2, TaskState.done, 1, 0), (8, TaskState.open, None, 0)),
    ),
)
SEND_BACK_REASON = "缺少三个班的材料，请补齐后再提交"


class TasksPhase(BuilderBase):
    def demo_tasks(self) -> None:
        start, end = self.current.start, self.current.end
        givers: dict[str, User] = {"counselor": self.counselor, "leader": self.leader.user}
        for title, details, giver, days, hour, ago, rows in TASKS:
            day: date = self.today + timedelta(days=days)
            created = local_at(self.today - timedelta(days=ago), 9)
            if not (start <= day <= end and start <= created.date()):
                continue
            deadline = local_at(day, hour)
            task = Task(
                team_id=self.team.id,
                semester_id=self.current.id,
                giver_id=givers[giver].id,
                title=title,
                details=details,
                deadline=deadline,
                created_at=created,
            )
            for index, state, ago_done, send_backs in rows:
                done_day = self.today - timedelta(days=ago_done or 0)
                done_at = local_at(done_day, 15) if ago_done is not None else None
                reviewed = state in (TaskState.accepted, TaskState.sent_back)
                task.assignments.append(
                    TaskAssignment(
                        user_id=self.veterans[index].user.id,
                        state=state,
                        done_at=done_at,
                        done_note="已完成" if done_at else "",
                        reviewed_at=local_at(self.today - timedelta(days=1), 10)
                        if reviewed
                        else None,
                        review_reason=SEND_BACK_REASON if send_backs else "",
                        send_backs=send_backs,
                    )
                )
            self.add(task)

"""交办任务 reminders: "new task" and "due tomorrow" (pure triggers, and one run end to end)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from data.db import write_transaction
from data.models import Notification, User
from data.notify.run import run
from data.policy import reminders
from data.policy.reminders import TaskFact
from data.policy.settings import PolicySettings
from data.services import tasks as service
from data.timeutil import LOCAL_TZ

S = PolicySettings()
GIVEN = datetime(2026, 11, 2, 10, 0, tzinfo=LOCAL_TZ)
DEADLINE = datetime(2026, 11, 5, 18, 0, tzinfo=LOCAL_TZ)


def fact(**changes) -> TaskFact:
    values = dict(
        assignment_id=7, user_id=3, title="整理材料", deadline=DEADLINE, created_at=GIVEN, open=True
    )
    return TaskFact(**{**values, **changes})


def test_new_task_once_with_its_deadline():
    (msg,) = reminders.new_tasks([fact()], GIVEN + timedelta(minutes=1), S)
    assert (msg.user_id, msg.kind, msg.key) == (3, "new_task", "new_task:7")
    assert "11月5日 18:00" in msg.body
    assert reminders.new_tasks([fact()], GIVEN + timedelta(days=4), S) == []  # too old
    assert reminders.new_tasks([fact(open=False)], GIVEN, S) == []
    assert reminders.new_tasks([fact()], GIVEN, PolicySettings(notify_new_task=False)) == []


def test_due_tomorrow_on_the_day_before_in_college_time():
    eve_morning = datetime(2026, 11, 4, 9, 0, tzinfo=LOCAL_TZ)
    (msg,) = reminders.tasks_due_tomorrow([fact()], eve_morning, S)
    assert (msg.kind, msg.key) == ("task_due", "task_due:7")
    assert reminders.tasks_due_tomorrow([fact()], eve_morning - timedelta(minutes=1), S) == []
    assert reminders.tasks_due_tomorrow([fact(open=False)], eve_morning, S) == []
    # 01:00 on the 5th in Shanghai is still the 4th in UTC: "tomorrow" is the college's.
    early = fact(deadline=datetime(2026, 11, 5, 1, 0, tzinfo=LOCAL_TZ))
    assert reminders.tasks_due_tomorrow([early], eve_morning, S) != []
    # Given today: the new-task message already named the deadline.
    fresh = fact(created_at=eve_morning - timedelta(hours=1))
    assert reminders.tasks_due_tomorrow([fresh], eve_morning, S) == []
    assert (
        reminders.tasks_due_tomorrow([fact()], eve_morning, PolicySettings(notify_task_due=False))
        == []
    )


@pytest.mark.db
def test_run_announces_new_and_due_tasks_once(db, team):
    with db.session() as s, write_transaction(s):
        counselor = s.scalar(select(User).where(User.username == team.counselor))
        zhang = s.scalar(select(User).where(User.username == team.assistants[0]))
        zhang_id = zhang.id
        service.give(s, counselor, [zhang.id], "整理材料", "", DEADLINE.date(), time(18), at=GIVEN)
    with db.session() as s:
        run(s, GIVEN + timedelta(minutes=1), sender=None)
        run(s, GIVEN + timedelta(minutes=2), sender=None)
        run(s, datetime(2026, 11, 4, 9, 5, tzinfo=LOCAL_TZ), sender=None)
        kinds = sorted(s.scalars(select(Notification.kind).where(Notification.user_id == zhang_id)))
    assert kinds == ["new_task", "task_due"]

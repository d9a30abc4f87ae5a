"""``flask notify run``: a scripted day on the small team, dry runs and repeated runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from data.models import (
    CheckAction,
    CheckEvent,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Notification,
    NotifyChannel,
    Shift,
    ShiftAssignment,
    TeamSettings,
    User,
)
from data.notify.run import run
from data.timeutil import LOCAL_TZ, parse_local

WEDNESDAY = date(2026, 11, 25)  # 张三 (2023101) is on duty 08:00–10:00


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def shift_of(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(
            select(ShiftAssignment.shift_id)
            .join(User, User.id == ShiftAssignment.user_id)
            .where(User.username == username)
        )


def event(db, username: str, action: CheckAction, hour: int, minute: int) -> None:
    with db.session() as s:
        s.add(
            CheckEvent(
                user_id=uid(db, username),
                action=action,
                at=datetime(2026, 11, 25, hour, minute, tzinfo=LOCAL_TZ),
                duty_date=WEDNESDAY,
                shift_id=shift_of(db, username),
            )
        )


def rows(db) -> list[tuple[str, str, str]]:
    with db.session() as s:
        query = select(Notification.dedupe_key, Notification.channel, Notification.status)
        return sorted(s.execute(query.order_by(Notification.id)).all())


def notify(runner, *args: str):
    result = runner.invoke(args=["notify", "run", *args])
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line]


def test_scripted_day(db, team, runner):
    zhang, counselor = uid(db, "2023101"), uid(db, team.counselor)
    event(db, "2023101", CheckAction.sign_in, 8, 2)

    lines = notify(runner, "--now", "2026-11-25 10:15")
    # 张三 forgot to sign out; yesterday 王五 (Tuesday) did not come: the counselor's digest.
    assert rows(db) == [
        (f"digest:{team.team_id}:2026-11-24:inbox:{counselor}", "inbox", "sent"),
        (
            f"missed_signout:{zhang}:2026-11-25:{shift_of(db, '2023101')}:inbox:{zhang}",
            "inbox",
            "sent",
        ),
    ]
    assert len(lines) == 2 and any("请记得签退" in line for line in lines)
    with db.session() as s:
        digest = s.scalar(select(Notification).where(Notification.kind == "digest"))
        assert "缺勤 1 人次：王五" in digest.body

    assert notify(runner, "--now", "2026-11-25 10:15") == []  # same minute: nothing new
    assert len(rows(db)) == 2

    dry = notify(runner, "--dry-run", "--now", "2026-11-25 11:46")
    assert len(dry) == 1 and "（预演）missed_signout_last inbox → 张三" in dry[0]
    assert len(rows(db)) == 2  # a dry run writes nothing

    event(db, "2023101", CheckAction.sign_out, 11, 40)
    assert notify(runner, "--now", "2026-11-25 11:46") == []  # never after sign-out


def test_approved_leave_silences_and_decisions_are_announced(db, team):
    li = uid(db, "2023102")  # 李四, Friday 08:00–10:00
    friday = date(2026, 11, 27)
    with db.session() as s:
        shift = s.scalar(
            select(Shift.id).join(ShiftAssignment).where(ShiftAssignment.user_id == li)
        )
        s.add(
            LeaveRequest(
                user_id=li,
                duty_date=friday,
                shift_id=shift,
                kind=LeaveKind.sick,
                status=LeaveStatus.approved,
                decided_at=datetime(2026, 11, 26, 9, 0, tzinfo=LOCAL_TZ),
            )
        )
        settings_row = {"notify_shift_start": True, "notify_duty_list": True}
        s.add(TeamSettings(team_id=team.team_id, values=settings_row))
        s.add(NotifyChannel(team_id=team.team_id, kind="wecom", purpose="team", config={}))
    sent = []

    class Sender:
        def send_wecom(self, config, title, body, mobiles=()):
            sent.append((title, body))

    with db.session() as s:
        lines = run(s, parse_local("2026-11-26 20:00"), sender=Sender())
    kinds = [line.split(" ")[0] for line in lines]
    assert "leave_decision" in kinds and "duty_list" not in kinds  # nobody else on Friday
    assert sent == []
    with db.session() as s:
        lines = run(s, parse_local("2026-11-27 07:55"), sender=Sender())
        assert not any("shift_start" in line for line in lines)  # on approved leave
        total = s.scalar(select(func.count(Notification.id)))
        assert run(s, parse_local("2026-11-27 07:55"), sender=Sender()) == []
        assert s.scalar(select(func.count(Notification.id))) == total
    with db.session() as s:
        lines = run(s, parse_local("2026-11-29 20:00"), sender=Sender())
    assert any(line.startswith("duty_list wecom") for line in lines)
    assert sent == [("明日值班（11月30日）", "- 08:00–10:00 学工办 李团长")]


def test_the_notify_timer_runs_every_minute():
    from tests.web.test_deploy_files import unit

    service = unit("zhuguantong-notify.service")["Service"]
    assert service["ExecStart"].endswith("flask --app app notify run")
    assert service["Type"] == "oneshot" and service["User"] == "zhuguantong"
    timer = unit("zhuguantong-notify.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* *:*:00"
    assert timer["Timer"]["Unit"] == "zhuguantong-notify.service"


def test_the_settings_form_has_the_reminder_group(client, auth, db, team):
    from tests.web.test_admin_accounts_settings import settings_form, stored
    from tests.web.test_admin_recruit import post

    auth.login(team.counselor)
    form = {**settings_form(client), "notify_digest_at": "8点"}
    html = post(client, "/admin/settings", "/admin/settings", form, follow_redirects=True)
    assert "“每日汇总时间”须填写 HH:MM 格式的时间" in html.get_data(as_text=True)
    form.update(notify_digest_at="07:30", notify_duty_list="1")
    post(client, "/admin/settings", "/admin/settings", form, follow_redirects=True)
    saved = stored(db, team)
    assert saved["notify_digest_at"] == "07:30" and saved["notify_duty_list"] is True


def test_two_runs_in_parallel_record_each_message_once(db, team):
    from concurrent.futures import ThreadPoolExecutor

    event(db, "2023101", CheckAction.sign_in, 8, 2)
    at = parse_local("2026-11-25 10:15")

    def one_run(_: int) -> list[str]:
        with db.session() as s:
            return run(s, at)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one_run, range(2)))
    assert sum(len(lines) for lines in results) == 2  # each message reported by one run only
    assert len(rows(db)) == 2

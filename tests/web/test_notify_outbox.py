"""The outbox: unique keys, retries with backoff, the robot rate cap and parallel runners.

Delivery goes over real sockets to a loopback robot server and an aiosmtpd server. Marked
``db``: it runs again on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from data.models import Notification, NotifyChannel, User
from data.notify import outbox
from data.timeutil import LOCAL_TZ
from tests.notify_fakes import FakeRobot, start_smtp

pytestmark = pytest.mark.db

T = datetime(2026, 10, 12, 10, 15, tzinfo=LOCAL_TZ)


@pytest.fixture
def robot():
    server = FakeRobot().start()
    yield server
    server.stop()


def add_channel(db, team, kind: str, config: dict, purpose: str = "team", enabled=True) -> int:
    with db.session() as s:
        channel = NotifyChannel(
            team_id=team.team_id, kind=kind, purpose=purpose, config=config, enabled=enabled
        )
        s.add(channel)
        s.flush()
        return channel.id


def put(db, team, channel: str, key: str, *, channel_id=None, user_id=None, at=T, address=""):
    with db.session() as s:
        row = outbox.enqueue(
            s,
            team_id=team.team_id,
            user_id=user_id,
            channel=channel,
            kind="test",
            key=key,
            title=f"标题 {key}",
            body="内容",
            at=at,
            channel_id=channel_id,
            address=address,
        )
        return row.id if row is not None else None


def rows(db) -> dict[str, Notification]:
    with db.session() as s:
        return {n.dedupe_key: n for n in s.scalars(select(Notification))}


def deliver(db, at=T) -> list[str]:
    with db.sessionmaker() as s:
        return outbox.deliver(s, at)


def test_enqueue_twice_one_row(db, team):
    assert put(db, team, "inbox", "k1") is not None
    assert put(db, team, "inbox", "k1") is None
    assert put(db, team, "email", "k1") is None  # the key alone decides
    (row,) = rows(db).values()
    assert row.status == "sent" and row.sent_at == T  # an inbox message is delivered by storing it
    assert row.next_attempt_at is None


def test_enqueue_losing_the_race_returns_none(db, team, monkeypatch):
    """Another process inserted the key after our check: the unique constraint wins."""
    put(db, team, "inbox", "race")
    monkeypatch.setattr(outbox, "_existing", lambda _db, _key: None)
    with db.session() as s:
        kept = outbox.enqueue(
            s, team_id=team.team_id, user_id=None, channel="inbox", kind="test", key="other",
            title="先", body="", at=T,
        )  # fmt: skip
        lost = outbox.enqueue(
            s, team_id=team.team_id, user_id=None, channel="inbox", kind="test", key="race",
            title="后", body="", at=T,
        )  # fmt: skip
        assert kept is not None and lost is None
    # The savepoint kept the rest of the transaction: "other" was committed.
    assert set(rows(db)) == {"race", "other"}


def test_running_twice_at_the_same_minute_sends_once(db, team, robot):
    cid = add_channel(db, team, "wecom", {"url": robot.url("/ok")})
    put(db, team, "wecom", "a", channel_id=cid)
    put(db, team, "inbox", "b")
    first = deliver(db)
    assert deliver(db) == []
    assert len(first) == 1 and first[0].startswith("已发送 #") and "标题 a" in first[0]
    assert robot.count("/ok") == 1
    row = rows(db)["a"]
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, T, "")


def test_failing_endpoint_backs_off_then_fails(db, team, robot):
    cid = add_channel(db, team, "dingtalk", {"url": robot.url("/error"), "secret": "s"})
    put(db, team, "dingtalk", "late", channel_id=cid)
    at = T
    for attempt, wait in enumerate([1, 5, 15, 60], start=1):
        (line,) = deliver(db, at)
        assert f"第 {attempt} 次" in line and "HTTP 500" in line
        row = rows(db)["late"]
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == at + timedelta(minutes=wait)
        assert deliver(db, at + timedelta(minutes=wait) - timedelta(seconds=1)) == []
        at += timedelta(minutes=wait)
    (line,) = deliver(db, at)
    assert "不再重试" in line
    row = rows(db)["late"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 5, None)
    assert "HTTP 500" in row.last_error
    assert deliver(db, at + timedelta(days=1)) == []
    assert robot.count("/error") == 5


def test_a_flaky_endpoint_is_retried_until_it_answers(db, team, robot):
    robot.flaky_failures = 2
    cid = add_channel(db, team, "wecom", {"url": robot.url("/flaky")})
    put(db, team, "wecom", "flaky", channel_id=cid)
    deliver(db, T)
    deliver(db, T + timedelta(minutes=1))
    deliver(db, T + timedelta(minutes=6))
    row = rows(db)["flaky"]
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert robot.count("/flaky") == 3


def test_twenty_per_robot_per_rolling_minute(db, team, robot):
    busy = add_channel(db, team, "wecom", {"url": robot.url("/ok")})
    other = add_channel(db, team, "dingtalk", {"url": robot.url("/ok")})
    for i in range(25):
        put(db, team, "wecom", f"w{i}", channel_id=busy)
    for i in range(3):
        put(db, team, "dingtalk", f"d{i}", channel_id=other)
    lines = deliver(db, T)
    assert robot.count() == 23  # 20 on the busy robot, the other robot is not held back
    assert lines[-1].startswith(f"限流 通道 #{busy}") and "5 条" in lines[-1]
    deliver(db, T + timedelta(seconds=59))
    assert robot.count() == 23
    deliver(db, T + timedelta(seconds=60))
    assert robot.count() == 28
    assert {r.status for r in rows(db).values()} == {"sent"}


def test_disabled_channel_and_missing_address_fail_at_once(db, team, robot):
    off = add_channel(db, team, "wecom", {"url": robot.url("/ok")}, enabled=False)
    put(db, team, "wecom", "off", channel_id=off)
    put(db, team, "dingtalk", "nochannel")
    put(db, team, "email", "noaddress")
    lines = deliver(db)
    assert len(lines) == 3 and all("不再重试" in line for line in lines)
    found = rows(db)
    assert "已停用" in found["off"].last_error
    assert "没有可用的钉钉通道" in found["nochannel"].last_error
    assert "没有可用的邮件通道" in found["noaddress"].last_error
    assert {r.status for r in found.values()} == {"failed"}
    assert robot.count() == 0


def test_email_goes_to_the_users_address_through_smtp(db, team):
    controller, box = start_smtp()
    try:
        config = {"host": "127.0.0.1", "port": controller.port, "security": "none"}
        add_channel(db, team, "email", {**config, "sender": "zgt@example.edu.cn"}, "counselor")
        with db.session() as s:
            user = s.scalar(select(User).where(User.username == team.assistants[0]))
            user.email = "zhangsan@example.edu.cn"
            user_id = user.id
        put(db, team, "email", "mail", user_id=user_id)
        (line,) = deliver(db)
    finally:
        controller.stop()
    assert "zhangsan@example.edu.cn" in line
    ((_sender, rcpt, content),) = box.messages
    assert rcpt == ["zhangsan@example.edu.cn"]
    assert "标题 mail".encode() in content or b"=?utf-8?" in content
    row = rows(db)["mail"]
    assert (row.status, row.address) == ("sent", "zhangsan@example.edu.cn")


def test_robot_messages_about_a_person_mention_their_phone(db, team, robot):
    cid = add_channel(db, team, "wecom", {"url": robot.url("/ok")}, "counselor")
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == team.assistants[1]))
        user.phone = "13800000009"
        user_id = user.id
    put(db, team, "wecom", "at", channel_id=cid, user_id=user_id)
    deliver(db)
    (hit,) = robot.hits
    assert hit.body["text"]["mentioned_mobile_list"] == ["13800000009"]


def test_a_row_left_sending_by_a_dead_runner_is_taken_again(db, team, robot):
    cid = add_channel(db, team, "wecom", {"url": robot.url("/ok")})
    put(db, team, "wecom", "stuck", channel_id=cid)
    with db.session() as s:
        row = s.scalar(select(Notification))
        row.status, row.next_attempt_at = "sending", T + outbox.LEASE
    assert deliver(db, T) == []  # still leased to the other runner
    assert len(deliver(db, T + outbox.LEASE)) == 1
    assert rows(db)["stuck"].status == "sent"


def deliver_in_parallel(db, runners: int) -> list[list[str]]:
    """Start ``runners`` deliver() calls at once, each in its own thread and session."""
    barrier = threading.Barrier(runners)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with db.sessionmaker() as s:
                barrier.wait()
                results.append(outbox.deliver(s, T))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def test_parallel_runners_send_each_message_exactly_once(db, team, robot):
    channel_ids = [
        add_channel(db, team, kind, {"url": robot.url("/ok")}, purpose)
        for kind, purpose in [("wecom", "team"), ("dingtalk", "team"), ("wecom", "counselor")]
    ]
    for i in range(36):
        put(db, team, "wecom" if i % 3 != 1 else "dingtalk", f"p{i}", channel_id=channel_ids[i % 3])
    results = deliver_in_parallel(db, runners=4)
    sent_titles = Counter(hit.body["markdown"].get("content") or hit.body["markdown"]["title"]
                          for hit in robot.hits)  # fmt: skip
    assert robot.count() == 36
    assert len(sent_titles) == 36 and set(sent_titles.values()) == {1}
    assert sum(line.startswith("已发送") for lines in results for line in lines) == 36
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Notification.status != "sent")) == 0


def test_a_custom_sender_is_used(db, team):
    cid = add_channel(db, team, "wecom", {"url": "https://example.invalid/hook"})
    put(db, team, "wecom", "fake", channel_id=cid)
    seen = []
    sender = SimpleNamespace(send_wecom=lambda config, title, body, mobiles: seen.append(title))
    with db.sessionmaker() as s:
        outbox.deliver(s, T, sender=sender)
    assert seen == ["标题 fake"]


def test_parallel_runners_share_the_rate_cap(db, team, robot):
    cid = add_channel(db, team, "dingtalk", {"url": robot.url("/ok"), "secret": "s"})
    for i in range(30):
        put(db, team, "dingtalk", f"r{i}", channel_id=cid)
    deliver_in_parallel(db, runners=3)
    assert robot.count() == outbox.ROBOT_RATE
    statuses = Counter(r.status for r in rows(db).values())
    assert statuses == {"sent": 20, "pending": 10}

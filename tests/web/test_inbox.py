"""站内提醒 and the bell, 提醒设置 on /me, 提醒渠道 with its test button, the 提醒记录 page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from data.models import AuditLog, Notification, NotifyChannel, User
from tests.conftest import csrf_token
from tests.dash_helpers import logged_in, texts
from tests.web.test_dashboard_attendance import find, page

pytestmark = pytest.mark.db

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
WEBHOOK_TOKEN = "a1b2c3d4e5f6-webhook-token-never-shown"
DING_SECRET = "SECf00dfeedcafe-never-shown"


def user_id(s, username: str) -> int:
    return s.scalar(select(User.id).where(User.username == username))


def add_message(s, team, username, key, *, read=False, channel="inbox", **extra) -> int:
    values = {
        "team_id": team.team_id,
        "user_id": user_id(s, username) if username else None,
        "channel": channel,
        "kind": "missed_signout",
        "dedupe_key": key,
        "title": f"标题-{key}",
        "body": f"正文-{key}",
        "created_at": AT,
        "status": "sent",
        "read_at": AT if read else None,
        **extra,
    }
    row = Notification(**values)
    s.add(row)
    s.flush()
    return row.id


def post(client, url: str, data: dict, page_url: str = "/inbox"):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=True)


def bell_count(html: str) -> str | None:
    if 'id="bell-count"' not in html:
        return None
    return html.split('id="bell-count">', 1)[1].split("<", 1)[0]


# ---------------------------------------------------------------- inbox and bell


def test_bell_counts_own_unread_and_marking_read(client, auth, team, db):
    with db.session() as s:
        mine = [add_message(s, team, team.assistants[0], f"a{i}") for i in range(2)]
        add_message(s, team, team.assistants[0], "read", read=True)
        theirs = add_message(s, team, team.assistants[1], "other")
        add_message(s, team, team.assistants[0], "mail", channel="email", status="pending")
    auth.login(team.assistants[0])
    me = client.get("/me").get_data(as_text=True)
    assert bell_count(me) == "2"
    inbox = client.get("/inbox").get_data(as_text=True)
    assert bell_count(inbox) == "2"
    assert "标题-a0" in inbox and "标题-read" in inbox
    assert "标题-other" not in inbox and "标题-mail" not in inbox  # only own inbox rows

    refused = post(client, "/inbox/read", {"id": str(theirs)}).get_data(as_text=True)
    assert "没有这条提醒" in refused
    one = post(client, "/inbox/read", {"id": str(mine[0])}).get_data(as_text=True)
    assert bell_count(one) == "1"
    done = post(client, "/inbox/read", {"id": "all"}).get_data(as_text=True)
    assert "已将 1 条提醒标为已读" in done and bell_count(done) is None
    with db.session() as s:
        assert s.get(Notification, theirs).read_at is None


def test_bell_on_workbench_and_dashboard_for_counselor(app, client, auth, team, db):
    with db.session() as s:
        add_message(s, team, team.counselor, "c1", kind="digest")
    auth.login(team.counselor)
    assert bell_count(client.get("/admin/leave").get_data(as_text=True)) == "1"
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "每日汇总" in inbox and 'id="notify"' in inbox  # 提醒设置 for a role without /me
    from dashboard import bell

    with logged_in(app, team.counselor):
        link = bell()
    assert link.href == "/inbox" and texts(link.children).split() == ["提醒", "1"]


def test_inbox_needs_login(client):
    assert client.get("/inbox").status_code == 302
    assert client.post("/inbox/read", data={"id": "all"}).status_code in (302, 400)


# ---------------------------------------------------------------- 提醒设置


def checkbox(html: str, kind: str) -> str:
    return html.split(f'id="notify-{kind}"', 1)[1].split(">", 1)[0]


def test_notify_preferences_saved_validated_and_audited(client, auth, team, db):
    auth.login(team.assistants[0])
    me = client.get("/me").get_data(as_text=True)
    assert 'id="notify"' in me and 'id="notify-shift_start"' in me
    bad = post(client, "/me/notify", {"email": "不是邮箱"}, "/me").get_data(as_text=True)
    assert "邮箱格式不正确" in bad
    data = {"email": " zhang@example.edu.cn ", "receive": ["missed_signout", "second_late", "x"]}
    done = post(client, "/me/notify", data, "/me").get_data(as_text=True)
    assert "提醒设置已保存" in done
    assert 'value="zhang@example.edu.cn"' in done
    assert "checked" not in checkbox(done, "shift_start")
    assert "checked" in checkbox(done, "second_late")
    with db.session() as s:
        person = s.get(User, user_id(s, team.assistants[0]))
        assert person.email == "zhang@example.edu.cn"
        assert person.notify_opt_out == ["shift_start", "weekly_summary", "new_task", "task_due"]
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "notify.preferences"))
        assert entry.after["notify_opt_out"] == [
            "shift_start",
            "weekly_summary",
            "new_task",
            "task_due",
        ]


# ---------------------------------------------------------------- 提醒渠道


@contextmanager
def robot(answer: dict, status: int = 200) -> Iterator[tuple[str, list[dict]]]:
    """A loopback HTTP server standing in for a robot webhook; records what it received."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", 0))
            received.append({"path": self.path, "json": json.loads(self.rfile.read(length))})
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_port}/robot/send?access_token={WEBHOOK_TOKEN}",
            (received),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("assistants", 403), ("leader", 403), ("leadership", 403), ("counselor", 200)],
)
def test_channel_page_permissions(client, auth, team, who, status):
    if who:
        auth.login(team.assistants[0] if who == "assistants" else getattr(team, who))
    assert client.get("/admin/notify").status_code == status
    if who and who != "counselor":
        token = csrf_token(client.get("/inbox").get_data(as_text=True))
        posted = client.post("/admin/notify", data={"kind": "wecom", "csrf_token": token})
        assert posted.status_code == 403


def channel_of(db, kind: str) -> NotifyChannel:
    with db.session() as s:
        row = s.scalar(select(NotifyChannel).where(NotifyChannel.kind == kind))
        s.expunge(row)
        return row


def test_secrets_never_echoed_and_test_button(client, auth, team, db):
    auth.login(team.counselor)
    assert "提醒渠道" in client.get("/admin/leave").get_data(as_text=True)  # in the nav
    with robot({"errcode": 0, "errmsg": "ok"}) as (url, received):
        added = {"kind": "dingtalk", "purpose": "counselor", "url": url, "secret": DING_SECRET}
        html = post(client, "/admin/notify", added, "/admin/notify").get_data(as_text=True)
        assert "已添加钉钉群机器人" in html
        channel = channel_of(db, "dingtalk")
        assert channel.config == {"url": url, "secret": DING_SECRET}
        # An edit with the secrets left empty keeps them.
        path = f"/admin/notify/{channel.id}"
        post(client, path, {"url": "", "secret": ""}, "/admin/notify")
        assert channel_of(db, "dingtalk").config == {"url": url, "secret": DING_SECRET}
        html = post(client, f"{path}/test", {}, "/admin/notify").get_data(as_text=True)
        assert "测试消息已发送" in html
        assert "sign=" in received[0]["path"] and "timestamp=" in received[0]["path"]
        assert received[0]["json"]["msgtype"] == "markdown"
    for text in (html, client.get("/admin/notify").get_data(as_text=True)):
        assert WEBHOOK_TOKEN not in text and DING_SECRET not in text
        assert "已设置" in text
    with db.session() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.entity == "notify_channel")).all()
        assert {e.action for e in entries} >= {"notify_channel.add", "notify_channel.test"}
        dumped = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
        assert WEBHOOK_TOKEN not in dumped and DING_SECRET not in dumped


def test_test_button_shows_the_robots_error(client, auth, team, db):
    auth.login(team.counselor)
    refusal = {"errcode": 310000, "errmsg": "keywords not in content"}
    with robot(refusal) as (url, received):
        added = {"kind": "wecom", "purpose": "team", "url": url}
        post(client, "/admin/notify", added, "/admin/notify")
        channel = channel_of(db, "wecom")
        html = post(client, f"/admin/notify/{channel.id}/test", {}, "/admin/notify")
        html = html.get_data(as_text=True)
    assert len(received) == 1
    assert "测试消息发送失败" in html and "310000" in html and "企业微信" in html
    disabled = post(
        client, f"/admin/notify/{channel.id}/enabled", {"enabled": "0"}, "/admin/notify"
    )
    assert "已停用企业微信群机器人" in disabled.get_data(as_text=True)
    assert channel_of(db, "wecom").enabled is False


def test_channel_form_refusals(client, auth, team, db):
    auth.login(team.counselor)
    cases = [
        ({"kind": "wecom", "purpose": "team", "url": "ftp://x"}, "https://"),
        ({"kind": "dingtalk", "purpose": "team", "url": "https://oapi.dingtalk.com/x", "secret": "abc"}, "SEC"),
        ({"kind": "email", "purpose": "counselor", "host": "smtp.x.cn", "port": "0", "security": "tls", "sender": "a@x.cn"}, "端口"),
        ({"kind": "email", "purpose": "counselor", "host": "smtp.x.cn", "port": "465", "security": "tls", "sender": "bad"}, "邮箱格式"),
        ({"kind": "sms", "purpose": "team"}, "请选择渠道类型"),
    ]  # fmt: skip
    for data, message in cases:
        html = post(client, "/admin/notify", data, "/admin/notify").get_data(as_text=True)
        assert message in html, data
    with db.session() as s:
        assert s.scalar(select(NotifyChannel.id)) is None
    mail = {"kind": "email", "purpose": "counselor", "host": "smtp.x.cn", "port": "465",
            "security": "tls", "username": "a@x.cn", "password": "p4ss-never-shown", "sender": "a@x.cn"}  # fmt: skip
    html = post(client, "/admin/notify", mail, "/admin/notify").get_data(as_text=True)
    assert "已添加邮件" in html and "p4ss-never-shown" not in html and "smtp.x.cn" in html
    again = post(client, "/admin/notify", mail, "/admin/notify").get_data(as_text=True)
    assert "已有邮件" in again


# ---------------------------------------------------------------- 提醒记录 (dashboard)


def test_notification_log_filters(app, team, db):
    with db.session() as s:
        add_message(s, team, team.assistants[0], "n1")
        add_message(s, team, None, "n2", channel="wecom", kind="duty_list", status="failed",
                    attempts=5, last_error="钉钉机器人返回 HTTP 500。")  # fmt: skip
        add_message(s, team, team.counselor, "n3", kind="digest", status="pending",
                    created_at=AT + timedelta(days=3))  # fmt: skip
    notifications = page("notifications")
    with logged_in(app, team.counselor):
        body = notifications.render_notifications(None, None, None, None, team.semester_id)
        rows = find(body, "notifications-grid").rowData
        assert [r["标题"] for r in rows] == ["标题-n3", "标题-n2", "标题-n1"]
        assert rows[0]["时间"] == "2026-11-23 10:00"
        failed = notifications.render_notifications("failed", None, None, None, team.semester_id)
        (row,) = find(failed, "notifications-grid").rowData
        assert row["状态"] == "失败" and row["尝试次数"] == 5 and row["收件人"] == "（群）"
        assert "HTTP 500" in row["错误"] and row["渠道"] == "企业微信"
        digest = notifications.render_notifications(None, "digest", None, None, team.semester_id)
        assert [r["收件人"] for r in find(digest, "notifications-grid").rowData] == ["王老师"]
        day = date(2026, 11, 20).isoformat()
        dated = notifications.render_notifications(None, None, day, day, team.semester_id)
        assert len(find(dated, "notifications-grid").rowData) == 2
        garbage = notifications.render_notifications(
            ["x"], {"a": 1}, "2026-99-99", 5, team.semester_id
        )
        assert len(find(garbage, "notifications-grid").rowData) == 3
        export = notifications.export_notifications(1, "failed", None, day, day, team.semester_id)
        assert export["filename"] == "提醒记录-2026-11-20至2026-11-20.xlsx"
        nothing = notifications.render_notifications("sent", "test", None, None, team.semester_id)
        assert "没有提醒记录" in texts(nothing)
    with logged_in(app, team.leader), pytest.raises(Forbidden):
        notifications.render_notifications(None, None, None, None, team.semester_id)
    with logged_in(app, team.leadership):
        assert "无权查看" in texts(notifications.layout())


def test_demo_inbox_has_unread_items(demo_app):
    from data.demo import COUNSELOR_USERNAME, TYPICAL_USERNAME
    from data.services.inbox import unread_count
    from web import get_session

    with demo_app.app_context():
        s = get_session()
        for username in (TYPICAL_USERNAME, COUNSELOR_USERNAME):
            uid = user_id(s, username)
            assert unread_count(s, uid) >= 1
            total = s.scalars(select(Notification).where(Notification.user_id == uid)).all()
            assert 2 <= len(total) <= 5 and all(n.channel == "inbox" for n in total)
        assert s.scalar(select(NotifyChannel.id)) is None  # the demo sends nothing out

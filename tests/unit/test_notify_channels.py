"""The channel senders against real sockets: a loopback robot server and an aiosmtpd server."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest

from data.notify import channels
from data.notify.channels import ChannelError
from tests.notify_fakes import FakeRobot, free_port, start_smtp


@pytest.fixture
def robot():
    server = FakeRobot().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    controller, box = start_smtp()
    yield SimpleNamespace(host=controller.hostname, port=controller.port, box=box)
    controller.stop()


def test_wecom_markdown(robot):
    channels.send_wecom({"url": robot.url("/ok") + "?key=abc"}, "漏签退提醒", "请在 10:00 前签退。")
    (hit,) = robot.hits
    assert hit.query == {"key": ["abc"]}
    assert hit.body == {
        "msgtype": "markdown",
        "markdown": {"content": "**漏签退提醒**\n请在 10:00 前签退。"},
    }


def test_wecom_text_mentions_mobiles(robot):
    channels.send_wecom({"url": robot.url("/ok")}, "提醒", "内容", mobiles=["13800000001", ""])
    (hit,) = robot.hits
    assert hit.body == {
        "msgtype": "text",
        "text": {"content": "提醒\n内容", "mentioned_mobile_list": ["13800000001"]},
    }


def test_dingtalk_markdown_signed_and_at_mobiles(robot, monkeypatch):
    secret = "SEC0123456789abcdef"
    monkeypatch.setattr(channels, "now_ms", lambda: 1_764_633_600_123)
    channels.send_dingtalk(
        {"url": robot.url("/ok") + "?access_token=tok", "secret": secret},
        "迟到提醒",
        "再迟到 1 次将评为不合格",
        mobiles=["13900000002"],
    )
    (hit,) = robot.hits
    assert hit.query["access_token"] == ["tok"]
    timestamp = hit.query["timestamp"][0]
    assert timestamp == "1764633600123"  # the signing instant travels with the request
    # Recompute the 加签 signature the way 钉钉 does (parse_qs already URL-decoded it).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert hit.query["sign"] == [expected]
    assert hit.body["msgtype"] == "markdown"
    assert hit.body["markdown"]["title"] == "迟到提醒"
    assert "再迟到 1 次将评为不合格" in hit.body["markdown"]["text"]
    assert "@13900000002" in hit.body["markdown"]["text"]
    assert hit.body["at"] == {"atMobiles": ["13900000002"], "isAtAll": False}


def test_dingtalk_without_secret_is_not_signed(robot):
    channels.send_dingtalk({"url": robot.url("/ok")}, "值班表", "明日值班")
    (hit,) = robot.hits
    assert "sign" not in hit.query and "timestamp" not in hit.query
    assert hit.body["at"] == {"atMobiles": [], "isAtAll": False}


@pytest.mark.parametrize("send", [channels.send_wecom, channels.send_dingtalk])
def test_errcode_is_a_failure(robot, send):
    with pytest.raises(ChannelError, match="错误码 93000"):
        send({"url": robot.url("/refuse"), "secret": "s"}, "标题", "内容")


@pytest.mark.parametrize("send", [channels.send_wecom, channels.send_dingtalk])
def test_http_500_is_a_failure(robot, send):
    with pytest.raises(ChannelError, match="HTTP 500"):
        send({"url": robot.url("/error")}, "标题", "内容")


def test_timeout_is_a_failure(robot, monkeypatch):
    monkeypatch.setattr(channels, "TIMEOUT_SECONDS", 0.3)
    robot.slow_seconds = 1.5
    with pytest.raises(ChannelError, match="超时"):
        channels.send_wecom({"url": robot.url("/slow")}, "标题", "内容")


def test_unreachable_and_bad_urls_are_failures():
    with pytest.raises(ChannelError, match="无法连接"):
        channels.send_wecom({"url": f"http://127.0.0.1:{free_port()}/x"}, "标题", "内容")
    with pytest.raises(ChannelError, match="Webhook 地址"):
        channels.send_dingtalk({"url": "file:///etc/passwd"}, "标题", "内容")
    with pytest.raises(ChannelError, match="Webhook 地址"):
        channels.send_wecom({}, "标题", "内容")


def test_error_messages_never_carry_the_secret_url(robot):
    url = robot.url("/refuse") + "?key=SECRETKEY"
    with pytest.raises(ChannelError) as caught:
        channels.send_wecom({"url": url}, "标题", "内容")
    assert "SECRETKEY" not in str(caught.value)


def test_email_is_received_in_utf8(smtp):
    config = {
        "host": smtp.host,
        "port": smtp.port,
        "security": "none",
        "sender": "zgt@example.edu.cn",
    }
    channels.send_email(config, "zhang@example.edu.cn", "漏签退提醒", "张三：请尽快签退。\n第二行")
    ((mail_from, rcpt, content),) = smtp.box.messages
    assert mail_from == "zgt@example.edu.cn"
    assert rcpt == ["zhang@example.edu.cn"]
    message = email.message_from_bytes(content, policy=default_policy)
    assert message["Subject"] == "漏签退提醒"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().splitlines() == ["张三：请尽快签退。", "第二行"]


def test_email_failures_are_channel_errors(smtp):
    with pytest.raises(ChannelError, match="无法连接邮件服务器"):
        channels.send_email(
            {"host": "127.0.0.1", "port": free_port(), "security": "none", "sender": "a@b.cn"},
            "x@b.cn",
            "主题",
            "内容",
        )
    # A plain-text server cannot start TLS.
    with pytest.raises(ChannelError):
        channels.send_email(
            {"host": smtp.host, "port": smtp.port, "security": "starttls", "sender": "a@b.cn"},
            "x@b.cn",
            "主题",
            "内容",
        )
    with pytest.raises(ChannelError, match="邮箱地址"):
        channels.send_email({"host": smtp.host, "sender": "a@b.cn"}, "", "主题", "内容")
    assert smtp.box.messages == []


def test_send_test_reports_ok_or_the_chinese_error(robot, smtp):
    ok = SimpleNamespace(kind="wecom", config={"url": robot.url("/ok")})
    refused = SimpleNamespace(kind="dingtalk", config={"url": robot.url("/refuse"), "secret": "s"})
    mail = SimpleNamespace(
        kind="email",
        config={"host": smtp.host, "port": smtp.port, "security": "none", "sender": "t@b.cn"},
    )
    assert channels.send_test(ok) is None
    assert "钉钉机器人拒绝了消息" in channels.send_test(refused)
    assert channels.send_test(mail) is None
    assert smtp.box.messages[0][1] == ["t@b.cn"]


def test_mask_hides_secrets():
    config = {"url": "https://x/send?key=k", "secret": "s", "password": "", "host": "smtp.b.cn"}
    assert channels.mask(config) == {
        "url": "已设置",
        "secret": "已设置",
        "password": "",
        "host": "smtp.b.cn",
    }

"""Senders for the reminder channels: 企业微信 and 钉钉 group robots (webhooks) and SMTP e-mail.

Every sender raises ``ChannelError`` with a Chinese message on any failure; the robots answer
HTTP 200 with ``errcode`` ≠ 0 when they refuse a message, which is a failure too. Webhook URLs
(they carry the robot's key), 钉钉 secrets and SMTP passwords are secrets: ``mask`` hides them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlsplit

import httpx

if TYPE_CHECKING:
    from data.models import NotifyChannel

TIMEOUT_SECONDS = 5.0
SECRET_FIELDS = ("url", "secret", "password")
MASKED = "已设置"
ROBOT_LABELS = {"wecom": "企业微信", "dingtalk": "钉钉"}
SECURITY_MODES = ("starttls", "tls", "none")
TEST_TITLE = "助管通测试消息"
TEST_BODY = "这是一条测试消息：收到即说明提醒通道配置正确。"


class ChannelError(Exception):
    """A message could not be delivered; the text is Chinese and shown as is."""


def mask(config: dict[str, Any]) -> dict[str, Any]:
    """The config with every secret (webhook URL, 加签 secret, password) replaced by "已设置"."""
    return {
        key: (MASKED if value else "") if key in SECRET_FIELDS else value
        for key, value in (config or {}).items()
    }


def now_ms() -> int:
    """Milliseconds since the epoch, as 钉钉's signature wants them (tests fix it)."""
    return int(time.time() * 1000)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def _webhook_url(config: dict[str, Any], label: str) -> str:
    url = str((config or {}).get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelError(f"{label}机器人的 Webhook 地址未设置或不正确。")
    return url


def _post(url: str, payload: dict[str, Any], label: str) -> None:
    """POST JSON to a robot; raise ChannelError unless it answers 200 with errcode 0."""
    try:
        response = httpx.post(url, json=payload, timeout=TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        raise ChannelError(f"{label}机器人无响应（{TIMEOUT_SECONDS:g} 秒超时）。") from None
    except httpx.HTTPError as exc:
        raise ChannelError(f"无法连接{label}机器人（{type(exc).__name__}）。") from None
    if response.status_code != 200:
        raise ChannelError(f"{label}机器人返回 HTTP {response.status_code}。")
    try:
        answer = response.json()
    except ValueError:
        raise ChannelError(f"{label}机器人的回答无法识别（不是 JSON）。") from None
    if not isinstance(answer, dict):
        raise ChannelError(f"{label}机器人的回答无法识别。")
    errcode = answer.get("errcode", 0)
    if errcode not in (0, "0"):
        errmsg = str(answer.get("errmsg", ""))[:200]
        raise ChannelError(f"{label}机器人拒绝了消息（错误码 {errcode}：{errmsg}）。")


def send_wecom(config: dict[str, Any], title: str, body: str, mobiles: Sequence[str] = ()) -> None:
    """Post to a 企业微信 group robot: markdown, or text with @mobiles (markdown cannot @)."""
    url = _webhook_url(config, ROBOT_LABELS["wecom"])
    mobiles = [m for m in mobiles if m]
    if mobiles:
        payload = {
            "msgtype": "text",
            "text": {"content": f"{title}\n{body}", "mentioned_mobile_list": mobiles},
        }
    else:
        payload = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}}
    _post(url, payload, ROBOT_LABELS["wecom"])


def send_dingtalk(
    config: dict[str, Any], title: str, body: str, mobiles: Sequence[str] = ()
) -> None:
    """Post markdown to a 钉钉 group robot, signed (加签) when the config has a secret."""
    url = _webhook_url(config, ROBOT_LABELS["dingtalk"])
    secret = str(config.get("secret") or "")
    if secret:
        timestamp = now_ms()
        joiner = "&" if urlsplit(url).query else "?"
        url = f"{url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
    mobiles = [m for m in mobiles if m]
    # 钉钉 only highlights an @ that also appears in the text.
    mentions = " ".join(f"@{m}" for m in mobiles)
    text = f"### {title}\n\n{body}" + (f"\n\n{mentions}" if mentions else "")
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }
    _post(url, payload, ROBOT_LABELS["dingtalk"])


def _smtp_connect(config: dict[str, Any]) -> smtplib.SMTP:
    host = str(config.get("host") or "").strip()
    if not host:
        raise ChannelError("邮件服务器地址未设置。")
    security = config.get("security") or "starttls"
    if security not in SECURITY_MODES:
        raise ChannelError("邮件加密方式不正确（应为 STARTTLS、TLS 或无）。")
    port = int(config.get("port") or (465 if security == "tls" else 587))
    context = ssl.create_default_context()
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    if security == "starttls":
        smtp.starttls(context=context)
    return smtp


def send_email(config: dict[str, Any], to: str, subject: str, body: str) -> None:
    """Send one UTF-8 text e-mail through the configured SMTP account."""
    config = config or {}
    sender = str(config.get("sender") or config.get("username") or "").strip()
    if not to or "@" not in to:
        raise ChannelError("收件人没有有效的邮箱地址。")
    if "@" not in sender:
        raise ChannelError("发件邮箱未设置。")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr(("助管通", sender))
    message["To"] = to
    message.set_content(body)
    host = config.get("host", "")
    try:
        with _smtp_connect(config) as smtp:
            if config.get("username"):
                smtp.login(str(config["username"]), str(config.get("password") or ""))
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise ChannelError("邮件服务器拒绝登录：用户名或密码不正确。") from None
    except smtplib.SMTPRecipientsRefused:
        raise ChannelError(f"邮件服务器拒收收件地址 {to}。") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"邮件发送失败（{type(exc).__name__}）。") from None
    except TimeoutError:
        raise ChannelError(f"邮件服务器 {host} 无响应（{TIMEOUT_SECONDS:g} 秒超时）。") from None
    except (OSError, ValueError) as exc:
        raise ChannelError(f"无法连接邮件服务器 {host}（{type(exc).__name__}）。") from None


def send(
    kind: str,
    config: dict[str, Any],
    title: str,
    body: str,
    *,
    to: str = "",
    mobiles: Sequence[str] = (),
) -> None:
    """Send through a channel of ``kind`` (wecom, dingtalk, email)."""
    if kind == "wecom":
        send_wecom(config, title, body, mobiles)
    elif kind == "dingtalk":
        send_dingtalk(config, title, body, mobiles)
    elif kind == "email":
        send_email(config, to, title, body)
    else:
        raise ChannelError(f"未知的提醒通道：{kind}。")


def send_test(channel: NotifyChannel) -> str | None:
    """Send a test message through ``channel``: None when it went through, else the Chinese error."""
    config = channel.config or {}
    to = str(config.get("sender") or config.get("username") or "")
    try:
        send(channel.kind, config, TEST_TITLE, TEST_BODY, to=to)
    except ChannelError as exc:
        return str(exc)
    return None

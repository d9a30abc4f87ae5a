"""提醒渠道 (counselor): the team's robots and SMTP account, with a "发送测试消息" per channel.

Secrets never reach a page: the list shows ``mask(config)`` and the edit form leaves secret
fields empty (empty keeps the stored value). The rules are in ``data.services.notify_channels``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import get_own, perform, team_id
from data.models import NotifyChannel
from data.notify.channels import mask, send_test
from data.services import notify_channels as service
from web import get_session


@bp.get("/admin/notify")
@roles_required(*COUNSELOR)
def notify_channels():
    channels = service.team_channels(get_session(), team_id())
    return render_template(
        "admin/notify.html",
        channels=[(c, mask(dict(c.config or {}))) for c in channels],
        kinds=service.KIND_LABELS,
        purposes=service.PURPOSE_LABELS,
        securities=service.SECURITY_LABELS,
        fields=service.FIELDS,
        field_labels=service.FIELD_LABELS,
        secrets=service.SECRETS,
    )


@bp.post("/admin/notify")
@roles_required(*COUNSELOR)
def notify_channel_add():
    team_id()
    added = perform(service.save, None, request.form)
    if added is not None:
        flash(f"已添加{service.KIND_LABELS[added.kind]}。", "success")
    return redirect(url_for("checkin.notify_channels"))


def _own(channel_id: int) -> NotifyChannel:
    return get_own(get_session(), NotifyChannel, channel_id, lambda c: c.team_id)


@bp.post("/admin/notify/<int:channel_id>")
@roles_required(*COUNSELOR)
def notify_channel_edit(channel_id: int):
    saved = perform(service.save, _own(channel_id), request.form)
    if saved is not None:
        flash(f"已保存{service.KIND_LABELS[saved.kind]}的设置。", "success")
    return redirect(url_for("checkin.notify_channels") + f"#channel-{channel_id}")


@bp.post("/admin/notify/<int:channel_id>/enabled")
@roles_required(*COUNSELOR)
def notify_channel_enabled(channel_id: int):
    enabled = request.form.get("enabled") == "1"
    saved = perform(service.set_enabled, _own(channel_id), enabled)
    if saved is not None:
        flash(f"已{'启用' if enabled else '停用'}{service.KIND_LABELS[saved.kind]}。", "success")
    return redirect(url_for("checkin.notify_channels") + f"#channel-{channel_id}")


@bp.post("/admin/notify/<int:channel_id>/test")
@roles_required(*COUNSELOR)
def notify_channel_test(channel_id: int):
    channel = _own(channel_id)
    error = send_test(channel)  # over the network: outside the write transaction
    perform(service.record_test, channel, error)
    if error is None:
        flash("测试消息已发送。", "success")
    else:
        flash(f"测试消息发送失败：{error}", "danger")
    return redirect(url_for("checkin.notify_channels") + f"#channel-{channel_id}")

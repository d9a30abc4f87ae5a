"""交办任务 on /me: 标记完成 (the list and counts are built with the page, ``checkin.me.page``).

The counts shown are ``MemberFacts.tasks`` (``data.policy.tasks.task_counts``), the same the
warning on /me, the dashboard and the assessment read; the rules are in ``data.services.tasks``.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from checkin import bp
from checkin.common import clean_text, perform
from checkin.me.page import own_page
from data.services import tasks as service


@bp.post("/me/tasks/<int:assignment_id>/done")
@own_page
def task_done(assignment_id: int):
    note = clean_text(request.form.get("note"), service.NOTE_MAX + 1)
    if perform(service.mark_done, assignment_id, note) is not None:
        flash("已标记完成，等待交办人验收。", "success")
    return redirect(url_for("checkin.me") + "#tasks")

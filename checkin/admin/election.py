"""团长选举 (counselor): open, watch the turnout, close and count, confirm, cancel, download.

Counts per candidate are shown only once the election is closed: a running tally would sway
the vote, and with a handful of voters watching it change against the roll's times would tell
who voted for whom. The counselor never sees who voted, only how many.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from checkin import bp
from checkin.access import COUNSELOR, roles_required
from checkin.common import (
    get_own,
    parse_day,
    parse_id,
    perform,
    team_id,
    team_semesters,
    today,
    xlsx_response,
)
from data.attendance import team_settings
from data.inputs import as_text, parse_clock
from data.models import Election, Semester, User
from data.policy import election as policy
from data.services import election_reads as reads
from data.services import elections as service
from data.services import leader_terms
from data.timeutil import local_to_utc
from web import get_session, now


def parse_moment(raw: object) -> datetime | None:
    """A local "YYYY-MM-DDTHH:MM" (what <input type=datetime-local> sends) as UTC, else None."""
    text = as_text(raw).strip().replace("T", " ")
    day_text, _, clock_text = text.partition(" ")
    day, clock = parse_day(day_text), parse_clock(clock_text)
    return local_to_utc(day, clock) if day and clock else None


def _result_rows(election: Election) -> list[tuple[User, str, int | None]]:
    """(candidate, statement, votes) by votes then 学号; votes None until counted."""
    counts = (election.result or {}).get("counts", {})
    rows = [
        (c.user, c.statement, counts.get(str(c.user_id)) if election.result else None)
        for c in election.candidates
    ]
    rows.sort(key=lambda r: (-(r[2] or 0), r[0].username))
    return rows


@bp.get("/admin/election")
@roles_required(*COUNSELOR)
def election():
    db = get_session()
    tid = team_id()
    leader_terms.catch_up(db, tid, now())
    active = reads.active_election(db, tid)
    settings = team_settings(db, tid)
    context: dict = {
        "active": active,
        "history": [e for e in reads.team_elections(db, tid) if e is not active],
        "pending": [(t, db.get(User, t.user_id)) for t in reads.pending_terms(db, tid)],
        "semesters": [s for s in team_semesters(db) if s.end >= today()],
        "semester_names": {s.id: s.name for s in team_semesters(db)},
        "settings": settings,
        "tie_labels": {"counselor": "由兼辅在并列者中确定", "runoff": "并列者再投一轮"},
        "modes": reads.MODE_LABELS,
        "states": reads.STATE_LABELS,
        "outcomes": policy.OUTCOME_LABELS,
        "today": today(),
        "names": {u.id: u for u in db.scalars(select(User).where(User.team_id == tid))},
    }
    if active is not None:
        context.update(
            phase=reads.phase(active, now()),
            voted=reads.voted_count(db, active),
            eligible=reads.eligible_count(db, active, today()),
            rows=_result_rows(active),
            tally=policy.Tally.from_dict(active.result) if active.result else None,
        )
        context["turnout"] = policy.turnout_percent(context["voted"], context["eligible"])
    return render_template("admin/election.html", **context)


def _own_election(election_id: int) -> Election:
    db = get_session()
    return get_own(db, Election, election_id, lambda e: e.team_id)


def _back():
    return redirect(url_for("checkin.election"))


@bp.post("/admin/election")
@roles_required(*COUNSELOR)
def election_open():
    db = get_session()
    form = request.form
    semester_id = parse_id(form.get("semester"))
    semester = db.get(Semester, semester_id) if semester_id else None
    if semester is not None and semester.team_id != team_id():
        abort(404)
    opens_text = as_text(form.get("opens_at")).strip()
    opens_at = parse_moment(opens_text)
    if opens_text and opens_at is None:
        flash("投票开始时间格式应为 年-月-日 时:分", "danger")
        return _back()
    closes_at = parse_moment(form.get("closes_at"))
    mode = as_text(form.get("mode"))
    opened = perform(service.open_election, semester, mode, opens_at, closes_at)
    if opened is not None:
        flash(f"已发起{semester.name}团长选举", "success")
    return _back()


@bp.post("/admin/election/<int:election_id>/close")
@roles_required(*COUNSELOR)
def election_close(election_id: int):
    result = perform(service.close, _own_election(election_id))
    if result is not None:
        category = "success" if result.outcome == policy.WINNER else "warning"
        flash(f"已计票：{policy.OUTCOME_LABELS[result.outcome]}", category)
    return _back()


@bp.post("/admin/election/<int:election_id>/confirm")
@roles_required(*COUNSELOR)
def election_confirm(election_id: int):
    form = request.form
    chosen = parse_id(form.get("chosen")) if form.get("chosen") else None
    term = perform(
        service.confirm, _own_election(election_id), parse_day(form.get("from_day")), chosen
    )
    if term is not None:
        winner = get_session().get(User, term.user_id)
        flash(f"已确认：{winner.name} 自 {term.starts_on} 起任团长", "success")
    return _back()


@bp.post("/admin/election/<int:election_id>/runoff")
@roles_required(*COUNSELOR)
def election_runoff(election_id: int):
    closes_at = parse_moment(request.form.get("closes_at"))
    if perform(service.open_runoff, _own_election(election_id), closes_at) is not None:
        flash("已在并列者中发起第二轮投票", "success")
    return _back()


@bp.post("/admin/election/<int:election_id>/cancel")
@roles_required(*COUNSELOR)
def election_cancel(election_id: int):
    if perform(service.cancel, _own_election(election_id), request.form.get("reason")):
        flash("已取消本次选举", "success")
    return _back()


@bp.get("/admin/election/<int:election_id>/result.xlsx")
@roles_required(*COUNSELOR)
def election_result_xlsx(election_id: int):
    """The counted result: candidates and their counts, and the turnout; never a voter."""
    item = _own_election(election_id)
    if not item.result:
        abort(404)
    tally = policy.Tally.from_dict(item.result)
    counts = pd.DataFrame(
        [(u.username, u.name, votes) for u, _s, votes in _result_rows(item)],
        columns=["学号", "姓名", "得票"],
    )
    winner = get_session().get(User, item.winner_id) if item.winner_id else None
    summary = pd.DataFrame(
        [
            ("应投票人数", tally.eligible),
            ("已投票人数", tally.voted),
            ("投票率（%）", tally.turnout),
            ("最低投票率（%）", tally.min_turnout),
            ("计票结果", policy.OUTCOME_LABELS[tally.outcome]),
            ("状态", reads.STATE_LABELS[item.state]),
            ("当选团长", winner.name if winner else ""),
            ("生效日期", item.confirmed_from.isoformat() if item.confirmed_from else ""),
        ],
        columns=["项目", "值"],
    )
    return xlsx_response({"得票": counts, "概况": summary}, f"团长选举结果-{item.id}.xlsx")

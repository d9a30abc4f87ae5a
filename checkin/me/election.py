"""团长选举 on /me (assistants and the 团长): stand or withdraw before voting starts, vote once,
then see "你的投票已计入". The page never shows whom the person voted for: it is stored nowhere.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from checkin import bp
from checkin.common import perform
from checkin.me.page import own_page
from data.inputs import parse_id
from data.models import Election
from data.services import election_reads as reads
from data.services import elections as service
from web import get_session

BACK = "checkin.me"


def _active() -> Election | None:
    election = reads.active_election(get_session(), current_user.team_id)
    if election is None:
        flash("目前没有进行中的团长选举", "warning")
    return election


def _back():
    return redirect(url_for(BACK, _anchor="election"))


@bp.post("/me/election/stand")
@own_page
def election_stand():
    election = _active()
    if election and perform(service.stand, election, request.form.get("statement")):
        flash("已报名参选团长", "success")
    return _back()


@bp.post("/me/election/withdraw")
@own_page
def election_withdraw():
    election = _active()
    if election is not None and perform(service.withdraw, election):
        flash("已撤回参选", "info")
    return _back()


@bp.post("/me/election/vote")
@own_page
def election_vote():
    election = _active()
    candidate = parse_id(request.form.get("candidate"))
    if election is not None and perform(service.vote, election, candidate):
        flash("你的投票已计入。投票无记名，任何人（包括兼辅）都看不到你投给了谁。", "success")
    return _back()

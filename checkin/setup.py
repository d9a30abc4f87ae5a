"""First run (``/setup``): open only while the install has no user at all, 404 afterwards."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request

from checkin import bp
from checkin.forms import SetupForm
from data.db import write_transaction
from data.services import Refused
from data.services import setup as service
from web import client_ip, csrf, get_session, home_url, now, start_login


@bp.route("/setup", methods=["GET", "POST"])
@csrf.exempt  # checked by the form itself, after the 404: a finished install shows no form at all
def setup():
    db = get_session()
    if not service.needs_setup(db):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        data = form.data
        fields = ("college", "team", "username", "name", "password", "confirm")
        try:
            with write_transaction(db):
                user = service.first_run(db, *(data[f] for f in fields), at=now(), ip=client_ip())
        except service.AlreadySetUp:
            abort(404)  # another first-run form won the race
        except Refused as exc:
            flash(str(exc), "danger")
        else:
            start_login(user)
            flash(f"设置完成，欢迎 {user.name} 老师。下一步：创建学期。", "success")
            return redirect(home_url(user))
    elif form.csrf_token.errors:
        flash("页面已过期，请重新提交。", "danger")
    # A POST that gets here wrote nothing: say so with the status too.
    status = 400 if request.method == "POST" else 200
    return render_template("setup.html", form=form), status

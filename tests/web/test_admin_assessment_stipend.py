"""Assessment (checkin/admin/assessment.py, checkin/me/peer_review.py) and stipend
(checkin/admin/stipend.py), end to end through HTTP, plus the permission matrix of every route
of the schedule / meetings / directory / assessment / stipend pages."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pandas as pd
import pytest
from sqlalchemy import select

from data.export import SHEETS
from data.models import (
    Assessment,
    AuditLog,
    CheckAction,
    CheckEvent,
    Evaluation,
    EvaluationKind,
    Grade,
    Meeting,
    Semester,
    Shift,
    ShiftAssignment,
    Stipend,
    StipendStatus,
    Training,
    User,
)
from data.timeutil import LOCAL_TZ, local_to_utc
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

DURING = datetime(2026, 12, 1, 12, 0, tzinfo=LOCAL_TZ)
AFTER_END = datetime(2027, 1, 20, 12, 0, tzinfo=LOCAL_TZ)
LOCKED = "本学期考核已锁定"


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def uid(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def audits(db, action: str | None = None) -> list[AuditLog]:
    with db.session() as s:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(s.scalars(query))


def flashed(client, response) -> str:
    return client.get(response.headers["Location"]).get_data(as_text=True)


def post(client, url: str, **fields):
    return client.post(url, data={"csrf_token": token(client), **fields})


def open_assessment(client, auth, team) -> None:
    auth.login(team.counselor)
    post(client, "/admin/assessment/open", semester=team.semester_id, open="1")
    auth.logout()


# --- Peer review --------------------------------------------------------------------------


def test_peer_review_excludes_self_and_is_anonymous(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: DURING
    auth.login(team.assistants[0])
    assert "目前没有进行中的同学互评" in client.get("/peer-review").get_data(as_text=True)
    auth.logout()
    open_assessment(client, auth, team)
    (opened,) = audits(db, "assessment.open")
    assert opened.before == {"open": False} and opened.after == {"open": True}

    zhang, lisi, wangwu, leader = (uid(db, u) for u in ("2023101", "2023102", "2023103", "2023001"))
    auth.login("2023101")
    html = client.get("/peer-review").get_data(as_text=True)
    assert f'name="score-{lisi}"' in html and f'name="score-{leader}"' in html
    assert f'name="score-{zhang}"' not in html  # never rate oneself
    response = post(
        client,
        "/peer-review",
        **{f"score-{lisi}": "9", f"score-{wangwu}": "7.5", f"score-{zhang}": "10"},
    )
    assert response.status_code == 302
    with db.session() as s:
        rows = s.scalars(select(Evaluation).where(Evaluation.kind == EvaluationKind.peer)).all()
        assert sorted((r.subject_id, r.score) for r in rows) == sorted([(lisi, 9), (wangwu, 7.5)])
    (entry,) = audits(db, "evaluation.peer")
    # The audit entry says how many, never which score: ratings stay anonymous.
    assert entry.before == {"rated": 0} and entry.after == {"rated": 2, "changed": 2}
    # Editable: change one, clear one.
    post(client, "/peer-review", **{f"score-{lisi}": "8", f"score-{wangwu}": ""})
    with db.session() as s:
        rows = s.scalars(select(Evaluation).where(Evaluation.kind == EvaluationKind.peer)).all()
        assert [(r.subject_id, r.score) for r in rows] == [(lisi, 8)]
    assert len(audits(db, "evaluation.peer")) == 2
    # Bad score: refused, nothing changed.
    response = post(client, "/peer-review", **{f"score-{lisi}": "11"})
    assert response.status_code == 400 and "0–10" in response.get_data(as_text=True)
    assert len(audits(db, "evaluation.peer")) == 2
    auth.logout()

    # Another rater sees only their own (empty) form, never 张三's scores.
    auth.login("2023103")
    html = client.get("/peer-review").get_data(as_text=True)
    assert 'value="8"' not in html
    post(client, "/peer-review", **{f"score-{lisi}": "6"})
    auth.logout()

    # The counselor sees the mean and the count, not who gave what.
    auth.login(team.counselor)
    html = client.get(f"/admin/assessment?semester={team.semester_id}").get_data(as_text=True)
    row = html.split(f'id="member-{lisi}"')[1].split("</tr>")[0]
    assert "7.0" in row and "（2 人）" in row
    assert "已有 2 人提交" in html


def test_peer_review_refused_when_finalized(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: DURING
    open_assessment(client, auth, team)
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = AFTER_END
        s.commit()
    auth.login("2023101")
    assert LOCKED in client.get("/peer-review").get_data(as_text=True)
    response = post(client, "/peer-review", **{f"score-{uid(db, '2023102')}": "9"})
    assert LOCKED in flashed(client, response)
    with db.session() as s:
        assert s.scalars(select(Evaluation)).all() == []


# --- Counselor evaluation, override, publish ----------------------------------------------


def test_counselor_scores_override_and_publish(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: DURING
    zhang, lisi = uid(db, "2023101"), uid(db, "2023102")
    auth.login(team.counselor)
    url = "/admin/assessment/counselor"
    response = post(client, url, semester=team.semester_id, **{f"counselor-{zhang}": "25"})
    assert "0–20" in flashed(client, response)
    assert audits(db) == []
    post(
        client,
        url,
        semester=team.semester_id,
        **{f"counselor-{zhang}": "18", f"counselor-{lisi}": "15.5"},
    )
    (entry,) = audits(db, "evaluation.counselor")
    assert entry.before == {"2023101": None, "2023102": None}
    assert entry.after == {"2023101": 18.0, "2023102": 15.5}
    html = client.get("/admin/assessment").get_data(as_text=True)
    row = html.split(f'id="member-{zhang}"')[1].split("</tr>")[0]
    assert 'value="18.0"' in row

    # Override needs a reason.
    url = "/admin/assessment/override"
    response = post(
        client, url, semester=team.semester_id, user_id=zhang, grade="excellent", reason=""
    )
    assert "必须填写理由" in flashed(client, response)
    assert audits(db, "assessment.override") == []
    response = post(
        client,
        url,
        semester=team.semester_id,
        user_id=zhang,
        grade="excellent",
        reason="迎评工作表现突出",
    )
    assert "已将 张三 的等级调整为“优秀”" in flashed(client, response)
    (entry,) = audits(db, "assessment.override")
    assert entry.before is None and entry.after["override_grade"] == "excellent"
    with db.session() as s:
        row = s.scalar(select(Assessment).where(Assessment.user_id == zhang))
        assert row.override_grade is Grade.excellent and row.overridden_by_id == uid(db, "T001")
        assert not row.published

    # Publishing before the term ends is refused.
    response = post(client, "/admin/assessment/publish", semester=team.semester_id)
    assert "学期尚未结束" in flashed(client, response)
    app.config["CLOCK"] = lambda: AFTER_END
    response = post(client, "/admin/assessment/publish", semester=team.semester_id)
    assert "已发布 4 名助管" in flashed(client, response)
    with db.session() as s:
        rows = {a.user_id: a for a in s.scalars(select(Assessment))}
    assert len(rows) == 4 and all(a.published for a in rows.values())
    assert rows[zhang].final_grade is Grade.excellent and rows[zhang].counselor_score == 18
    # Nobody signed in all term: the engine says 不合格 for 李四 (score below 60).
    assert rows[lisi].grade is Grade.unqualified and "低于合格线" in rows[lisi].reasons
    (entry,) = audits(db, "assessment.publish")
    assert entry.before["2023101"]["published"] is False and entry.after["2023102"]["published"]

    # The 学生工作处 workbook.
    response = client.get(f"/admin/assessment/report.xlsx?semester={team.semester_id}")
    workbook = pd.read_excel(io.BytesIO(response.data), sheet_name=None)
    assert list(workbook) == list(SHEETS)
    assert list(workbook["考核结果"].columns) == SHEETS["考核结果"]

    # Finalized: evaluation edits and overrides are refused.
    with db.session() as s:
        s.get(Semester, team.semester_id).finalized_at = AFTER_END
        s.commit()
    count = len(audits(db))
    response = post(
        client,
        "/admin/assessment/counselor",
        semester=team.semester_id,
        **{f"counselor-{zhang}": "1"},
    )
    assert LOCKED in flashed(client, response)
    response = post(
        client,
        url,
        semester=team.semester_id,
        user_id=lisi,
        grade="qualified",
        reason="重新评定一下",
    )
    assert LOCKED in flashed(client, response)
    assert len(audits(db)) == count


# --- Stipend ------------------------------------------------------------------------------


def worked(db, team, username: str, day: date) -> None:
    """One duty worked 08:00–10:00 on ``day`` (the person's shift that weekday)."""
    with db.session() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        shift_id = s.scalar(
            select(Shift.id)
            .join(ShiftAssignment)
            .where(ShiftAssignment.user_id == user_id, Shift.weekday == day.isoweekday())
        )
        for action, at in ((CheckAction.sign_in, time(7, 55)), (CheckAction.sign_out, time(10, 0))):
            s.add(
                CheckEvent(
                    user_id=user_id,
                    action=action,
                    at=local_to_utc(day, at),
                    duty_date=day,
                    shift_id=shift_id,
                )
            )
        s.commit()


def test_stipend_compute_approve_pay_and_export(app, client, auth, team, db):
    app.config["CLOCK"] = lambda: AFTER_END
    worked(db, team, "2023101", date(2026, 9, 9))  # Wednesday: 张三
    worked(db, team, "2023101", date(2026, 10, 14))
    auth.login(team.counselor)
    url = "/admin/stipend/transition"
    # Nothing computed yet: transitions and the export are refused.
    assert "请先计算" in flashed(
        client,
        post(client, url, semester=team.semester_id, to="approved", user_id=uid(db, "2023101")),
    )
    response = client.get(f"/admin/stipend/finance.xlsx?semester={team.semester_id}")
    assert response.status_code == 302 and "还没有计算补贴" in flashed(client, response)

    response = post(client, "/admin/stipend/compute", semester=team.semester_id)
    assert "已计算 4 人的补贴" in flashed(client, response)
    zhang = uid(db, "2023101")
    with db.session() as s:
        rows = s.scalars(
            select(Stipend).where(Stipend.user_id == zhang).order_by(Stipend.month)
        ).all()
    assert [r.month for r in rows] == ["", "2026-09", "2026-10"]
    total = rows[0]
    # 4 h × 20 元 × 0.5 (不合格: no evaluations at all) = 40 元.
    assert (float(total.hours), float(total.amount), total.status) == (
        4.0,
        40.0,
        StipendStatus.draft,
    )
    (entry,) = audits(db, "stipend.compute")
    assert entry.before is None and entry.after["2023101"] == "40.00"

    # draft → paid is not a valid transition.
    response = post(client, url, semester=team.semester_id, to="paid", user_id=zhang)
    assert "只有已审批的补贴可以标记为已发放" in flashed(client, response)
    response = post(client, url, semester=team.semester_id, to="approved", user_id=zhang)
    assert "已审批 1 人的补贴" in flashed(client, response)
    with db.session() as s:
        rows = s.scalars(select(Stipend).where(Stipend.user_id == zhang)).all()
        assert {r.status for r in rows} == {StipendStatus.approved}
        assert {r.approved_by_id for r in rows} == {uid(db, "T001")}
    response = post(client, url, semester=team.semester_id, to="approved", user_id=zhang)
    assert "只有草稿状态的补贴可以审批" in flashed(client, response)
    # Approved money is frozen.
    response = post(client, "/admin/stipend/compute", semester=team.semester_id)
    assert "不能重新计算" in flashed(client, response)
    response = post(client, url, semester=team.semester_id, to="paid", user_id=zhang)
    assert "已标记为已发放 1 人" in flashed(client, response)
    with db.session() as s:
        assert all(r.paid_at for r in s.scalars(select(Stipend).where(Stipend.user_id == zhang)))
    # Bulk approve of the remaining drafts, then bulk pay.
    post(client, url, semester=team.semester_id, to="approved")
    post(client, url, semester=team.semester_id, to="paid")
    response = post(client, url, semester=team.semester_id, to="paid")
    assert "没有符合条件的记录" in flashed(client, response)
    actions = [a.action for a in audits(db)]
    assert actions == [
        "stipend.compute",
        "stipend.approve",
        "stipend.pay",
        "stipend.approve",
        "stipend.pay",
    ]
    assert audits(db, "stipend.approve")[0].before == {"2023101": "draft"}
    assert audits(db, "stipend.approve")[0].after == {"2023101": "approved"}

    response = client.get(f"/admin/stipend/finance.xlsx?semester={team.semester_id}")
    assert response.status_code == 200
    sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None, dtype={"学号": str})
    assert list(sheets) == ["补贴", "银行发放"]
    finance = sheets["补贴"]
    assert list(finance.columns) == ["学号", "姓名", "工时(小时)", "等级", "金额(元)"]
    assert finance.iloc[finance.index[finance["学号"] == "2023101"][0]].tolist() == [
        "2023101",
        "张三",
        4.0,
        "不合格",
        40.0,
    ]
    bank = sheets["银行发放"]
    assert list(bank.columns) == ["学号", "姓名", "金额", "备注"]
    assert bank.values.tolist() == [["2023101", "张三", 40.0, "2026秋学生助管补贴（已发放）"]]


def test_bad_stipend_transition(app, client, auth, team, db):
    auth.login(team.counselor)
    response = post(client, "/admin/stipend/transition", semester=team.semester_id, to="deleted")
    assert "无效的操作" in flashed(client, response)
    assert post(client, "/admin/stipend/compute", semester="abc").status_code == 404
    assert audits(db) == []


# --- Permission matrix --------------------------------------------------------------------

ROLES = ("assistant", "leader", "counselor", "leadership")
A, L, C, S = ROLES


@pytest.fixture
def world(db, team):
    """Ids the matrix routes need: a meeting, a training, a member."""
    with db.session() as s:
        meeting = Meeting(semester_id=team.semester_id, held_on=date(2026, 10, 1), topic="例会")
        training = Training(
            team_id=team.team_id,
            semester_id=team.semester_id,
            held_on=date(2026, 10, 2),
            topic="培训",
        )
        s.add_all([meeting, training])
        s.commit()
        zhang = s.scalar(select(User.id).where(User.username == "2023101"))
        return {
            "semester": team.semester_id,
            "meeting": meeting.id,
            "training": training.id,
            "user": zhang,
            "place": team.place_id,
        }


# (method, path template, form fields template, roles allowed)
ACTIONS = {
    "schedule.view": ("GET", "/admin/schedule", {}, {L, C, S}),
    "schedule.export": ("GET", "/admin/schedule/export.xlsx", {}, {L, C, S}),
    "schedule.assign": (
        "POST",
        "/admin/schedule/assign",
        {
            "user_id": "{user}",
            "weekday": "6",
            "start": "08:00",
            "end": "09:00",
            "place_id": "{place}",
        },
        {L, C},
    ),
    "schedule.override": (
        "POST",
        "/admin/schedule/overrides",
        {"kind": "cancel", "on": "2026-10-01"},
        {L, C},
    ),
    "meetings.view": ("GET", "/admin/meetings", {}, {L, C, S}),
    # Issue 12: the 团长 opens meetings too (SPEC §1: meeting attendance); deleting does not.
    "meetings.create": (
        "POST",
        "/admin/meetings",
        {"held_on": "2026-10-12", "topic": "例会"},
        {L, C},
    ),
    "meetings.attendance": ("POST", "/admin/meetings/{meeting}", {"minutes": "记录"}, {L, C}),
    "meetings.delete": ("POST", "/admin/meetings/{meeting}/delete", {}, {C}),
    "trainings.create": (
        "POST",
        "/admin/trainings",
        {"held_on": "2026-10-12", "topic": "培训", "organizer": "学院"},
        {C},
    ),
    "trainings.attendance": ("POST", "/admin/trainings/{training}", {}, {L, C}),
    "directory.view": ("GET", "/directory", {}, {A, L, C}),
    "directory.export": ("GET", "/directory.xlsx", {}, {A, L, C}),
    # {user} is assistants[0]'s own entry, which they may edit (others: tests/web/test_directory.py).
    "directory.edit": ("POST", "/directory/{user}/edit", {"phone": "13800000000"}, {A, L, C}),
    "assessment.view": ("GET", "/admin/assessment", {}, {C, S}),
    "assessment.open": ("POST", "/admin/assessment/open", {"open": "1"}, {C}),
    "assessment.counselor": (
        "POST",
        "/admin/assessment/counselor",
        {"counselor-{user}": "15"},
        {C},
    ),
    "assessment.override": (
        "POST",
        "/admin/assessment/override",
        {"user_id": "{user}", "grade": "qualified", "reason": "说明理由"},
        {C},
    ),
    "assessment.publish": ("POST", "/admin/assessment/publish", {}, {C}),
    "assessment.report": ("GET", "/admin/assessment/report.xlsx", {}, {C, S}),
    "peer.view": ("GET", "/peer-review", {}, {A, L}),
    "peer.save": ("POST", "/peer-review", {}, {A, L}),
    "stipend.view": ("GET", "/admin/stipend", {}, {C, S}),
    "stipend.compute": ("POST", "/admin/stipend/compute", {}, {C}),
    "stipend.transition": ("POST", "/admin/stipend/transition", {"to": "approved"}, {C}),
    "stipend.export": ("GET", "/admin/stipend/finance.xlsx", {}, {C, S}),
    # Issue 12: 嘉奖 and the team's name are the counselor's.
    "commendations.view": ("GET", "/admin/commendations", {}, {C}),
    "commendations.add": (
        "POST",
        "/admin/commendations",
        {"user": "{user}", "on": "2026-10-20", "reason": "表现突出", "bonus": "50"},
        {C},
    ),
    "settings.team_name": ("POST", "/admin/settings/team-name", {"name": "新团队名"}, {C}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(client, auth, team, world, db, role, action):
    method, path, fields, allowed = ACTIONS[action]
    username = {A: team.assistants[0], L: team.leader, C: team.counselor, S: team.leadership}[role]
    auth.login(username)
    path = path.format(**world)
    before = len(audits(db))
    if method == "GET":
        response = client.get(f"{path}?semester={world['semester']}")
    else:
        data = {k.format(**world): v.format(**world) for k, v in fields.items()}
        response = post(client, path, semester=world["semester"], **data)
    if role in allowed:
        assert response.status_code in (200, 302, 400), response.status_code
    else:
        assert response.status_code == 403
        assert len(audits(db)) == before  # refused server-side: nothing written

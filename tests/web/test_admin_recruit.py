"""Recruitment end to end (第三条、第四条): /apply, the review list and every stage change."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from data.models import (
    Appointment,
    AppointmentEvent,
    AuditLog,
    Role,
    Semester,
    Stage,
    Team,
    User,
)
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

CLOCK = datetime(2026, 10, 20, 12, 0, tzinfo=LOCAL_TZ)


def audit_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(AuditLog.id)))


def last_audit(db) -> AuditLog:
    with db.session() as s:
        return s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()


def post(client, page: str, url: str, data: dict | None = None, **kwargs):
    """POST ``data`` with the CSRF token of ``page`` (as a browser would)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def add_user(
    db, username: str, role: Role = Role.assistant, team_name: str | None = None, **profile
) -> int:
    with db.session() as s:
        team = (
            s.scalar(select(Team).where(Team.name == team_name))
            if team_name
            else s.scalar(select(Team))
        )
        user = factories.user(s, team, username, profile.pop("name", "新同学"), role)
        for key, value in profile.items():
            setattr(user, key, value)
        s.commit()
        return user.id


def add_applicant(
    db,
    team,
    username: str = "2024201",
    stage: Stage = Stage.applied,
    trial_start: date | None = None,
    **profile,
) -> int:
    user_id = add_user(db, username, **profile)
    with db.session() as s:
        a = Appointment(
            user_id=user_id,
            semester_id=team.semester_id,
            stage=stage,
            applied_on=date(2026, 9, 1),
            trial_start=trial_start,
        )
        s.add(a)
        s.commit()
        return a.id


def other_team(db) -> int:
    """A second team with its own counselor and an applicant; returns that appointment's id."""
    with db.session() as s:
        t = Team(name="外院助管团")
        s.add(t)
        factories.user(s, t, "T900", "外院老师", Role.counselor)
        u = factories.user(s, t, "2029001", "外院学生", Role.assistant)
        sem = Semester(team=t, name="外院2026秋", start=date(2026, 9, 7), end=date(2027, 1, 15))
        s.add(sem)
        s.flush()
        a = Appointment(user_id=u.id, semester_id=sem.id, applied_on=date(2026, 9, 1))
        s.add(a)
        s.commit()
        return a.id


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: CLOCK
    return CLOCK


def stage_of(db, appointment_id: int) -> Stage:
    with db.session() as s:
        return s.get(Appointment, appointment_id).stage


# --- /apply ------------------------------------------------------------------------------


def test_apply_creates_applied_appointment(client, auth, db, team, clock):
    add_user(db, "2024301", name="报名者")
    auth.login("2024301")
    page = client.get("/apply")
    assert page.status_code == 200 and "提交报名" in page.get_data(as_text=True)
    before = audit_count(db)
    data = {
        "degree_level": "研究生",
        "grade": "2024级",
        "political_status": "中共党员",
        "hardship": "yes",
        "grades_note": "GPA 3.7",
        "experience": "曾任班长",
    }
    response = post(client, "/apply", "/apply", data, follow_redirects=True)
    assert "已提交" in response.get_data(as_text=True)
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "appointment.apply" and entry.after["stage"] == "applied"
    assert entry.before is not None and entry.before["hardship"] is False
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == "2024301"))
        a = s.scalar(select(Appointment).where(Appointment.user_id == user.id))
        assert a.stage is Stage.applied and a.applied_on == date(2026, 10, 20)
        assert (
            user.hardship and user.political_status == "中共党员" and user.degree_level == "研究生"
        )
        [event] = a.history
        assert (
            event.from_stage is None and event.to_stage is Stage.applied and event.by_id == user.id
        )
    # A second submission changes nothing.
    status = client.get("/apply").get_data(as_text=True)
    assert 'id="application-status"' in status and 'type="submit">提交报名' not in status
    post(client, "/apply", "/apply", data)
    assert audit_count(db) == before + 1


def test_apply_bad_input_changes_nothing(client, auth, db, team, clock):
    add_user(db, "2024302")
    auth.login("2024302")
    before = audit_count(db)
    response = post(
        client,
        "/apply",
        "/apply",
        {"degree_level": "博士后", "grade": "", "political_status": "x", "hardship": "maybe"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请选择学历层次" in html and "请填写学习成绩情况" in html
    assert audit_count(db) == before
    with db.session() as s:
        assert s.scalar(select(func.count(Appointment.id))) == 4  # only the small team's


def test_appointed_assistant_sees_status_not_form(client, auth, team, clock):
    auth.login(team.assistants[0])
    html = client.get("/apply").get_data(as_text=True)
    assert "当前阶段" in html and "聘任" in html and 'type="submit">提交报名' not in html


# --- Review list and transitions ----------------------------------------------------------


def test_review_list_shows_conditions_and_hardship(client, auth, db, team, clock):
    add_applicant(
        db,
        team,
        "2024201",
        name="困难党员",
        political_status="中共党员",
        degree_level="研究生",
        grade="2024级",
        hardship=True,
    )
    add_applicant(
        db,
        team,
        "2024202",
        name="普通同学",
        political_status="共青团员",
        degree_level="本科生",
        grade="2022级",
    )
    auth.login(team.counselor)
    html = client.get("/admin/recruit").get_data(as_text=True)
    assert "家庭经济困难" in html and "是 · 优先" in html
    assert html.index("困难党员") < html.index("普通同学")  # 党员/研究生/困难 ranked first
    filtered = client.get(f"/admin/recruit?semester={team.semester_id}&hardship=no").get_data(
        as_text=True
    )
    assert "普通同学" in filtered and "困难党员" not in filtered
    filtered = client.get("/admin/recruit?degree=研究生&political=中共党员").get_data(as_text=True)
    assert "困难党员" in filtered and "普通同学" not in filtered


def test_full_recruitment_lifecycle(client, auth, db, team, clock):
    aid = add_applicant(db, team)
    auth.login(team.counselor)
    page = "/admin/recruit"

    def act(action: str, on: str, **extra):
        before = audit_count(db)
        response = post(
            client,
            page,
            f"/admin/recruit/{aid}/{action}",
            {"on": on, **extra},
            follow_redirects=True,
        )
        return response.get_data(as_text=True), audit_count(db) - before

    html, n = act("review", "2026-09-03")
    assert n == 1 and stage_of(db, aid) is Stage.reviewed
    html, n = act("trial", "2026-09-10")
    assert n == 1 and stage_of(db, aid) is Stage.trial
    # Trial ends 2026-10-10 (30 days): appointing earlier needs the override and a reason.
    html, n = act("appoint", "2026-10-01")
    assert n == 0 and "提前转正" in html and stage_of(db, aid) is Stage.trial
    html, n = act("appoint", "2026-10-01", early="1")
    assert n == 0 and "提前转正须填写原因" in html
    html, n = act("appoint", "2026-10-01", early="1", reason="表现突出")
    assert n == 1 and stage_of(db, aid) is Stage.appointed
    entry = last_audit(db)
    assert (
        entry.before["stage"] == "trial"
        and entry.after["stage"] == "appointed"
        and entry.after["early"]
    )
    with db.session() as s:
        a = s.get(Appointment, aid)
        assert a.trial_start == date(2026, 9, 10) and a.appointed_on == date(2026, 10, 1)
        steps = [(e.from_stage, e.to_stage, e.on) for e in a.history]
        assert steps == [
            (Stage.applied, Stage.reviewed, date(2026, 9, 3)),
            (Stage.reviewed, Stage.trial, date(2026, 9, 10)),
            (Stage.trial, Stage.appointed, date(2026, 10, 1)),
        ]
        assert all(e.by_id is not None for e in a.history)
        assert a.history[-1].reason.startswith("【提前转正】")
    detail = client.get(f"/admin/recruit/{aid}").get_data(as_text=True)
    assert "提前转正" in detail and "王老师" in detail


def test_appoint_after_trial_end_needs_no_override(client, auth, db, team, clock):
    aid = add_applicant(db, team, stage=Stage.trial, trial_start=date(2026, 9, 10))
    auth.login(team.counselor)
    post(client, "/admin/recruit", f"/admin/recruit/{aid}/appoint", {"on": "2026-10-10"})
    assert stage_of(db, aid) is Stage.appointed
    assert "early" not in last_audit(db).after


@pytest.mark.parametrize(
    ("stage", "action", "message"),
    [
        (Stage.applied, "appoint", "不能“试用合格，聘任”"),
        (Stage.applied, "trial", "不能“开始试用”"),
        (Stage.trial, "reject", "不能“不予通过”"),
        (Stage.reviewed, "fail_trial", "不能“试用不合格”"),
        (Stage.rejected, "review", "当前阶段为“未通过”"),
    ],
)
def test_invalid_transition_refused(client, auth, db, team, clock, stage, action, message):
    aid = add_applicant(
        db, team, stage=stage, trial_start=date(2026, 9, 10) if stage is Stage.trial else None
    )
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client,
        "/admin/recruit",
        f"/admin/recruit/{aid}/{action}",
        {"on": "2026-10-15", "reason": "x"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert message in html
    assert stage_of(db, aid) is stage and audit_count(db) == before


def test_reject_and_fail_trial_need_reason_and_date(client, auth, db, team, clock):
    aid = add_applicant(db, team)
    auth.login(team.counselor)
    html = post(
        client,
        "/admin/recruit",
        f"/admin/recruit/{aid}/reject",
        {"on": "2026-09-05"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请填写原因" in html and stage_of(db, aid) is Stage.applied
    html = post(
        client,
        "/admin/recruit",
        f"/admin/recruit/{aid}/reject",
        {"on": "9月5日", "reason": "名额已满"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "日期" in html and stage_of(db, aid) is Stage.applied
    post(
        client,
        "/admin/recruit",
        f"/admin/recruit/{aid}/reject",
        {"on": "2026-09-05", "reason": "名额已满"},
    )
    assert stage_of(db, aid) is Stage.rejected
    tid = add_applicant(db, team, "2024209", stage=Stage.trial, trial_start=date(2026, 9, 10))
    post(
        client,
        "/admin/recruit",
        f"/admin/recruit/{tid}/fail_trial",
        {"on": "2026-10-10", "reason": "多次迟到"},
    )
    assert stage_of(db, tid) is Stage.trial_failed
    with db.session() as s:
        assert s.get(Appointment, tid).history[-1].reason == "多次迟到"


def test_unknown_action_is_404(client, auth, db, team, clock):
    aid = add_applicant(db, team)
    auth.login(team.counselor)
    assert (
        post(
            client, "/admin/recruit", f"/admin/recruit/{aid}/promote", {"on": "2026-10-01"}
        ).status_code
        == 404
    )


def test_trial_due_list(client, auth, db, team, clock):
    add_applicant(
        db, team, "2024211", name="到期者", stage=Stage.trial, trial_start=date(2026, 9, 15)
    )
    add_applicant(
        db, team, "2024212", name="未到期者", stage=Stage.trial, trial_start=date(2026, 10, 1)
    )
    auth.login(team.counselor)
    html = client.get("/admin/recruit").get_data(as_text=True)
    due = html[html.index('id="trial-due"') : html.index('id="filters"')]
    assert "到期者" in due and "2026-10-15 期满" in due
    assert "未到期者" not in due


def test_other_teams_appointment_is_404(client, auth, db, team, clock):
    foreign = other_team(db)
    auth.login(team.counselor)
    assert client.get(f"/admin/recruit/{foreign}").status_code == 404
    before = audit_count(db)
    response = post(
        client, "/admin/recruit", f"/admin/recruit/{foreign}/review", {"on": "2026-09-05"}
    )
    assert response.status_code == 404 and audit_count(db) == before
    assert stage_of(db, foreign) is Stage.applied
    with db.session() as s:
        other_sem = s.scalar(select(Semester.id).where(Semester.name == "外院2026秋"))
    assert client.get(f"/admin/recruit?semester={other_sem}").status_code == 404


def test_missing_csrf_is_400(client, auth, db, team, clock):
    aid = add_applicant(db, team)
    auth.login(team.counselor)
    response = client.post(f"/admin/recruit/{aid}/review", data={"on": "2026-09-05"})
    assert response.status_code == 400 and stage_of(db, aid) is Stage.applied


def test_import_applicants(client, auth, db, team, clock):
    auth.login(team.counselor)
    csv = (
        "学号,姓名,性别,学历层次,年级,专业,手机,QQ,政治面貌,家庭经济困难,角色,岗位\n"
        "2025001,新生甲,女,本科生,2023级,数学,,,共青团员,是,,\n"
        f"{team.assistants[0]},张三,,,,,,,,,,\n"
    ).encode()
    before = audit_count(db)
    response = post(
        client,
        "/admin/recruit",
        "/admin/recruit/import",
        {"file": (io.BytesIO(csv), "报名.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "初始密码" in html and "2025001" in html
    assert audit_count(db) == before + 1
    # The initial password is never only on screen: a one-time sheet carries it.
    sheet = re.search(r'href="(/admin/roster/passwords/[^"]+\.xlsx)"', html).group(1)
    book = openpyxl.load_workbook(io.BytesIO(client.get(sheet).data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    password = next(r[2] for r in rows if r[0] == "2025001")
    assert password and password not in html
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == "2025001"))
        assert user.must_change_password and user.hardship
        a = s.scalar(select(Appointment).where(Appointment.user_id == user.id))
        assert a.stage is Stage.applied and a.history[0].to_stage is Stage.applied
    # Bad rows: nothing written.
    bad = "学号,姓名,性别,学历层次,年级,专业,手机,QQ,政治面貌,家庭经济困难,角色,岗位\n坏 学号,,,,,,,,,,,\n".encode()
    before = audit_count(db)
    html = post(
        client,
        "/admin/recruit",
        "/admin/recruit/import",
        {"file": (io.BytesIO(bad), "bad.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "未导入任何数据" in html and audit_count(db) == before
    html = post(
        client,
        "/admin/recruit",
        "/admin/recruit/import",
        {"file": (io.BytesIO(b"x"), "a.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert ".xlsx" in html and audit_count(db) == before


def test_events_are_attributed(db, team):
    with db.session() as s:
        assert s.scalar(select(func.count(AppointmentEvent.id))) == 0

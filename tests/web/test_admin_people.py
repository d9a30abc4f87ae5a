"""Leaving (第九条四、五): resignation, dismissal, failure/violation records, re-hire list."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from data.demo import COUNSELOR_PASSWORD, COUNSELOR_USERNAME
from data.models import (
    Appointment,
    CourseFailure,
    DismissalReason,
    Grade,
    Semester,
    Stage,
    User,
    Violation,
)
from data.report import build_report
from tests.conftest import DEMO_NOW, AuthActions
from tests.web.test_admin_recruit import (
    CLOCK,
    add_applicant,
    audit_count,
    last_audit,
    other_team,
    post,
    stage_of,
)

pytestmark = pytest.mark.db


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: CLOCK
    return CLOCK


def appointment_of(db, team, username: str) -> int:
    with db.session() as s:
        return s.scalar(
            select(Appointment.id)
            .join(User, User.id == Appointment.user_id)
            .where(User.username == username, Appointment.semester_id == team.semester_id)
        )


def test_people_page_lists_serving_members(client, auth, team, clock):
    auth.login(team.counselor)
    html = client.get("/admin/people").get_data(as_text=True)
    assert "张三" in html and "登记辞职" in html and "期末续聘名单" in html


def test_resignation_with_enough_notice(client, auth, db, team, clock):
    aid = appointment_of(db, team, team.assistants[0])
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/resign",
        {"requested_on": "2026-10-20", "leaving_on": "2026-11-19", "reason": "准备考研"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "辞职已登记" in html and "未提前一个月" not in html.split("辞职已登记")[1][:40]
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert (
        entry.action == "appointment.resign"
        and entry.before["stage"] == "appointed"
        and entry.after["stage"] == "resigned"
    )
    with db.session() as s:
        a = s.get(Appointment, aid)
        assert a.stage is Stage.resigned and a.ended_on == date(2026, 11, 19)
        assert a.resignation_requested_on == date(2026, 10, 20) and not a.short_notice_override
        assert a.history[-1].on == date(2026, 11, 19) and a.history[-1].to_stage is Stage.resigned


def test_short_notice_resignation_needs_override_and_is_flagged(client, auth, db, team, clock):
    aid = appointment_of(db, team, team.assistants[1])
    auth.login(team.counselor)
    before = audit_count(db)
    form = {"requested_on": "2026-10-20", "leaving_on": "2026-11-01"}
    html = post(
        client, "/admin/people", f"/admin/people/{aid}/resign", form, follow_redirects=True
    ).get_data(as_text=True)
    assert "至少提前 30 天" in html and "只提前 12 天" in html
    assert stage_of(db, aid) is Stage.appointed and audit_count(db) == before
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/resign",
        {**form, "override": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert stage_of(db, aid) is Stage.resigned and audit_count(db) == before + 1
    assert "未提前一个月" in html
    with db.session() as s:
        a = s.get(Appointment, aid)
        assert a.short_notice_override and a.history[-1].reason.startswith("【未提前一个月】")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "未提前一个月" in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"requested_on": "2026-10-20"}, "请填写正确的申请日期和离岗日期"),
        ({"requested_on": "2026-10-20", "leaving_on": "2026-10-01"}, "离岗日期不能早于申请日期"),
    ],
)
def test_resignation_bad_dates(client, auth, db, team, clock, form, message):
    aid = appointment_of(db, team, team.assistants[0])
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client, "/admin/people", f"/admin/people/{aid}/resign", form, follow_redirects=True
    ).get_data(as_text=True)
    assert message in html and audit_count(db) == before and stage_of(db, aid) is Stage.appointed


def test_dismissal(client, auth, db, team, clock):
    aid = appointment_of(db, team, team.assistants[2])
    auth.login(team.counselor)
    before = audit_count(db)
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/dismiss",
        {"on": "2026-10-20"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请选择解聘原因类别" in html and audit_count(db) == before
    post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/dismiss",
        {"on": "2026-10-20", "category": "violation", "reason": "考试作弊"},
    )
    assert audit_count(db) == before + 1
    with db.session() as s:
        a = s.get(Appointment, aid)
        assert a.stage is Stage.dismissed and a.dismissal_reason is DismissalReason.violation
        assert a.ended_on == date(2026, 10, 20) and "考试作弊" in a.history[-1].reason
    # Already dismissed: a second dismissal or a resignation is refused.
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/resign",
        {"requested_on": "2026-10-20", "leaving_on": "2026-12-01"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "当前阶段为“解聘”" in html and audit_count(db) == before + 1


def test_applicant_cannot_be_dismissed(client, auth, db, team, clock):
    aid = add_applicant(db, team)
    auth.login(team.counselor)
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/dismiss",
        {"on": "2026-10-20", "category": "violation"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "只有试用或聘任中的助管可以办理" in html and stage_of(db, aid) is Stage.applied


def test_records_and_proposals(client, auth, db, team, clock):
    aid = appointment_of(db, team, team.assistants[0])
    auth.login(team.counselor)
    before = audit_count(db)
    post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/failure",
        {"course": "高等代数", "on": "2026-10-15"},
    )
    post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/violation",
        {"description": "值班时擅自离岗", "on": "2026-10-16"},
    )
    assert audit_count(db) == before + 2
    assert last_audit(db).after["description"] == "值班时擅自离岗"
    html = post(
        client,
        "/admin/people",
        f"/admin/people/{aid}/failure",
        {"course": "", "on": "2026-10-15"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请填写不及格的课程名称" in html and audit_count(db) == before + 2
    with db.session() as s:
        assert s.scalar(select(CourseFailure.course)) == "高等代数"
        assert s.scalar(select(Violation.description)) == "值班时擅自离岗"
    html = client.get("/admin/people").get_data(as_text=True)
    proposals = html[html.index('id="proposals"') : html.index('id="members"')]
    assert (
        "张三" in proposals
        and "课程考试不及格 1 门" in proposals
        and "违反学校规章制度 1 次" in proposals
    )
    assert "高等代数" in html  # the records list
    assert stage_of(db, aid) is Stage.appointed  # only proposed; the counselor decides


def test_other_team_is_404(client, auth, db, team, clock):
    foreign = other_team(db)
    auth.login(team.counselor)
    before = audit_count(db)
    for action, form in (
        ("resign", {"requested_on": "2026-10-01", "leaving_on": "2026-12-01"}),
        ("dismiss", {"on": "2026-10-01", "category": "violation"}),
        ("failure", {"course": "x", "on": "2026-10-01"}),
        ("violation", {"description": "x", "on": "2026-10-01"}),
    ):
        assert (
            post(client, "/admin/people", f"/admin/people/{foreign}/{action}", form).status_code
            == 404
        )
    assert audit_count(db) == before


def test_rehire_list_matches_build_report(demo_app, demo_db):
    with demo_db.session() as s:
        previous = s.scalars(select(Semester).order_by(Semester.start)).first()
        report = build_report(s, previous, DEMO_NOW)
        unqualified = {m.username for m in report.members if m.final_grade == Grade.unqualified}
        left = {
            u
            for (u,) in s.execute(
                select(User.username)
                .join(Appointment, Appointment.user_id == User.id)
                .where(
                    Appointment.semester_id == previous.id,
                    Appointment.stage.in_((Stage.dismissed, Stage.resigned)),
                )
            )
        }
        members = {m.username for m in report.members}
        semester_id = previous.id
    assert unqualified, "the demo's previous semester has 不合格 members"
    client = demo_app.test_client()
    AuthActions(client).login(COUNSELOR_USERNAME, COUNSELOR_PASSWORD)
    response = client.get(f"/admin/people/rehire?semester={semester_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = dict(re.findall(r'data-user="([^"]+)" data-verdict="(\w+)"', html))
    not_rehired = {u for u, v in rows.items() if v == "no"}
    assert not_rehired == unqualified - left
    assert {u for u, v in rows.items() if v == "yes"} == members - unqualified - left
    assert {u for u, v in rows.items() if v == "left"} == left
    assert "本学期尚未结束" not in html
    # Without ?semester= the last finished semester is shown.
    assert client.get("/admin/people/rehire").get_data(as_text=True).count('data-verdict="') == len(
        rows
    )

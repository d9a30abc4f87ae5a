"""Putting a team in post in one step (issue 12 item 4): bulk 聘任 and the 续聘 carry-over."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from data.demo import COUNSELOR_PASSWORD, COUNSELOR_USERNAME
from data.models import (
    Appointment,
    AppointmentEvent,
    Assessment,
    AuditLog,
    Grade,
    Semester,
    Stage,
    User,
)
from data.services.carry_over import CARRY_REASON, VETERAN_REASON
from data.services.recruitment import EARLY_MARK
from data.timeutil import LOCAL_TZ
from tests.conftest import DEMO_TODAY, AuthActions
from tests.web.test_admin_recruit import CLOCK, add_user, audit_count, other_team, post

pytestmark = pytest.mark.db


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: CLOCK
    return CLOCK


def appointment(db, semester_id: int, username: str) -> Appointment | None:
    with db.session() as s:
        return s.scalar(
            select(Appointment)
            .join(User, User.id == Appointment.user_id)
            .where(Appointment.semester_id == semester_id, User.username == username)
        )


def user_id(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def people(db, team):
    """A veteran (appointed last spring) and a first-timer, both 已报名 this semester."""
    veteran = add_user(db, "2022001", name="老队员")
    newcomer = add_user(db, "2025001", name="新同学")
    with db.session() as s:
        spring = Semester(
            team_id=team.team_id, name="2026春", start=date(2026, 2, 23), end=date(2026, 7, 10)
        )
        s.add(spring)
        s.flush()
        s.add(
            Appointment(
                user_id=veteran,
                semester_id=spring.id,
                stage=Stage.ended,
                applied_on=date(2026, 2, 16),
                appointed_on=date(2026, 3, 25),
                ended_on=date(2026, 7, 10),
            )
        )
        for uid in (veteran, newcomer):
            s.add(
                Appointment(user_id=uid, semester_id=team.semester_id, applied_on=date(2026, 9, 1))
            )
        s.commit()
    return {"veteran": veteran, "newcomer": newcomer}


def appoint(client, team, form: dict, **kwargs):
    data = {"semester": str(team.semester_id), **form}
    return post(client, "/admin/recruit", "/admin/recruit/appoint", data, **kwargs)


def test_bulk_appoint_from_today_leaves_people_in_post_alone(client, auth, db, team, people, clock):
    auth.login(team.counselor)
    page = client.get("/admin/recruit").get_data(as_text=True)
    assert 'form="bulk-appoint"' in page and 'value="2026-10-20"' in page  # today: running
    in_post = user_id(db, team.assistants[0])
    before = audit_count(db)
    response = appoint(
        client, team, {"user": [str(people["veteran"]), str(in_post)]}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "已聘任 1 人（自 2026-10-20 起）" in html
    assert "已在岗，未改动：2023101 张三（聘任）" in html
    veteran = appointment(db, team.semester_id, "2022001")
    assert veteran.stage is Stage.appointed and veteran.appointed_on == CLOCK.date()
    assert veteran.trial_start is None  # no trial: served before
    kept = appointment(db, team.semester_id, team.assistants[0])
    assert kept.stage is Stage.appointed and kept.appointed_on == date(2026, 9, 7)
    assert audit_count(db) == before + 1
    with db.session() as s:
        entry = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert entry.action == "appointment.bulk_appoint"
        assert entry.entity_id == str(veteran.id)
        assert "early" not in entry.after
        event = s.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == veteran.id)
        ).one()
        assert event.reason == VETERAN_REASON and event.to_stage is Stage.appointed


def test_first_timer_needs_a_reason_and_is_flagged(client, auth, db, team, people, clock):
    auth.login(team.counselor)
    selected = [str(people["veteran"]), str(people["newcomer"])]
    before = audit_count(db)
    html = appoint(
        client, team, {"user": selected, "on": "2026-10-01"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "此前未在本团队聘任过" in html and "2025001 新同学" in html
    assert audit_count(db) == before  # refused as a whole: the veteran is not appointed either
    assert appointment(db, team.semester_id, "2022001").stage is Stage.applied

    form = {"user": selected, "on": "2026-10-01", "reason": "暑期已在学工办实习一个月"}
    html = appoint(client, team, form, follow_redirects=True).get_data(as_text=True)
    assert "首次聘任、未经试用（已标记提前转正）：2025001 新同学" in html
    assert audit_count(db) == before + 2  # one entry per person
    newcomer = appointment(db, team.semester_id, "2025001")
    assert newcomer.stage is Stage.appointed and newcomer.appointed_on == date(2026, 10, 1)
    assert appointment(db, team.semester_id, "2022001").appointed_on == date(2026, 10, 1)
    with db.session() as s:
        entries = s.scalars(
            select(AuditLog).where(AuditLog.action == "appointment.bulk_appoint")
        ).all()
        flagged = {e.entity_id: e.after.get("early", False) for e in entries}
        assert flagged == {
            str(newcomer.id): True,
            str(appointment(db, team.semester_id, "2022001").id): False,
        }
        event = s.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == newcomer.id)
        ).one()
        assert event.reason == EARLY_MARK + "暑期已在学工办实习一个月"
    page = client.get("/admin/recruit?stage=all").get_data(as_text=True)
    row = re.search(rf'<tr id="appointment-{newcomer.id}">.*?</tr>', page, re.S)
    assert row and "提前转正" in row.group(0)


def test_default_day_is_the_start_before_the_semester_runs(app, client, auth, db, team, people):
    app.config["CLOCK"] = lambda: datetime(2026, 9, 1, 9, 0, tzinfo=LOCAL_TZ)
    auth.login(team.counselor)
    appoint(client, team, {"user": str(people["veteran"])})
    assert appointment(db, team.semester_id, "2022001").appointed_on == date(2026, 9, 7)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"on": "2027-02-01"}, "不在学期"),
        ({"on": "2026-13-01"}, "请填写正确的聘任日期"),
        ({"user": []}, "请先勾选要聘任的人员"),
        ({"user": ["abc"]}, "不属于本团队"),
        ({"foreign": True}, "不属于本团队"),
        ({"on": "2026-08-20"}, "不在学期"),
    ],
)
def test_refusals_write_nothing(client, auth, db, team, people, clock, form, message):
    auth.login(team.counselor)
    users = form.pop("user", [str(people["veteran"])])
    if form.pop("foreign", False):
        with db.session() as s:
            foreign = s.get(Appointment, other_team(db)).user_id
        users = [str(people["veteran"]), str(foreign)]
    before = audit_count(db)
    html = appoint(client, team, {"user": users, **form}, follow_redirects=True).get_data(
        as_text=True
    )
    assert message in html
    assert audit_count(db) == before
    assert appointment(db, team.semester_id, "2022001").stage is Stage.applied


def test_other_teams_semester_is_404(client, auth, db, team, people, clock):
    foreign = other_team(db)
    with db.session() as s:
        semester_id = s.get(Appointment, foreign).semester_id
    auth.login(team.counselor)
    form = {"semester": str(semester_id), "user": str(people["veteran"])}
    assert post(client, "/admin/recruit", "/admin/recruit/appoint", form).status_code == 404


# --- Carry over on the demo ----------------------------------------------------------------


def demo_semesters(demo_db) -> tuple[int, int]:
    with demo_db.session() as s:
        previous, current = s.scalars(select(Semester).order_by(Semester.start)).all()
        return previous.id, current.id


def rehirable(demo_db, semester_id: int) -> tuple[set[str], set[str]]:
    """(可续聘, 不合格) usernames of a published semester, straight from its rows."""
    with demo_db.session() as s:
        rows = s.execute(
            select(User.username, Appointment.stage, Assessment)
            .join(Appointment, Appointment.user_id == User.id)
            .outerjoin(
                Assessment,
                (Assessment.user_id == User.id) & (Assessment.semester_id == semester_id),
            )
            .where(Appointment.semester_id == semester_id)
        ).all()
        unqualified = {u for u, _, a in rows if a and a.final_grade is Grade.unqualified}
        served = {u for u, stage, _ in rows if stage in (Stage.appointed, Stage.ended)}
        return served - unqualified, unqualified


def counselor(demo_app):
    client = demo_app.test_client()
    AuthActions(client).login(COUNSELOR_USERNAME, COUNSELOR_PASSWORD)
    return client


def ticked(html: str) -> set[str]:
    """Who has a ticked 续聘 box on the carry-over page."""
    boxes = re.findall(r'<tr data-user="([^"]+)">\s*<td>(<input[^>]*name="user"[^>]*>)', html)
    return {username for username, box in boxes if " checked" in box}


def test_carry_over_appoints_exactly_the_rehirable(demo_app, demo_db):
    """The demo's previous semester (published) → its next one, before anyone is in post."""
    previous_id, current_id = demo_semesters(demo_db)
    with demo_db.session() as s:  # the new semester as just created: nobody appointed yet
        for a in s.scalars(select(Appointment).where(Appointment.semester_id == current_id)):
            s.delete(a)
        s.commit()
    expected, unqualified = rehirable(demo_db, previous_id)
    assert len(expected) >= 30 and unqualified, "the demo has both kinds"
    client = counselor(demo_app)
    html = client.get("/admin/carry-over").get_data(as_text=True)
    assert ticked(html) == expected  # everyone ticked by default
    assert 'id="not-published"' not in html
    not_rehired = html[html.index('id="not-rehired"') :]
    for username in unqualified:
        assert f'data-user="{username}"' in not_rehired
    # The counselor unticks one exception and confirms.
    exception = sorted(expected)[0]
    ids = [str(user_id(demo_db, u)) for u in sorted(expected - {exception})]
    before = audit_count(demo_db)
    response = post(client, "/admin/carry-over", "/admin/carry-over", {"user": ids})
    assert response.status_code == 302
    with demo_db.session() as s:
        rows = s.execute(
            select(User.username, Appointment)
            .join(Appointment, Appointment.user_id == User.id)
            .where(Appointment.semester_id == current_id)
        ).all()
        entries = s.scalars(
            select(AuditLog).where(AuditLog.action == "appointment.carry_over")
        ).all()
        reasons = {
            e.reason
            for e in s.scalars(
                select(AppointmentEvent)
                .join(Appointment)
                .where(Appointment.semester_id == current_id)
            )
        }
    in_post = {u for u, a in rows if a.stage is Stage.appointed}
    assert in_post == expected - {exception}
    assert not in_post & unqualified
    assert all(a.appointed_on == DEMO_TODAY and a.trial_start is None for _, a in rows)
    assert len(entries) == len(in_post) == audit_count(demo_db) - before
    assert reasons == {CARRY_REASON}
    # Confirming again changes nothing: they are in post now and have no box any more.
    html = client.get("/admin/carry-over").get_data(as_text=True)
    assert ticked(html) == {exception}
    post(client, "/admin/carry-over", "/admin/carry-over", {"user": ids})
    assert audit_count(demo_db) == before + len(in_post)


def test_unqualified_cannot_be_slipped_in(demo_app, demo_db):
    previous_id, _current_id = demo_semesters(demo_db)
    _expected, unqualified = rehirable(demo_db, previous_id)
    client = counselor(demo_app)
    before = audit_count(demo_db)
    ids = [str(user_id(demo_db, u)) for u in unqualified]
    html = post(
        client, "/admin/carry-over", "/admin/carry-over", {"user": ids}, follow_redirects=True
    ).get_data(as_text=True)
    assert "不在可续聘名单上" in html
    assert audit_count(demo_db) == before


def test_before_publication_the_list_is_read_only(demo_app, demo_db):
    """The demo's current semester is not published: a new one after it cannot be confirmed."""
    _previous_id, current_id = demo_semesters(demo_db)
    with demo_db.session() as s:
        current = s.get(Semester, current_id)
        new = Semester(
            team_id=current.team_id,
            name="2026-2027学年第二学期",
            start=date(2027, 2, 22),
            end=date(2027, 7, 2),
        )
        s.add(new)
        s.commit()
        new_id = new.id
        members = s.scalars(
            select(User.id).join(Appointment).where(Appointment.semester_id == current_id)
        ).all()
    client = counselor(demo_app)
    html = client.get(f"/admin/carry-over?semester={new_id}").get_data(as_text=True)
    assert 'id="not-published"' in html and "尚未发布" in html and "（预估）" in html
    assert 'type="submit">确认续聘' not in html
    boxes = re.findall(r'<input[^>]*name="user"[^>]*>', html)
    assert boxes and all("disabled" in box for box in boxes)
    before = audit_count(demo_db)
    form = {"semester": str(new_id), "user": [str(i) for i in members]}
    html = post(
        client, "/admin/carry-over", "/admin/carry-over", form, follow_redirects=True
    ).get_data(as_text=True)
    assert "考核结果尚未发布，发布后才能确认续聘" in html
    assert audit_count(demo_db) == before
    with demo_db.session() as s:
        count = s.scalar(
            select(func.count(Appointment.id)).where(Appointment.semester_id == new_id)
        )
    assert count == 0


def test_default_page_on_the_demo_shows_the_team_already_carried(demo_app, demo_db):
    """At DEMO_NOW the previous semester has ended and the current one holds the veterans."""
    previous_id, _current_id = demo_semesters(demo_db)
    expected, _unqualified = rehirable(demo_db, previous_id)
    html = counselor(demo_app).get("/admin/carry-over").get_data(as_text=True)
    rows = html[html.index('id="rehirable"') : html.index('id="not-rehired"')]
    assert set(re.findall(r'data-user="([^"]+)"', rows)) == expected
    assert ticked(html) == set()  # all in post already
    assert "续聘" in html and "不再聘任" in html


def test_carry_over_without_a_next_semester(client, auth, team, clock):
    auth.login(team.counselor)
    html = client.get("/admin/carry-over").get_data(as_text=True)
    assert "还没有可续聘的新学期" in html
    html = post(client, "/admin/carry-over", "/admin/carry-over", {}, follow_redirects=True)
    assert "还没有可续聘的新学期" in html.get_data(as_text=True)

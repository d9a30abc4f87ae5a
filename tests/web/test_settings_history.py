"""Settings without surprises (issue 10, SPEC §3 "The record holds"): per-duty settings by date.

Unit tests of ``SettingsHistory`` and the engine's per-duty windows, then the settings page:
a grace change leaves earlier duties alone, applying it to the semester is an audited act.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from data.attendance import semester_attendance, team_settings, team_settings_history
from data.models import (
    Appointment,
    AuditLog,
    CheckAction,
    CheckEvent,
    Semester,
    Shift,
    ShiftAssignment,
    TeamSettings,
    User,
)
from data.policy.classify import classify_extra, match_events
from data.policy.settings import (
    EPOCHS_KEY,
    PolicySettings,
    SettingsHistory,
)
from data.policy.types import Duty, Event
from data.timeutil import LOCAL_TZ
from tests.conftest import AuthActions, csrf_token

SAVED = datetime(2026, 12, 2, 14, 5, tzinfo=LOCAL_TZ)
FIVE, TEN = PolicySettings(), PolicySettings(grace_minutes=10)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


# --- SettingsHistory ----------------------------------------------------------------------


def test_no_epochs_means_the_current_values_always():
    history = SettingsHistory(TEN)
    assert history.for_duty(datetime(2000, 1, 1, tzinfo=UTC)) is TEN
    assert history.to_dict() == TEN.to_dict()


def test_a_duty_starting_exactly_at_the_save_gets_the_new_values():
    history = SettingsHistory(FIVE).saved(TEN, SAVED)
    assert history.current == TEN
    assert history.for_duty(SAVED).grace_minutes == 10
    assert history.for_duty(SAVED - timedelta(microseconds=1)).grace_minutes == 5
    assert history.for_duty(SAVED - timedelta(days=300)).grace_minutes == 5
    assert history.for_duty(SAVED + timedelta(days=1)).grace_minutes == 10
    # The same instant in another zone, and naive UTC as SQLite returns it, agree.
    naive_utc = SAVED.astimezone(UTC).replace(tzinfo=None)
    assert history.for_duty(naive_utc).grace_minutes == 10


def test_old_epochs_keep_per_duty_values_only_totals_are_current():
    history = SettingsHistory(FIVE).saved(TEN.replace(late_critical=2), SAVED)
    before = history.for_duty(SAVED - timedelta(hours=1))
    assert before.grace_minutes == 5 and before.late_critical == 2


def test_saving_other_fields_adds_no_epoch():
    history = SettingsHistory(FIVE).saved(FIVE.replace(hourly_rate=25), SAVED)
    assert history.epochs == () and history.current.hourly_rate == 25


def test_json_round_trip_and_policy_settings_ignore_the_epochs():
    history = (
        SettingsHistory(FIVE)
        .saved(TEN, SAVED)
        .saved(
            TEN.replace(missed_sign_out_minutes=60, missed_sign_out_credits_zero=False),
            SAVED + timedelta(days=3),
        )
    )
    stored = json.loads(json.dumps(history.to_dict()))
    again = SettingsHistory.from_dict(stored)
    assert again == history
    assert [e.values["grace_minutes"] for e in again.epochs] == [5, 10, 10]
    assert again.for_duty(SAVED + timedelta(days=1)).missed_sign_out_minutes == 120
    assert again.for_duty(SAVED + timedelta(days=3)).missed_sign_out_credits_zero is False
    assert PolicySettings.from_dict(stored) == history.current
    assert SettingsHistory.from_dict(None) == SettingsHistory()


def test_apply_from_a_date_rewrites_only_the_epochs_from_then():
    semester_start = local(date(2026, 9, 7), 0)
    earlier = SettingsHistory(FIVE).saved(
        PolicySettings(grace_minutes=3), semester_start - timedelta(days=30)
    )
    history = earlier.saved(TEN, SAVED)
    applied = history.applied_from(semester_start)
    assert applied.current == TEN
    assert applied.for_duty(semester_start - timedelta(days=40)).grace_minutes == 5
    assert applied.for_duty(semester_start - timedelta(minutes=1)).grace_minutes == 3
    assert applied.for_duty(semester_start).grace_minutes == 10
    assert applied.for_duty(SAVED - timedelta(days=1)).grace_minutes == 10
    # Nothing to apply: the same history.
    assert applied.applied_from(semester_start) == applied
    assert SettingsHistory(TEN).applied_from(semester_start) == SettingsHistory(TEN)


@settings(deadline=None, max_examples=60)
@given(
    graces=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6),
    gaps=st.lists(st.integers(min_value=1, max_value=10_000), min_size=6, max_size=6),
    probe=st.integers(min_value=-20_000, max_value=80_000),
)
def test_a_save_never_moves_a_duty_that_started_before_it(graces, gaps, probe):
    """For any sequence of saves, a duty's values are those of the last save at or before it."""
    history = SettingsHistory(FIVE)
    saves: list[tuple[datetime, int]] = []
    moment = SAVED
    for grace, gap in zip(graces, gaps, strict=False):
        moment += timedelta(minutes=gap)
        before = history
        history = history.saved(FIVE.replace(grace_minutes=grace), moment)
        start = SAVED + timedelta(minutes=probe)
        if start < moment:
            assert history.for_duty(start) == before.for_duty(start)
        saves.append((moment, grace))
    start = SAVED + timedelta(minutes=probe)
    expected = 5
    for when, grace in saves:
        if when <= start:
            expected = grace
    assert history.for_duty(start).grace_minutes == expected


# --- The engine's windows per duty ---------------------------------------------------------


def test_match_events_uses_each_duty_window_in_force_at_its_start():
    early_day, late_day = date(2026, 12, 1), date(2026, 12, 3)
    old = Duty(1, early_day, 7, local(early_day, 8), local(early_day, 10), "")
    new = Duty(1, late_day, 7, local(late_day, 8), local(late_day, 10), "")
    narrow = FIVE.replace(sign_in_window_minutes=10)
    history = SettingsHistory(FIVE).saved(narrow, SAVED)
    events = {
        1: [Event(local(early_day, 7, 40), "sign_in"), Event(local(late_day, 7, 40), "sign_in")]
    }
    matched, leftovers = match_events([old, new], events, narrow, history.for_duty)
    assert list(matched) == [old.key]  # 20 minutes early: inside 30, outside 10
    assert leftovers == {1: [Event(local(late_day, 7, 40), "sign_in")]}


def test_classify_extra_missed_window_in_force_at_the_sign_in():
    day = date(2026, 12, 1)
    short = FIVE.replace(missed_sign_out_minutes=30)
    history = SettingsHistory(FIVE).saved(short, local(day, 18, 30))
    now = local(day, 18, 50)
    before = classify_extra(
        [Event(local(day, 18), "sign_in")], short, user_id=1, now=now, settings_for=history.for_duty
    )
    after = classify_extra(
        [Event(local(day, 18, 40), "sign_in")],
        short,
        user_id=1,
        now=local(day, 19, 20),
        settings_for=history.for_duty,
    )
    assert before[0].status == "in_progress"  # 120 minutes were in force at 18:00
    assert after[0].status == "missed_sign_out"  # 30 minutes from 18:30 on


# --- The settings page ---------------------------------------------------------------------

pytestmark_db = pytest.mark.db
TODAY = date(2026, 12, 2)  # a Wednesday; 王五 (assistants[2]) is on duty on Tuesdays 08:00–10:00
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)


@pytest.fixture
def clock(app):
    class Clock:
        moment = SAVED

    c = Clock()
    app.config["CLOCK"] = lambda: c.moment
    return c


def post(client, url: str, data: dict, **kwargs):
    token = csrf_token(client.get("/admin/settings").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def settings_form(client) -> dict[str, str]:
    from tests.web.test_admin_accounts_settings import settings_form as form

    return form(client)


@pytest.fixture
def wangwu(db, team):
    """王五, in post since Monday, late by 7 minutes yesterday (Tuesday); a Thursday shift too."""
    with db.session() as s:
        person = s.scalar(select(User).where(User.username == team.assistants[2]))
        # In post from this Monday only, so earlier Tuesdays are no absences (SPEC §3).
        appointment = s.scalar(select(Appointment).where(Appointment.user_id == person.id))
        appointment.trial_start = appointment.appointed_on = date(2026, 11, 30)
        semester = s.get(Semester, team.semester_id)
        shift = Shift(semester=semester, weekday=4, start=time(8, 0), end=time(10, 0))
        shift.place_id = team.place_id
        shift.assignments.append(ShiftAssignment(user_id=person.id))
        s.add(shift)
        s.flush()
        tuesday = s.scalar(
            select(Shift.id).where(Shift.semester_id == semester.id, Shift.weekday == 2)
        )
        for action, moment in (
            (CheckAction.sign_in, local(YESTERDAY, 8, 7)),
            (CheckAction.sign_out, local(YESTERDAY, 10)),
        ):
            s.add(
                CheckEvent(
                    user_id=person.id,
                    action=action,
                    at=moment,
                    duty_date=YESTERDAY,
                    shift_id=tuesday,
                    place_id=team.place_id,
                )
            )
        s.commit()
        return person.id, tuesday, shift.id


def statuses(db, team, user_id: int, now: datetime) -> dict[date, str]:
    with db.session() as s:
        semester = s.get(Semester, team.semester_id)
        outcomes = semester_attendance(s, semester, now, user_ids={user_id}).outcomes
        return {o.duty.day: o.status for o in outcomes if o.duty.day >= YESTERDAY}


def audits(db, action: str) -> list[AuditLog]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytestmark_db
def test_grace_change_today_leaves_yesterday_late_and_applies_tomorrow(
    client, auth, db, team, clock, wangwu
):
    user_id, _tuesday, thursday = wangwu
    auth.login(team.counselor)
    form = {**settings_form(client), "grace_minutes": "10"}
    html = post(client, "/admin/settings", form, follow_redirects=True).get_data(as_text=True)
    assert (
        "已保存：迟到/早退宽限等按值班规则的设置自 12月2日 14:05 起开始的值班生效，之前的值班不变"
        in html
    )
    with db.session() as s:
        assert team_settings(s, team.team_id).grace_minutes == 10
        assert len(s.get(TeamSettings, team.team_id).values[EPOCHS_KEY]) == 2
        s.add(
            CheckEvent(
                user_id=user_id,
                action=CheckAction.sign_in,
                at=local(TOMORROW, 8, 7),
                duty_date=TOMORROW,
                shift_id=thursday,
                place_id=team.place_id,
            )
        )
        s.add(
            CheckEvent(
                user_id=user_id,
                action=CheckAction.sign_out,
                at=local(TOMORROW, 10),
                duty_date=TOMORROW,
                shift_id=thursday,
                place_id=team.place_id,
            )
        )
        s.commit()
    assert statuses(db, team, user_id, local(TOMORROW, 11)) == {
        YESTERDAY: "late",
        TOMORROW: "normal",
    }


@pytestmark_db
def test_apply_to_semester_needs_a_reason_previews_and_audits(
    client, auth, db, team, clock, wangwu
):
    user_id = wangwu[0]
    auth.login(team.counselor)
    post(client, "/admin/settings", {**settings_form(client), "grace_minutes": "10"})
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'action="/admin/settings/apply-semester"' in page
    with db.session() as s:
        stored = dict(s.get(TeamSettings, team.team_id).values)

    def unchanged() -> bool:
        with db.session() as s:
            return s.get(TeamSettings, team.team_id).values == stored

    refused = post(client, "/admin/settings/apply-semester", {"reason": " "})
    assert refused.status_code == 400 and "未应用：请填写应用原因" in refused.get_data(as_text=True)
    assert unchanged() and audits(db, "settings.apply_semester") == []

    reason = "学院统一宽限为 10 分钟"
    preview = post(client, "/admin/settings/apply-semester", {"reason": reason}).get_data(
        as_text=True
    )
    assert "1 个值班的状态将变化" in preview
    row = re.search(r"<tr>\s*<td>王五 .*?</tr>", preview, re.S)
    assert row and "提醒 → <strong>无</strong>" in row.group(0)
    assert f'name="reason" value="{reason}"' in preview and 'name="confirm" value="1"' in preview
    assert unchanged() and statuses(db, team, user_id, SAVED)[YESTERDAY] == "late"

    done = post(
        client,
        "/admin/settings/apply-semester",
        {"reason": reason, "confirm": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已把当前考勤规则应用到2026秋的全部值班（1 个值班状态变化，1 人等级或预警变化）" in done
    (entry,) = audits(db, "settings.apply_semester")
    assert entry.after["reason"] == reason and entry.after["duties_changed"] == 1
    assert statuses(db, team, user_id, SAVED)[YESTERDAY] == "normal"
    with db.session() as s:
        history = team_settings_history(s, team.team_id)
        semester_start = local(date(2026, 9, 7), 0)
        assert history.for_duty(semester_start - timedelta(minutes=1)).grace_minutes == 5
        assert history.for_duty(semester_start).grace_minutes == 10
    assert "的全部值班都已按当前考勤规则计算" in client.get("/admin/settings").get_data(
        as_text=True
    )


@pytestmark_db
def test_totals_change_nobody_moves_saves_in_one_step(client, auth, db, team, clock, wangwu):
    auth.login(team.counselor)
    form = {**settings_form(client), "absence_critical": "3"}
    html = post(client, "/admin/settings", form, follow_redirects=True).get_data(as_text=True)
    assert "已保存，立即生效（本学期没有人的等级、预警或补贴因此变化）" in html
    assert 'id="settings-preview"' not in html
    assert audits(db, "settings.update")[-1].after == {"absence_critical": 3}


@pytestmark_db
def test_totals_preview_lists_the_person_and_saves_only_on_confirm(
    client, auth, db, team, clock, wangwu
):
    auth.login(team.counselor)
    form = {**settings_form(client), "late_info": "1", "late_warning": "1", "late_critical": "1"}
    preview = post(client, "/admin/settings", form).get_data(as_text=True)
    row = re.search(r"<tr>\s*<td>王五 .*?</tr>", preview, re.S)
    assert row and "提醒 → <strong>不合格风险</strong>" in row.group(0)
    assert audits(db, "settings.update") == []
    with db.session() as s:
        assert team_settings(s, team.team_id).late_critical == 3
    html = post(
        client, "/admin/settings", {**form, "confirm": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已保存，立即生效（1 人等级或预警变化）" in html
    with db.session() as s:
        assert team_settings(s, team.team_id).late_critical == 1
    # Restoring the defaults is a totals change too: the same preview, then the confirm.
    preview = post(client, "/admin/settings/reset", {}).get_data(as_text=True)
    assert "不合格风险 → <strong>提醒</strong>" in preview
    assert 'action="/admin/settings/reset"' in preview
    with db.session() as s:
        assert team_settings(s, team.team_id).late_critical == 1
    post(client, "/admin/settings/reset", {"confirm": "1"})
    with db.session() as s:
        assert team_settings(s, team.team_id).late_critical == 3
    assert [e.action for e in audits(db, "settings.reset")] == ["settings.reset"]


@pytestmark_db
def test_the_door_judges_a_running_duty_by_the_grace_in_force_at_its_start(
    app, client, auth, db, team, clock, wangwu
):
    """Grace 5 → 10 at 08:03 during Tuesday's duty: a sign-in at 08:07 is still 7 minutes late."""
    from tests.web.test_door import poster_url, press

    tuesday = date(2026, 12, 8)
    clock.moment = local(tuesday, 8, 3)
    auth.login(team.counselor)
    post(client, "/admin/settings", {**settings_form(client), "grace_minutes": "10"})
    auth.logout()
    clock.moment = local(tuesday, 8, 7)
    client.get(poster_url(app, team.place_id))
    AuthActions(client).login(team.assistants[2])
    page = press(client, "sign_in").get_data(as_text=True)
    assert "迟到 7 分钟" in page

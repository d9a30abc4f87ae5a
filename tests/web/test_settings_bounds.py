"""Every numeric setting has bounds (``data.policy.settings.BOUNDS``): the form refuses anything
else naming the field and its range, nothing is saved, the service never stores a non-finite
number, and a stored Infinity from before reads as the default instead of breaking pages."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from data.db import write_transaction
from data.models import AuditLog, TeamSettings, User
from data.policy.settings import (
    BOUNDS,
    DEFAULTS,
    EPOCHS_KEY,
    PolicySettings,
    SettingsError,
    SettingsHistory,
)
from data.services import Refused
from data.services import settings as service
from tests.web.test_admin_accounts_settings import settings_form
from tests.web.test_admin_recruit import post

RATE = "“每小时补贴”须填写 0–10000 之间的数字（元）"
GRACE = "“迟到/早退宽限”须填写 0–720 之间的整数（分钟）"


def audits(db) -> int:
    with db.session() as s:
        return len(s.scalars(select(AuditLog.id)).all())


def stored(db, team) -> dict | None:
    with db.session() as s:
        row = s.get(TeamSettings, team.team_id)
        return row.values if row else None


@pytest.mark.db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hourly_rate", "1e400", RATE),
        ("hourly_rate", "9" * 400, RATE),
        ("hourly_rate", "nan", RATE),
        ("hourly_rate", "inf", RATE),
        ("hourly_rate", "-1", RATE),
        ("hourly_rate", "10000.5", RATE),
        ("hourly_rate", "２０", RATE),  # full-width digits
        ("hourly_rate", "20.1234567", RATE),  # more decimals than money has
        ("grace_minutes", "9" * 5000, GRACE),  # int() of this raises
        ("grace_minutes", "5²", GRACE),  # "²".isdigit() is True
        ("grace_minutes", "721", GRACE),
        ("grace_minutes", "5.0", GRACE),
        ("factor_excellent", "11", "“优秀系数”须填写 0–10 之间的数字"),
        ("monthly_cap_hours", "745", "“每月工时上限”须填写 0–744 之间的数字（小时）"),
        ("kiosk_step_seconds", "4", "“平板动态码刷新间隔”须填写 5–3600 之间的整数（秒）"),
        ("excellent_quota", "1.5", "“优秀比例上限”须填写 0–1 之间的数字"),
    ],
)
def test_out_of_range_numbers_are_refused_naming_field_and_range(
    client, auth, db, team, field, value, message
):
    auth.login(team.counselor)
    before = audits(db)
    form = {**settings_form(client), field: value}
    response = post(client, "/admin/settings", "/admin/settings", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"未保存：{message}" in html
    assert audits(db) == before and stored(db, team) is None


@pytest.mark.db
def test_the_bounds_themselves_are_accepted(client, auth, db, team):
    auth.login(team.counselor)
    form = {
        **settings_form(client),
        "hourly_rate": "10000",
        "grace_minutes": "0",
        "factor_excellent": "10",
        "kiosk_step_seconds": "3600",
    }
    response = post(client, "/admin/settings", "/admin/settings", {**form, "confirm": "1"})
    assert response.status_code == 302
    values = stored(db, team)
    assert values["hourly_rate"] == 10000 and values["grace_minutes"] == 0
    assert values["grade_factors"]["excellent"] == 10 and values["kiosk_step_seconds"] == 3600


def test_every_numeric_setting_has_bounds_and_the_defaults_sit_inside():
    numeric = {
        f.name
        for f in dataclasses.fields(PolicySettings)
        if f.type in ("int", "float", "float | None", "dict[str, float]")
    }
    assert set(BOUNDS) == numeric
    for name, (low, high) in BOUNDS.items():
        assert low < high, name
        default = getattr(DEFAULTS, name)
        values = default.values() if isinstance(default, dict) else [default]
        assert all(v is None or low <= v <= high for v in values), name


@pytest.mark.parametrize(
    "change",
    [
        {"hourly_rate": math.inf},
        {"hourly_rate": math.nan},
        {"grace_minutes": 5.5},
        {"grace_minutes": True},
        {"trial_days": 10**400},
        {"grade_factors": {"excellent": math.inf, "qualified": 1, "unqualified": 0.5}},
        {"excellent_quota": math.nan},
    ],
)
def test_the_settings_object_never_holds_an_unbounded_number(change):
    with pytest.raises(SettingsError):
        PolicySettings(**change)


def test_stored_numbers_outside_bounds_read_as_the_default():
    values = {
        "hourly_rate": math.inf,
        "grace_minutes": math.nan,
        "late_critical": "3",  # a string where a number belongs
        "trial_days": 14,  # a good value is kept
        "device_binding": 0,
        "grade_factors": {"excellent": -math.inf, "qualified": 0.9, "bogus": 2},
        EPOCHS_KEY: [
            {"from": None, "values": {"grace_minutes": math.inf, "sign_in_window_minutes": 20}}
        ],
    }
    history = SettingsHistory.from_dict(values)
    current = history.current
    assert current.hourly_rate == DEFAULTS.hourly_rate
    assert current.grace_minutes == DEFAULTS.grace_minutes
    assert current.late_critical == DEFAULTS.late_critical
    assert current.device_binding is DEFAULTS.device_binding
    assert current.trial_days == 14
    assert current.grade_factors == {"excellent": 1.2, "qualified": 0.9, "unqualified": 0.5}
    (epoch,) = history.epochs
    assert epoch.values["grace_minutes"] == DEFAULTS.grace_minutes
    assert epoch.values["sign_in_window_minutes"] == 20


def test_the_service_never_stores_a_non_finite_number(session, team):
    actor = session.scalar(select(User).where(User.username == team.counselor))
    forged = PolicySettings()
    object.__setattr__(forged, "hourly_rate", math.inf)  # past the object's own check
    with pytest.raises(Refused, match="无效的数字"), write_transaction(session):
        service.save(session, actor, forged, "settings.update", confirmed=True, at=_now())
    assert session.get(TeamSettings, team.team_id) is None
    assert not service.finite({"a": [1.0, {"b": math.nan}]}) and service.finite({"a": [1, "x"]})


def _now() -> datetime:
    return datetime(2026, 10, 12, 2, 0, tzinfo=UTC)


def test_old_infinity_in_the_store_does_not_break_pages(app, client, auth, db, team):
    """SQLite's JSON kept the Infinity a 400-nines hourly rate became before the bounds."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's JSON cannot hold Infinity at all")
    with db.session() as s:
        s.add(TeamSettings(team_id=team.team_id, values={"hourly_rate": math.inf}))
    with db.session() as s:
        assert math.isinf(s.get(TeamSettings, team.team_id).values["hourly_rate"])
    auth.login(team.counselor)
    for url in (
        "/admin/settings",
        "/admin/assessment",
        "/admin/stipend",
        f"/dashboard/report.xlsx?semester={team.semester_id}",
    ):
        assert client.get(url).status_code == 200, url
    assert 'value="20"' in client.get("/admin/settings").get_data(as_text=True)

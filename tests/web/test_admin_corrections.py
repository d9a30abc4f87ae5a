"""补签: the counselor (or the 团长 when allowed) corrects one duty, audited, and the engine follows."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import func, select

from data.models import (
    CheckAction,
    CheckEvent,
    DutyCorrection,
    DutyStatus,
    LeaveRequest,
    Semester,
    Shift,
    ShiftAssignment,
    TeamSettings,
)
from data.timeutil import LOCAL_TZ
from tests.conftest import AuthActions
from tests.web.test_admin_leave import (
    LOCKED,
    THURSDAY_NOON,
    WEDNESDAY,
    audit_count,
    last_audit,
    login,
    other_team_leave,
    outcome_status,
    post,
    shift_of,
    user_id,
)

pytestmark = pytest.mark.db


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = lambda: THURSDAY_NOON
    return THURSDAY_NOON


def correction_form(db, **changes) -> dict:
    form = {
        "user_id": user_id(db, "2023101"),
        "date": WEDNESDAY.isoformat(),
        "shift": shift_of(db, "2023101"),
        "sign_in": "08:02",
        "sign_out": "10:00",
        "status": "",
        "reason": "手机没电，当面核实到岗",
    }
    form.update(changes)
    return form


def corrections(db) -> list[DutyCorrection]:
    with db.session() as s:
        return list(s.scalars(select(DutyCorrection)))


def allow_leader(db, team, allowed: bool = True) -> None:
    with db.session() as s:
        s.merge(TeamSettings(team_id=team.team_id, values={"leader_can_correct": allowed}))


def test_page_lists_the_persons_duties_with_current_outcome(client, db, team, clock):
    login(client, team.counselor)
    uid = user_id(db, "2023101")
    page = client.get(f"/admin/corrections?user={uid}&date=2026-11-25").get_data(as_text=True)
    assert "11月25日 周三 08:00–10:00 学工办" in page
    assert 'class="badge text-bg-danger outcome">缺勤' in page
    for label in ("正常", "迟到", "早退", "迟到+早退", "缺勤", "请假", "漏签退"):
        assert f">{label}</option>" in page
    page = client.get(f"/admin/corrections?user={uid}&date=2026-11-26").get_data(as_text=True)
    assert "没有值班" in page


def test_correction_changes_the_engines_outcome_and_is_audited(client, db, team, clock):
    assert outcome_status(db, "2023101", WEDNESDAY) == "absent"
    login(client, team.counselor)
    before = audit_count(db)
    page = post(client, "/admin/corrections", correction_form(db)).get_data(as_text=True)
    assert "已为张三补签" in page and "缺勤 → 正常" in page
    [row] = corrections(db)
    assert row.sign_in_at == datetime(2026, 11, 25, 8, 2, tzinfo=LOCAL_TZ)
    assert row.sign_out_at == datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)
    assert row.status is None and row.by_id == user_id(db, team.counselor)
    assert row.reason == "手机没电，当面核实到岗"
    assert outcome_status(db, "2023101", WEDNESDAY) == "normal"
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert (entry.action, entry.entity, entry.entity_id) == (
        "duty.correct",
        "duty_correction",
        str(row.id),
    )
    assert entry.before == {"outcome": "缺勤"}
    assert entry.after["outcome"] == "正常" and entry.after["reason"] == row.reason
    # The page now shows the new outcome.
    assert 'outcome">正常' in page


def test_editing_updates_the_one_row_with_before_and_after(client, db, team, clock):
    login(client, team.counselor)
    post(client, "/admin/corrections", correction_form(db))
    before = audit_count(db)
    form = correction_form(db, sign_in="", sign_out="", status="late", reason="核实确为迟到")
    page = post(client, "/admin/corrections", form).get_data(as_text=True)
    assert "正常 → 迟到" in page
    [row] = corrections(db)
    assert row.status is DutyStatus.late and row.sign_in_at is None
    assert outcome_status(db, "2023101", WEDNESDAY) == "late"
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.before["status"] is None and entry.after["status"] == "late"
    assert entry.before["outcome"] == "正常" and entry.after["outcome"] == "迟到"
    assert entry.before["reason"] == "手机没电，当面核实到岗"


def test_correcting_a_late_sign_in(client, db, team, clock):
    uid = user_id(db, "2023101")
    with db.session() as s:
        for action, hour, minute in ((CheckAction.sign_in, 8, 20), (CheckAction.sign_out, 10, 0)):
            s.add(
                CheckEvent(
                    user_id=uid,
                    action=action,
                    at=datetime(2026, 11, 25, hour, minute, tzinfo=LOCAL_TZ),
                    duty_date=WEDNESDAY,
                    shift_id=shift_of(db, "2023101"),
                )
            )
    assert outcome_status(db, "2023101", WEDNESDAY) == "late"
    login(client, team.counselor)
    page = post(client, "/admin/corrections", correction_form(db, sign_out="")).get_data(
        as_text=True
    )
    assert "迟到（迟到 20 分钟） → 正常" in page
    assert outcome_status(db, "2023101", WEDNESDAY) == "normal"


def test_withdrawing_a_correction_is_audited(client, db, team, clock):
    login(client, team.counselor)
    post(client, "/admin/corrections", correction_form(db))
    [row] = corrections(db)
    before = audit_count(db)
    page = post(client, f"/admin/corrections/{row.id}/delete", {"reason": "补签有误"})
    assert "正常 → 缺勤" in page.get_data(as_text=True)
    assert corrections(db) == []
    assert audit_count(db) == before + 1
    entry = last_audit(db)
    assert entry.action == "duty.correct_delete"
    assert entry.before["sign_in_at"] is not None and entry.after["outcome"] == "缺勤"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "请填写补签原因（至少 4 个字）"),
        ({"reason": "忘了"}, "请填写补签原因（至少 4 个字）"),
        (
            {"sign_in": "", "sign_out": "", "status": ""},
            "请至少填写签到时间、签退时间或状态中的一项",
        ),
        ({"sign_in": "25:00"}, "签到时间格式应为"),
        ({"sign_in": "10:00", "sign_out": "08:00"}, "签退时间必须晚于签到时间"),
        ({"status": "sleeping"}, "状态不正确"),
        ({"date": "2026-11-26"}, "该助管在这一天没有值班"),
        ({"date": "2026-12-02"}, "值班尚未开始，不能补签"),
        ({"date": "nope"}, "请填写正确的值班日期"),
        ({"user_id": "0"}, "请选择助管"),
    ],
)
def test_bad_corrections_change_nothing(client, db, team, clock, changes, message):
    login(client, team.counselor)
    before = audit_count(db)
    response = post(client, "/admin/corrections", correction_form(db, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert corrections(db) == []
    assert audit_count(db) == before


def test_leader_needs_the_setting(client, db, team, clock):
    login(client, team.leader)
    assert client.get("/admin/corrections").status_code == 403
    response = post(client, "/admin/corrections", correction_form(db), follow=False)
    assert response.status_code == 403
    assert corrections(db) == []

    allow_leader(db, team)
    assert client.get("/admin/corrections").status_code == 200
    page = post(client, "/admin/corrections", correction_form(db)).get_data(as_text=True)
    assert "已为张三补签" in page
    [row] = corrections(db)
    assert row.by_id == user_id(db, team.leader)
    assert last_audit(db).actor_id == user_id(db, team.leader)


def test_leader_cannot_correct_own_duty(client, db, team, clock):
    allow_leader(db, team)
    login(client, team.leader)
    # The 团长 (2023001) has the Monday shift; 2026-11-23 is a Monday.
    form = correction_form(
        db, user_id=user_id(db, team.leader), date="2026-11-23", shift=shift_of(db, team.leader)
    )
    assert "不能为自己补签" in post(client, "/admin/corrections", form).get_data(as_text=True)
    assert corrections(db) == []


def test_other_team_member_and_correction_ids(client, db, team, clock):
    stranger = other_team_leave(db)  # creates a member of another team with id > ours
    login(client, team.counselor)
    with db.session() as s:
        stranger_id = s.get(LeaveRequest, stranger).user_id
    page = post(client, "/admin/corrections", correction_form(db, user_id=stranger_id))
    assert "请选择本团队的助管" in page.get_data(as_text=True)
    assert (
        post(
            client, "/admin/corrections/12345/delete", {"reason": "abcd"}, follow=False
        ).status_code
        == 404
    )


def test_assistant_anonymous_and_csrf(client, db, team, clock):
    assert client.get("/admin/corrections").status_code == 302
    login(client, "2023101")
    assert client.get("/admin/corrections").status_code == 403
    assert post(client, "/admin/corrections", correction_form(db), follow=False).status_code == 403
    AuthActions(client).logout()
    login(client, team.counselor)
    response = client.post("/admin/corrections", data=correction_form(db))
    assert response.status_code == 400
    assert corrections(db) == []


def test_finalized_semester_refuses_corrections_until_unlock(app, client, db, team, clock):
    # Finalizing is possible only after the semester's end date (issue 10).
    app.config["CLOCK"] = lambda: datetime(2027, 1, 20, 10, 0, tzinfo=LOCAL_TZ)
    login(client, team.counselor)
    post(client, f"/admin/semester/{team.semester_id}/finalize")
    with db.session() as s:
        assert s.get(Semester, team.semester_id).finalized_at is not None
    before = audit_count(db)
    page = post(client, "/admin/corrections", correction_form(db)).get_data(as_text=True)
    assert LOCKED in page
    assert corrections(db) == [] and audit_count(db) == before

    post(client, f"/admin/semester/{team.semester_id}/unlock", {"reason": "补录纸质签到表"})
    page = post(client, "/admin/corrections", correction_form(db)).get_data(as_text=True)
    assert "已为张三补签" in page
    assert len(corrections(db)) == 1
    with db.session() as s:
        assert s.get(Semester, team.semester_id).finalized_at is None
        assert s.scalar(select(func.count(DutyCorrection.id))) == 1


def test_day_with_two_duties_needs_a_shift(client, db, team, clock):
    # 张三 also takes a second Wednesday shift, 14:00–16:00.
    uid = user_id(db, "2023101")
    with db.session() as s:
        shift = Shift(
            semester_id=team.semester_id,
            weekday=3,
            start=time(14, 0),
            end=time(16, 0),
            place_id=team.place_id,
        )
        shift.assignments.append(ShiftAssignment(user_id=uid))
        s.add(shift)
    login(client, team.counselor)
    page = post(client, "/admin/corrections", correction_form(db, shift="")).get_data(as_text=True)
    assert "请选择班次" in page
    assert corrections(db) == []
    page = client.get(f"/admin/corrections?user={uid}&date=2026-11-25").get_data(as_text=True)
    assert page.count("duty-card") == 2  # both duties of the day, each with its own form

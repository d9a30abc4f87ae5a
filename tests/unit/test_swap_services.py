"""换班申请 services: offer, take, approve, decline, withdraw, expiry, re-checks, the one swap rule,
the attendance of both people in the report, and exactly one winner when two take at once."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from data.attendance import duties_on
from data.db import write_transaction
from data.models import (
    Appointment,
    AuditLog,
    CheckAction,
    CheckEvent,
    OverrideKind,
    Semester,
    Shift,
    ShiftAssignment,
    ShiftOverride,
    SwapOffer,
    User,
)
from data.policy.swaps import SwapState
from data.report import build_report
from data.services import Refused
from data.services import swap_offers as svc
from data.services.swap_reads import offerable, takeable
from data.services.swaps import record_swap
from data.timeutil import LOCAL_TZ

pytestmark = pytest.mark.db

NOW = datetime(2026, 9, 14, 12, 0, tzinfo=LOCAL_TZ)  # Monday of the small team's semester
TUESDAY = date(2026, 9, 15)  # 王五 (2023103) 08:00–10:00 学工办
START = datetime(2026, 9, 15, 8, 0, tzinfo=LOCAL_TZ)
WANG, ZHANG, LI = "2023103", "2023101", "2023102"


def person(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def tuesday_shift(session) -> int:
    return session.scalar(select(Shift.id).where(Shift.weekday == 2))


def run(session, service, actor: str, *args, at: datetime = NOW):
    """One service call in its own write transaction, as the views make it."""
    with write_transaction(session):
        return service(session, person(session, actor), *args, at=at)


def offer(session, at: datetime = NOW) -> int:
    made = run(session, svc.offer_swap, WANG, TUESDAY, tuesday_shift(session), "课程考试", at=at)
    return made.id


def people_on_tuesday(session, team) -> list[str]:
    semester = session.get(Semester, team.semester_id)
    names = dict(session.execute(select(User.id, User.name)).all())
    return sorted(names[d.user_id] for d in duties_on(session, semester, TUESDAY))


def add_extra(session, team, username: str, start: time, end: time) -> None:
    with write_transaction(session):
        session.add(
            ShiftOverride(
                semester_id=team.semester_id,
                on=TUESDAY,
                kind=OverrideKind.extra,
                user_id=person(session, username).id,
                start=start,
                end=end,
                place_id=team.place_id,
            )
        )


def test_offer_take_approve_moves_the_duty_for_that_date_only(session, team):
    offer_id = offer(session)
    assert run(session, svc.take_offer, ZHANG, offer_id).state is SwapState.taken
    assert people_on_tuesday(session, team) == ["王五"]  # not approved yet: still 王五's
    override = run(session, svc.approve_offer, team.leader, offer_id)
    assert people_on_tuesday(session, team) == ["张三"]
    semester = session.get(Semester, team.semester_id)
    next_tuesday = duties_on(session, semester, TUESDAY + timedelta(days=7))
    assert [d.user_id for d in next_tuesday] == [person(session, WANG).id]
    stored = session.get(SwapOffer, offer_id)
    assert stored.state is SwapState.approved and stored.override_id == override.id
    actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["swap.offer", "swap.take", "schedule.swap", "swap.approve"]


def test_approval_creates_the_same_record_as_the_leaders_own_swap(session, team):
    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    approved = run(session, svc.approve_offer, team.leader, offer_id)
    later = TUESDAY + timedelta(days=7)
    semester = session.get(Semester, team.semester_id)
    own = run(
        session,
        record_swap,
        team.leader,
        semester,
        later,
        tuesday_shift(session),
        person(session, ZHANG).id,
        person(session, WANG).id,
        "团长直接换班",
    )
    fields = ("kind", "semester_id", "shift_id", "user_id", "replaced_user_id", "approved_by_id")
    assert {f: getattr(approved, f) for f in fields} == {f: getattr(own, f) for f in fields}
    assert approved.kind is OverrideKind.swap and approved.on == TUESDAY
    assert (approved.start, approved.end, approved.place_id) == (None, None, None)


@pytest.mark.parametrize(
    ("who", "day", "reason", "at", "message"),
    [
        (LI, TUESDAY, "考试", NOW, "没有你的这个班次"),  # 李四 is not on Tuesday
        (WANG, TUESDAY, "考", NOW, "换班理由须为"),
        (WANG, TUESDAY, "考试" * 101, NOW, "换班理由须为"),
        (WANG, TUESDAY, "考试", START, "已经开始"),
        (WANG, TUESDAY + timedelta(days=1), "考试", NOW, "没有你的这个班次"),
    ],
)
def test_only_own_future_duties_with_a_reason_can_be_offered(
    session, team, who, day, reason, at, message
):
    with pytest.raises(Refused, match=message):
        run(session, svc.offer_swap, who, day, tuesday_shift(session), reason, at=at)
    assert session.scalar(select(SwapOffer)) is None


def test_a_second_live_offer_is_refused_and_a_withdrawn_one_frees_the_duty(session, team):
    first = offer(session)
    with pytest.raises(Refused, match="已有换班申请"):
        offer(session)
    run(session, svc.withdraw_offer, WANG, first)
    assert session.get(SwapOffer, first).state is SwapState.withdrawn
    assert offer(session) != first


def test_the_database_keeps_one_live_offer_per_duty(session, team, monkeypatch):
    first = offer(session)
    # A double submit racing past the service's own read: the partial unique index refuses it.
    monkeypatch.setattr(svc, "_live", lambda *args: None)
    with pytest.raises(Refused, match="已有换班申请"):
        offer(session)
    assert session.scalars(select(SwapOffer.id)).all() == [first]


def test_eligible_takers_only(session, team):
    offer_id = offer(session)
    leader = person(session, team.leader)
    # 李四 has an extra duty overlapping 08:00–10:00; 张三 left the team before Tuesday.
    add_extra(session, team, LI, time(9, 30), time(11, 0))
    with write_transaction(session):
        session.execute(
            update(Appointment)
            .where(Appointment.user_id == person(session, ZHANG).id)
            .values(ended_on=date(2026, 9, 14))
        )
    assert [r.offer.id for r in takeable(session, leader, NOW)] == [offer_id]
    assert takeable(session, person(session, LI), NOW) == []
    assert takeable(session, person(session, ZHANG), NOW) == []
    assert takeable(session, person(session, WANG), NOW) == []  # not one's own
    with pytest.raises(Refused, match="时间重叠"):
        run(session, svc.take_offer, LI, offer_id)
    with pytest.raises(Refused, match="不在岗"):
        run(session, svc.take_offer, ZHANG, offer_id)
    with pytest.raises(Refused, match="不能再操作|同一人"):
        run(session, svc.take_offer, WANG, offer_id)
    assert session.get(SwapOffer, offer_id).state is SwapState.open


def test_someone_already_on_the_shift_cannot_take_it(session, team):
    offer_id = offer(session)
    with write_transaction(session):
        shift = session.get(Shift, tuesday_shift(session))
        shift.assignments.append(ShiftAssignment(user_id=person(session, LI).id))
    with pytest.raises(Refused, match="本来就在该班次中"):
        run(session, svc.take_offer, LI, offer_id)


def test_offers_expire_at_the_duty_start(session, team):
    open_id = offer(session)
    with pytest.raises(Refused, match="已过期"):
        run(session, svc.take_offer, ZHANG, open_id, at=START)
    assert svc.state_of(session, session.get(SwapOffer, open_id), START) is SwapState.expired
    run(session, svc.take_offer, ZHANG, open_id, at=START - timedelta(minutes=1))
    with pytest.raises(Refused, match="已过期"):
        run(session, svc.approve_offer, team.leader, open_id, at=START)
    assert people_on_tuesday(session, team) == ["王五"]  # taken, never approved: still 王五's
    assert session.scalar(select(ShiftOverride)) is None
    assert all(d.day != TUESDAY for d in offerable(session, person(session, WANG), START))


def test_approval_checks_again(session, team):
    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    add_extra(session, team, ZHANG, time(7, 30), time(8, 30))  # the 团长 gave 张三 a task since
    with pytest.raises(Refused, match="张三当天 07:30–08:30 有自己的值班"):
        run(session, svc.approve_offer, team.leader, offer_id)
    assert session.get(SwapOffer, offer_id).state is SwapState.taken
    assert session.scalar(select(ShiftOverride.id).where(ShiftOverride.kind == "swap")) is None


def test_decline_withdraw_and_who_may_decide(session, team):
    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    for outsider in (ZHANG, team.leadership):
        with pytest.raises(Refused):
            run(session, svc.approve_offer, outsider, offer_id)
    with pytest.raises(Refused, match="找不到"):
        run(session, svc.withdraw_offer, ZHANG, offer_id)  # only the offerer withdraws
    run(session, svc.decline_offer, team.counselor, offer_id, "请先找同岗位同学")
    declined = session.get(SwapOffer, offer_id)
    assert declined.state is SwapState.declined and declined.decision_reason == "请先找同岗位同学"
    with pytest.raises(Refused, match="已拒绝"):
        run(session, svc.approve_offer, team.leader, offer_id)
    with pytest.raises(Refused, match="已拒绝"):
        run(session, svc.withdraw_offer, WANG, offer_id)


def test_a_locked_semester_refuses_every_step(session, team):
    offer_id = offer(session)
    with write_transaction(session):
        session.get(Semester, team.semester_id).finalized_at = NOW
    with pytest.raises(Refused, match="锁定"):
        run(session, svc.take_offer, ZHANG, offer_id)
    with pytest.raises(Refused, match="锁定"):
        run(session, svc.withdraw_offer, WANG, offer_id)
    with pytest.raises(Refused, match="锁定"):
        monday = session.scalar(select(Shift.id).where(Shift.weekday == 1))
        run(session, svc.offer_swap, team.leader, date(2026, 9, 21), monday, "考试")


def test_take_is_a_conditional_update(session, team, monkeypatch):
    """Another taker commits between our checks and our write: ours changes nothing."""
    offer_id = offer(session)
    li = person(session, LI).id
    real = svc.swap_refusal

    def meanwhile(s, *args):
        s.execute(update(SwapOffer).values(state=SwapState.taken, taker_id=li))
        return real(s, *args)

    monkeypatch.setattr(svc, "swap_refusal", meanwhile)
    with pytest.raises(Refused, match="已被其他同学接下"):
        run(session, svc.take_offer, ZHANG, offer_id)


def test_two_teammates_taking_at_once_exactly_one_wins(db, team):
    with db.session() as s:
        offer_id = offer(s)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def take(username: str) -> None:
        with db.session() as s:
            actor = person(s, username)
            s.rollback()
            barrier.wait()
            try:
                with write_transaction(s):
                    svc.take_offer(s, actor, offer_id, at=NOW)
                results[username] = "won"
            except Refused as refused:
                results[username] = str(refused)

    threads = [threading.Thread(target=take, args=(u,)) for u in (ZHANG, LI)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()).count("won") == 1, results
    with db.session() as s:
        stored = s.get(SwapOffer, offer_id)
        winner = next(u for u, r in results.items() if r == "won")
        assert stored.state is SwapState.taken and stored.taker_id == person(s, winner).id
        takes = s.scalars(select(AuditLog).where(AuditLog.action == "swap.take")).all()
        assert len(takes) == 1


def _sign(session, username: str, shift_id: int, action: CheckAction, at: datetime) -> None:
    with write_transaction(session):
        session.add(
            CheckEvent(
                user_id=person(session, username).id,
                action=action,
                at=at,
                duty_date=TUESDAY,
                shift_id=shift_id,
            )
        )


def _tuesday_outcomes(session, team) -> dict[str, str]:
    report = build_report(
        session, session.get(Semester, team.semester_id), START + timedelta(hours=4)
    )
    names = dict(session.execute(select(User.id, User.name)).all())
    return {
        names[o.duty.user_id]: o.status for o in report.attendance.outcomes if o.duty.day == TUESDAY
    }


def test_the_report_gives_the_duty_to_the_taker_after_approval(session, team):
    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    run(session, svc.approve_offer, team.leader, offer_id)
    shift_id = tuesday_shift(session)
    _sign(session, ZHANG, shift_id, CheckAction.sign_in, START + timedelta(minutes=12))
    _sign(session, ZHANG, shift_id, CheckAction.sign_out, START + timedelta(hours=2))
    # 王五 has no duty that day (not absent); 张三's late sign-in makes the taken duty late.
    assert _tuesday_outcomes(session, team) == {"张三": "late"}
    report = build_report(
        session, session.get(Semester, team.semester_id), START + timedelta(hours=4)
    )
    by_name = {m.name: m.attendance for m in report.members}
    # 王五's only duty so far is the Tuesday before (absent, no sign-in): not this one.
    assert by_name["王五"].expected == 1 and by_name["王五"].absent == 1
    assert by_name["张三"].late == 1


def test_an_absent_taker_is_absent_and_an_unapproved_offer_leaves_the_duty(session, team):
    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    assert _tuesday_outcomes(session, team) == {"王五": "absent"}  # never approved
    report = build_report(
        session, session.get(Semester, team.semester_id), START + timedelta(hours=4)
    )
    # The Tuesday before and this one: the duty stayed 王五's.
    assert {m.name: m.attendance.absent for m in report.members}["王五"] == 2


def test_the_leader_hears_of_a_taken_offer_and_both_of_the_decision(session, team):
    from data.models import Notification

    offer_id = offer(session)
    run(session, svc.take_offer, ZHANG, offer_id)
    run(session, svc.approve_offer, team.counselor, offer_id)
    inbox = session.scalars(select(Notification).order_by(Notification.id)).all()
    names = dict(session.execute(select(User.id, User.name)).all())
    got = [(names[n.user_id], n.title) for n in inbox]
    assert got == [("李团长", "换班申请待批准"), ("王五", "换班已批准"), ("张三", "换班已批准")]
    assert inbox[0].channel == "inbox" and "9月15日 周二 08:00–10:00" in inbox[0].body
    assert "王五 → 张三" in inbox[0].body


def test_one_swap_per_duty_and_a_swapped_duty_cannot_be_offered_again(session, team):
    semester = session.get(Semester, team.semester_id)
    args = (semester, TUESDAY, tuesday_shift(session), person(session, ZHANG).id)
    run(session, record_swap, team.leader, *args, person(session, WANG).id, "团长换班")
    with pytest.raises(Refused, match="已有换班记录"):
        run(
            session,
            record_swap,
            team.leader,
            *args[:3],
            person(session, LI).id,
            person(session, WANG).id,
            "again",
        )
    # 王五 no longer has the duty; 张三 got it by a swap and cannot pass it on by himself.
    with pytest.raises(Refused, match="没有你的这个班次"):
        offer(session)
    with pytest.raises(Refused, match="别人换给你的"):
        run(session, svc.offer_swap, ZHANG, TUESDAY, tuesday_shift(session), "临时有事")

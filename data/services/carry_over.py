"""Put a team in post in one step (SPEC §7) and carry the last semester's team over (续聘).

``appoint_many`` appoints everyone selected from one date, without a trial, one audit entry
each, with the roster import's rule for people already in post. ``carry_over`` builds the
previous semester's 可续聘 list (not 不合格, not resigned or dismissed) and ``confirm`` appoints
the ticked ones for the new semester, once the previous assessment is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.audit import snapshot
from data.importers.roster import (
    APPOINTABLE_STAGES,
    IN_POST_ROLES,
    IN_POST_STAGES,
    default_appointment_day,
)
from data.models import (
    GRADE_LABELS,
    STAGE_LABELS,
    Appointment,
    AppointmentEvent,
    Assessment,
    Grade,
    Semester,
    Stage,
    User,
)
from data.report import build_report, is_estimate
from data.services import Refused, audit
from data.services.recruitment import APPOINTMENT_FIELDS, EARLY_MARK
from data.timeutil import local_today

VETERAN_REASON = "曾在本团队聘任，免试用直接聘任"
CARRY_REASON = "续聘：上学期考核合格，免试用"
CARRIED_STAGES = (Stage.appointed, Stage.ended, Stage.dismissed, Stage.resigned)


# --- Put many people in post at once (SPEC §7: the same rule as the roster import) ----------


@dataclass
class Appointed:
    """The outcome of a bulk appointment: who was appointed, who was left alone and why."""

    on: date
    appointed: list[str] = field(default_factory=list)
    early: list[str] = field(default_factory=list)  # first-timers appointed without a trial
    in_post: list[str] = field(default_factory=list)
    not_appointed: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The outcome in one line for the flash message (Chinese)."""
        done = len(self.appointed) + len(self.early)
        parts = [f"已聘任 {done} 人（自 {self.on:%Y-%m-%d} 起）"]
        if self.appointed:
            parts.append("、".join(self.appointed))
        if self.early:
            parts.append("首次聘任、未经试用（已标记提前转正）：" + "、".join(self.early))
        if self.in_post:
            parts.append("已在岗，未改动：" + "、".join(self.in_post))
        if self.not_appointed:
            parts.append("未聘任：" + "、".join(self.not_appointed))
        return "；".join(parts)


def _label(user: User) -> str:
    return f"{user.username} {user.name}"


def served_before(session: Session, semester: Semester, user_ids: list[int]) -> set[int]:
    """Who was appointed (聘任) in an earlier semester of the team: they skip the trial."""
    earlier = select(Semester.id).where(
        Semester.team_id == semester.team_id, Semester.start < semester.start
    )
    return set(
        session.scalars(
            select(Appointment.user_id).where(
                Appointment.user_id.in_(user_ids),
                Appointment.semester_id.in_(earlier),
                Appointment.appointed_on.is_not(None),
            )
        )
    )


def _bulk_users(session: Session, semester: Semester, user_ids: list[int]) -> list[User]:
    """The selected people, all of the semester's team and able to be on duty, or ``Refused``."""
    if not user_ids:
        raise Refused("请先勾选要聘任的人员")
    users = list(session.scalars(select(User).where(User.id.in_(user_ids))))
    if len(users) != len(set(user_ids)) or any(u.team_id != semester.team_id for u in users):
        raise Refused("所选人员中有不属于本团队的账号，未做任何更改")
    others = [_label(u) for u in users if u.role not in IN_POST_ROLES]
    if others:
        raise Refused(f"只能聘任助管或团长：{'、'.join(others)}")
    return sorted(users, key=lambda u: u.username)


def appoint_many(
    session: Session,
    actor: User,
    semester: Semester,
    user_ids: list[int],
    on: date | None,
    reason: str,
    *,
    action: str = "appointment.bulk_appoint",
    at: datetime,
    ip: str = "",
) -> Appointed:
    """Appoint everyone selected for ``semester`` from ``on`` without a trial; one audit each.

    People who served before skip the trial by right. A first-timer may be appointed this way
    too, but only with a written reason, and is then marked like the early-appointment
    override (``EARLY_MARK``). People in post, or who left or were turned down this semester,
    are left alone and listed. Any refusal writes nothing.
    """
    if on is None:
        raise Refused("请填写正确的聘任日期（年-月-日）")
    if not semester.start <= on <= semester.end:
        raise Refused(
            f"聘任日期 {on} 不在学期“{semester.name}”（{semester.start} 至 {semester.end}）内"
        )
    if semester.finalized_at is not None:
        raise Refused(f"学期“{semester.name}”的考核已定稿，不能再聘任")
    users = _bulk_users(session, semester, user_ids)
    current = {
        a.user_id: a
        for a in session.scalars(
            select(Appointment).where(
                Appointment.semester_id == semester.id, Appointment.user_id.in_(user_ids)
            )
        )
    }
    veterans = served_before(session, semester, user_ids)
    result = Appointed(on)
    todo: list[tuple[User, Appointment | None]] = []
    for user in users:
        appointment = current.get(user.id)
        if appointment is not None and appointment.stage in IN_POST_STAGES:
            result.in_post.append(f"{_label(user)}（{STAGE_LABELS[appointment.stage]}）")
        elif appointment is not None and appointment.stage not in APPOINTABLE_STAGES:
            result.not_appointed.append(f"{_label(user)}（{STAGE_LABELS[appointment.stage]}）")
        elif not user.active:
            result.not_appointed.append(f"{_label(user)}（账号已停用）")
        elif appointment is not None and on < appointment.applied_on:
            raise Refused(f"{_label(user)} {appointment.applied_on} 才报名，聘任日期不能更早")
        else:
            todo.append((user, appointment))
    first_timers = [_label(u) for u, _ in todo if u.id not in veterans]
    if first_timers and not reason:
        raise Refused(
            "以下人员此前未在本团队聘任过，不经试用直接聘任须填写原因（将标记为提前转正）："
            + "、".join(first_timers)
        )
    for user, appointment in todo:
        early = user.id not in veterans
        text = EARLY_MARK + reason if early else (reason or VETERAN_REASON)
        _appoint(session, actor, semester, user, appointment, on, text, early, action, at, ip)
        (result.early if early else result.appointed).append(_label(user))
    return result


def _appoint(
    session: Session,
    actor: User,
    semester: Semester,
    user: User,
    appointment: Appointment | None,
    on: date,
    reason: str,
    early: bool,
    action: str,
    at: datetime,
    ip: str,
) -> None:
    before = snapshot(appointment, APPOINTMENT_FIELDS) if appointment is not None else None
    if appointment is None:
        # No application needed (a returning member); the appointment day stands for it.
        appointment = Appointment(user_id=user.id, semester_id=semester.id, applied_on=on)
        session.add(appointment)
    appointment.history.append(
        AppointmentEvent(
            from_stage=appointment.stage if before else None,
            to_stage=Stage.appointed,
            on=on,
            at=at,
            by_id=actor.id,
            reason=reason,
        )
    )
    appointment.stage = Stage.appointed
    appointment.appointed_on = on
    session.flush()  # the appointment's id for the audit entry
    after = snapshot(appointment, APPOINTMENT_FIELDS) | {"reason": reason}
    if early:
        after["early"] = True
    audit(session, actor, action, "appointment", appointment.id, before, after, at=at, ip=ip)


# --- Carry over (续聘) -------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One person appointed in the previous semester, with their grade and where they stand."""

    user_id: int
    username: str
    name: str
    grade: str
    note: str  # why not re-hired; or, for the 可续聘, their stage in the new semester if any
    open: bool = False  # may still be appointed for the new semester (not in post, not left)


@dataclass(frozen=True)
class CarryOver:
    target: Semester
    source: Semester | None
    published: bool  # the source's assessment is published: the list may be confirmed
    rehire: list[Candidate]  # 可续聘
    not_rehired: list[Candidate]  # 不再聘任 (不合格, 解聘, 辞职), for information


def default_target(session: Session, team_id: int, today: date) -> Semester | None:
    """The semester after the latest finished one: the one a carry-over fills, if created."""
    finished = session.scalar(
        select(Semester)
        .where(Semester.team_id == team_id, Semester.end < today)
        .order_by(Semester.end.desc())
        .limit(1)
    )
    if finished is None:
        return None
    return session.scalar(
        select(Semester)
        .where(Semester.team_id == team_id, Semester.start > finished.end)
        .order_by(Semester.start)
        .limit(1)
    )


def source_of(session: Session, target: Semester) -> Semester | None:
    """The semester just before ``target``: the one whose team is carried over."""
    return session.scalar(
        select(Semester)
        .where(Semester.team_id == target.team_id, Semester.end < target.start)
        .order_by(Semester.end.desc())
        .limit(1)
    )


def _grades(session: Session, source: Semester, published: bool, now: datetime) -> dict:
    """user id → (final grade, 不合格 reasons): the published rows, else the 预估 report."""
    if published:
        rows = session.scalars(
            select(Assessment).where(
                Assessment.semester_id == source.id, Assessment.published.is_(True)
            )
        )
        return {
            a.user_id: (a.final_grade, a.override_reason if a.override_grade else a.reasons)
            for a in rows
        }
    report = build_report(session, source, now)
    return {
        m.user_id: (Grade(m.final_grade), "；".join(m.assessment.reasons)) for m in report.members
    }


def carry_over(session: Session, target: Semester, now: datetime) -> CarryOver:
    """The previous semester's 可续聘 and 不再聘任 lists for ``target``."""
    source = source_of(session, target)
    if source is None:
        return CarryOver(target, None, False, [], [])
    published = not is_estimate(session, source, now)
    grades = _grades(session, source, published, now)
    stages = dict(
        session.execute(
            select(Appointment.user_id, Appointment.stage).where(
                Appointment.semester_id == target.id
            )
        ).all()
    )
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.semester_id == source.id, Appointment.stage.in_(CARRIED_STAGES))
        .options(selectinload(Appointment.user))
    )
    rehire, not_rehired = [], []
    for a in sorted(appointments, key=lambda a: a.user.username):
        grade, reasons = grades.get(a.user_id, (None, ""))
        label = GRADE_LABELS[grade] + ("" if published else "（预估）") if grade else "—"
        if a.stage in (Stage.dismissed, Stage.resigned):
            note = STAGE_LABELS[a.stage]
        elif grade is Grade.unqualified:
            note = "考核不合格" + (f"：{reasons}" if reasons else "")
        else:
            stage = stages.get(a.user_id)
            note = STAGE_LABELS[stage] if stage else ""
            free = stage is None or stage in APPOINTABLE_STAGES
            rehire.append(Candidate(a.user_id, a.user.username, a.user.name, label, note, free))
            continue
        not_rehired.append(Candidate(a.user_id, a.user.username, a.user.name, label, note))
    return CarryOver(target, source, published, rehire, not_rehired)


def confirm(
    session: Session,
    actor: User,
    target: Semester,
    user_ids: list[int],
    *,
    at: datetime,
    ip: str = "",
) -> Appointed:
    """Appoint the ticked 可续聘 people for ``target`` (from its start, or today while it runs)."""
    plan = carry_over(session, target, at)
    if plan.source is None:
        raise Refused(f"“{target.name}”之前没有学期，没有可续聘的人员")
    if not plan.published:
        raise Refused(f"“{plan.source.name}”的考核结果尚未发布，发布后才能确认续聘")
    allowed = {c.user_id for c in plan.rehire}
    if any(user_id not in allowed for user_id in user_ids):
        raise Refused("所选人员中有不在可续聘名单上的，未做任何更改")
    on = default_appointment_day(target, local_today(at))
    return appoint_many(
        session,
        actor,
        target,
        user_ids,
        on,
        CARRY_REASON,
        action="appointment.carry_over",
        at=at,
        ip=ip,
    )

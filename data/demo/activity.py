"""Phase 3: a semester's activity: sign-ins and -outs, leave, work records, summaries."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from data.demo.common import BuilderBase, Person, Plan, SemesterData, as_utc, local_at, monday_of
from data.demo.vocabulary import (
    AID_PLACE,
    LEAVE_REASONS,
    PHONE_REASONS,
    REFLECTIONS,
    XIANZHAN_REASON,
)
from data.models import (
    CheckAction,
    CheckEvent,
    CheckMethod,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    Semester,
    SemesterBreak,
    Summary,
    SummaryKind,
    WorkRecord,
)
from data.policy.duties import expected_duties
from data.policy.types import Duty, Event, LeaveInfo
from data.timeutil import LOCAL_TZ


class ActivityPhase(BuilderBase):
    """Plays one semester day by day with the plan's patterns (late, absent, leave…)."""

    def _over(self, duty: Duty) -> bool:
        """A duty of today that ended long enough before ``now`` for its sign-out to exist."""
        return (
            self.now is not None
            and duty.day == self.today
            and duty.end + timedelta(minutes=45) <= self.now
        )

    def semester(
        self, semester: Semester, members: list[Person], plan: Plan, *, complete: bool
    ) -> SemesterData:
        rng = self.rng
        shifts = self.schedule(semester, members)
        # The last day with generated activity: the whole term, or up to yesterday.
        last = semester.end if complete else min(semester.end, self.today - timedelta(days=1))
        # 校运动会停课: Thursday and Friday of the eighth week.
        sports = semester.start + timedelta(weeks=7, days=3)
        breaks = [(sports, sports + timedelta(days=1))]
        self.add(
            SemesterBreak(
                semester_id=semester.id, start=breaks[0][0], end=breaks[0][1], name="校运动会停课"
            )
        )
        base = expected_duties(semester.start, semester.end, shifts, (), breaks)
        past_days = sorted({d.day for d in base if d.day <= last})
        overrides = self.overrides(semester, plan, shifts, base, past_days)
        duties = expected_duties(semester.start, semester.end, shifts, overrides, breaks)
        data = SemesterData(
            semester, members, shifts, [d for d in duties if d.day <= last or self._over(d)]
        )
        by_id = {p.user.id: p for p in members}

        # Allocate the patterns to people and their past scheduled duties.
        own: dict[int, list[Duty]] = defaultdict(list)
        for duty in data.duties:
            if duty.shift_id is not None:
                own[duty.user_id].append(duty)
        fate: dict[tuple, tuple[str, int]] = {}
        eligible = [p for p in members if own.get(p.user.id) and p is not self.new[-1]]
        forced = {
            self.previous.id: [self.not_rehired[0]] if complete else [],
            self.current.id: [self.typical],
        }[semester.id]
        pool: list[Person] = []

        def take() -> Person | None:
            if not eligible:
                return None
            if not pool:
                refill = [
                    p for p in eligible if p not in (self.typical, self.leader) and p not in forced
                ]
                rng.shuffle(refill)
                pool.extend(refill or eligible)
            return pool.pop()

        def mark(person: Person, kind: str, count: int, minutes: tuple[int, int] = (0, 0)) -> int:
            free = [d for d in own[person.user.id] if d.key not in fate]
            chosen = rng.sample(free, min(count, len(free)))
            for duty in chosen:
                fate[duty.key] = (kind, rng.randint(*minutes) if minutes != (0, 0) else 0)
            if chosen:
                data.by_kind[kind].append(person.user.id)
            return len(chosen)

        # Early in a term there are few duties yet: fewer people get each pattern.
        scale = min(1.0, len(past_days) / 20)

        def scaled(count: int) -> int:
            return max(1, round(count * scale)) if count and past_days else 0

        for index, count in enumerate(plan.late_counts[: scaled(len(plan.late_counts))]):
            person = (
                forced[index] if index < len(forced) and own.get(forced[index].user.id) else take()
            )
            if person is not None:
                data.late_counts[person.user.id] += mark(person, "late", count, (6, 40))
        for kind, count in (
            ("absent", plan.absent),
            ("missed", plan.missed),
            ("early", plan.early),
            ("leave", plan.leave),
            ("phone", plan.phone),
            ("after_start", plan.after_start),
        ):
            for _ in range(scaled(count)):
                person = take()
                if person is not None:
                    mark(person, kind, 1, (10, 35) if kind == "early" else (0, 0))
        if not complete:
            self.future_leaves(data, duties)

        # Events, leave and work records, duty by duty.
        # Work-record compliance per person, 60–100 %; error diffusion keeps each person's
        # share close to it whatever the number of duties.
        compliance = {
            p.user.id: min(1.0, max(0.6, 0.6 + 0.4 * p.quality + rng.uniform(-0.05, 0.05)))
            for p in members
        }
        owed: dict[int, float] = {p.user.id: rng.random() for p in members}
        worked_days: dict[int, set[date]] = defaultdict(set)
        for duty in data.duties:
            person = by_id.get(duty.user_id)
            if person is None:
                continue
            kind, minutes = fate.get(duty.key, ("normal", 0))
            if kind in ("leave", "phone", "after_start"):
                self.leave(data, person, duty, kind)
                continue
            if kind == "absent":
                continue
            if kind == "late":
                sign_in = duty.start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            else:
                sign_in = duty.start - timedelta(
                    minutes=rng.randint(1, 15), seconds=rng.randint(0, 59)
                )
                if rng.random() < 0.15:  # just in time, within the grace minutes
                    sign_in = duty.start + timedelta(
                        minutes=rng.randint(0, 3), seconds=rng.randint(0, 59)
                    )
            self.event(data, person, duty.key, CheckAction.sign_in, sign_in, duty)
            worked_days[person.user.id].add(duty.day)
            if kind == "missed":
                continue
            if kind == "early":
                sign_out = duty.end - timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            else:
                sign_out = duty.end + timedelta(
                    minutes=rng.randint(0, 12), seconds=rng.randint(0, 59)
                )
            self.event(data, person, duty.key, CheckAction.sign_out, sign_out, duty)
            owed[person.user.id] += compliance[person.user.id]
            if owed[person.user.id] >= rng.uniform(0.6, 1.0):
                owed[person.user.id] -= 1
                self.add(
                    WorkRecord(
                        user_id=person.user.id,
                        duty_date=duty.day,
                        shift_id=duty.shift_id,
                        content=self.task_text(),
                        created_at=as_utc(sign_out),
                    )
                )
                data.records[person.user.id] += 1

        self.extra_duties(data, plan, past_days, worked_days)
        self.summaries(data, complete, worked_days)
        self.session.flush()
        return data

    def event(
        self,
        data: SemesterData,
        person: Person,
        key: tuple,
        action: CheckAction,
        moment: datetime,
        duty: Duty | None,
    ) -> None:
        rng = self.rng
        at = as_utc(moment)
        place_id = self.main_place.id
        if duty is not None and duty.place == AID_PLACE:
            place_id = self.aid_place.id
        self.add(
            CheckEvent(
                user_id=person.user.id,
                action=action,
                at=at,
                method=CheckMethod.kiosk if rng.random() < 0.1 else CheckMethod.qr,
                duty_date=duty.day if duty is not None else None,
                shift_id=duty.shift_id if duty is not None else None,
                place_id=place_id,
                source_ip=f"{person.ip_prefix}{rng.randint(2, 254)}",
                device_id=person.device,
                created_at=at,
            )
        )
        if duty is None:
            data.extra_events[person.user.id].append(Event(at, action.value))
        else:
            data.events[key].append(Event(at, action.value))

    def leave(self, data: SemesterData, person: Person, duty: Duty, kind: str) -> None:
        rng, counselor = self.rng, self.counselor
        if kind == "leave":
            leave_kind = rng.choice(
                (LeaveKind.personal, LeaveKind.sick, LeaveKind.exam, LeaveKind.official)
            )
            created = local_at(duty.day - timedelta(days=1), rng.randint(9, 17), rng.randint(0, 59))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=leave_kind,
                reason=rng.choice(LEAVE_REASONS[leave_kind]),
                status=LeaveStatus.approved,
                created_at=created,
                created_by_id=person.user.id,
                decided_at=created + timedelta(hours=rng.randint(1, 3)),
                decided_by_id=counselor.id,
                decision_reason="同意，已当面说明",
            )
        elif kind == "phone":
            created = as_utc(duty.start + timedelta(minutes=rng.randint(30, 120)))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=LeaveKind.phone,
                reason=rng.choice(PHONE_REASONS),
                status=LeaveStatus.approved,
                created_at=created,
                created_by_id=counselor.id,
                decided_at=created,
                decided_by_id=counselor.id,
                decision_reason="突发情况，电话请假，准予",
            )
        else:  # 先斩后奏: the assistant's own request after the start; excuses nothing.
            created = as_utc(duty.start + timedelta(minutes=rng.randint(40, 180)))
            request = LeaveRequest(
                user_id=person.user.id,
                duty_date=duty.day,
                shift_id=duty.shift_id,
                kind=LeaveKind.personal,
                reason=XIANZHAN_REASON,
                status=LeaveStatus.pending,
                after_start=True,
                created_at=created,
                created_by_id=person.user.id,
            )
        self.add(request)
        data.leaves[duty.key].append(
            LeaveInfo(request.kind.value, request.status.value, request.after_start)
        )

    def future_leaves(self, data: SemesterData, duties: list[Duty]) -> None:
        """Two requests for coming duties, waiting for the counselor's decision."""
        rng = self.rng
        coming = [
            d
            for d in duties
            if self.today < d.day <= self.today + timedelta(days=10) and d.shift_id is not None
        ]
        by_user = {p.user.id: p for p in data.members if p is not self.new[-1]}
        seen: set[int] = set()
        for duty in rng.sample(coming, min(len(coming), 6)):
            if duty.user_id in seen or duty.user_id not in by_user or len(seen) == 2:
                continue
            seen.add(duty.user_id)
            leave_kind = rng.choice((LeaveKind.exam, LeaveKind.official, LeaveKind.sick))
            self.add(
                LeaveRequest(
                    user_id=duty.user_id,
                    duty_date=duty.day,
                    shift_id=duty.shift_id,
                    kind=leave_kind,
                    reason=rng.choice(LEAVE_REASONS[leave_kind]),
                    status=LeaveStatus.pending,
                    created_at=local_at(self.today - timedelta(days=1), 20, rng.randint(0, 59)),
                    created_by_id=duty.user_id,
                )
            )

    def extra_duties(
        self,
        data: SemesterData,
        plan: Plan,
        past_days: list[date],
        worked_days: dict[int, set[date]],
    ) -> None:
        """加班: unscheduled evening sign-in/out (no shift at that time), with a work record."""
        rng = self.rng
        people = [p for p in data.members if worked_days.get(p.user.id) and p is not self.new[-1]]
        if not past_days or not people:
            return
        for person in rng.sample(people, min(plan.extras, len(people))):
            day = rng.choice(past_days)
            if (person.user.id, day) == self.scheduled_extra:
                continue
            sign_in = datetime.combine(day, time(18, 40), tzinfo=LOCAL_TZ) + timedelta(
                minutes=rng.randint(0, 20), seconds=rng.randint(0, 59)
            )
            sign_out = sign_in + timedelta(minutes=rng.randint(75, 140))
            self.event(data, person, (), CheckAction.sign_in, sign_in, None)
            self.event(data, person, (), CheckAction.sign_out, sign_out, None)
            self.add(
                WorkRecord(
                    user_id=person.user.id,
                    duty_date=day,
                    content="加班：" + self.task_text(1),
                    created_at=as_utc(sign_out),
                )
            )
            data.records[person.user.id] += 1
            data.by_kind["extra"].append(person.user.id)

    def summaries(
        self, data: SemesterData, complete: bool, worked_days: dict[int, set[date]]
    ) -> None:
        """Weekly summaries (周总结) for most completed weeks; a few daily ones (小结)."""
        rng = self.rng
        weeks: dict[int, Counter] = defaultdict(Counter)
        for duty in data.duties:
            weeks[duty.user_id][monday_of(duty.day)] += 1
        for person in data.members:
            user_id = person.user.id
            rate = min(1.0, 0.8 + 0.35 * person.quality)
            for monday, count in sorted(weeks[user_id].items()):
                sunday = monday + timedelta(days=6)
                if (not complete and sunday >= self.today) or rng.random() > rate:
                    continue
                text = (
                    f"本周值班 {count} 次。主要工作：{self.task_text(2)}{rng.choice(REFLECTIONS)}"
                )
                self.add(
                    Summary(
                        user_id=user_id,
                        kind=SummaryKind.weekly,
                        period_start=monday,
                        content=text,
                        created_at=local_at(min(sunday, self.today), 21, rng.randint(0, 59)),
                    )
                )
            candidates = sorted(worked_days.get(user_id, ()))
            if candidates and rng.random() < 0.3:
                for day in rng.sample(candidates, min(2, len(candidates))):
                    self.add(
                        Summary(
                            user_id=user_id,
                            kind=SummaryKind.daily,
                            period_start=day,
                            content=f"今日小结：{self.task_text(1)}{rng.choice(REFLECTIONS)}",
                            created_at=local_at(day, 22, rng.randint(0, 59)),
                        )
                    )

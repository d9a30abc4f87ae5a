"""Phase 2: each semester's weekly schedule and its dated changes (换班, 停班, 临时任务)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta

from data.demo.common import BuilderBase, Person, Plan, local_at
from data.demo.vocabulary import (
    AID_CAPACITY,
    AID_PLACE,
    AID_SLOTS,
    MAIN_CAPACITY,
    MAIN_PLACE,
    MAIN_SLOTS,
)
from data.models import OverrideKind, Semester, Shift, ShiftAssignment, ShiftOverride
from data.policy.types import Duty, OverrideSpec, ShiftSpec


class SchedulePhase(BuilderBase):
    """Weekday shifts (up to 3 people each, 2–3 per person); swaps, a cancelled day, an extra duty."""

    def schedule(self, semester: Semester, members: list[Person]) -> list[ShiftSpec]:
        rng = self.rng
        slots: list[tuple[Shift, int]] = []
        for weekday in range(1, 6):
            for start, end in MAIN_SLOTS:
                shift = Shift(
                    semester_id=semester.id,
                    weekday=weekday,
                    start=start,
                    end=end,
                    place_id=self.main_place.id,
                )
                slots.append((shift, MAIN_CAPACITY))
            for start, end in AID_SLOTS:
                shift = Shift(
                    semester_id=semester.id,
                    weekday=weekday,
                    start=start,
                    end=end,
                    place_id=self.aid_place.id,
                )
                slots.append((shift, AID_CAPACITY))
        self.add(*(s for s, _ in slots))
        self.session.flush()
        assigned: dict[int, list[int]] = {s.id: [] for s, _ in slots}
        weekdays: dict[int, set[int]] = defaultdict(set)
        order = list(members)
        rng.shuffle(order)
        # Everybody gets two shifts on different days; the 团长 and about a fifth get a third.
        thirds = {p.user.id for p in order[: len(order) // 5]} | {self.leader.user.id}
        rounds = [order, order, [p for p in order if p.user.id in thirds]]
        for people in rounds:
            for person in people:
                days = weekdays[person.user.id]
                candidates = [
                    (s, cap)
                    for s, cap in slots
                    if s.weekday not in days and len(assigned[s.id]) < cap
                ]
                if not candidates:
                    continue
                prefer_aid = person.post == "资助"

                def rank(item: tuple[Shift, int], prefer_aid: bool = prefer_aid) -> tuple:
                    shift, cap = item
                    at_aid = shift.place_id == self.aid_place.id
                    return (len(assigned[shift.id]) / cap, at_aid != prefer_aid, rng.random())

                shift, _ = min(candidates, key=rank)
                assigned[shift.id].append(person.user.id)
                days.add(shift.weekday)
        for shift, _ in slots:
            for user_id in assigned[shift.id]:
                self.add(ShiftAssignment(shift_id=shift.id, user_id=user_id))
        places = {self.main_place.id: MAIN_PLACE, self.aid_place.id: AID_PLACE}
        return [
            ShiftSpec(
                s.id, s.weekday, s.start, s.end, places[s.place_id], tuple(sorted(assigned[s.id]))
            )
            for s, _ in slots
        ]

    def overrides(
        self,
        semester: Semester,
        plan: Plan,
        shifts: list[ShiftSpec],
        base: list[Duty],
        past_days: list[date],
    ) -> list[OverrideSpec]:
        """Swaps (换班), one cancelled day and one scheduled extra duty, all in the past."""
        rng = self.rng
        specs: list[OverrideSpec] = []
        self.scheduled_extra: tuple[int, date] | None = None
        if len(past_days) < 6:
            return specs
        weekdays_of: dict[int, set[int]] = defaultdict(set)
        for shift in shifts:
            for user_id in shift.user_ids:
                weekdays_of[user_id].add(shift.weekday)
        members = sorted(weekdays_of)
        # One cancelled day (停电检修) in the second half of the past days.
        cancel_day = rng.choice(past_days[len(past_days) // 2 :])
        specs.append(OverrideSpec(cancel_day, "cancel"))
        self.add(
            ShiftOverride(
                semester_id=semester.id,
                on=cancel_day,
                kind=OverrideKind.cancel,
                reason="学院办公楼停电检修，当日停止值班",
                approved_by_id=self.counselor.id,
                created_at=local_at(cancel_day - timedelta(days=2), 16),
            )
        )
        candidates = [d for d in base if d.day in set(past_days) and d.day != cancel_day]
        used: set[tuple[int, date]] = set()
        for _ in range(plan.swaps):
            duty = rng.choice(candidates)
            weekday = duty.day.isoweekday()
            takers = [
                u for u in members if weekday not in weekdays_of[u] and (u, duty.day) not in used
            ]
            if not takers or (duty.user_id, duty.day) in used:
                continue
            taker = rng.choice(takers)
            used.update({(taker, duty.day), (duty.user_id, duty.day)})
            specs.append(OverrideSpec(duty.day, "swap", duty.shift_id, taker, duty.user_id))
            self.add(
                ShiftOverride(
                    semester_id=semester.id,
                    on=duty.day,
                    kind=OverrideKind.swap,
                    shift_id=duty.shift_id,
                    user_id=taker,
                    replaced_user_id=duty.user_id,
                    reason=rng.choice(
                        ("与课程时间冲突，申请换班", "参加学院活动，与同学换班", "实验课调课，换班")
                    ),
                    approved_by_id=self.counselor.id,
                    created_at=local_at(duty.day - timedelta(days=2), 15, rng.randint(0, 59)),
                )
            )
        # One extra duty arranged in advance (临时任务): an evening at 学工办.
        day = rng.choice([d for d in past_days if d != cancel_day])
        user_id = rng.choice(members)
        self.scheduled_extra = (user_id, day)
        start, end = time(18, 30), time(20, 30)
        specs.append(OverrideSpec(day, "extra", None, user_id, None, start, end, MAIN_PLACE))
        self.add(
            ShiftOverride(
                semester_id=semester.id,
                on=day,
                kind=OverrideKind.extra,
                user_id=user_id,
                start=start,
                end=end,
                place_id=self.main_place.id,
                reason="临时任务：整理奖助学金评审材料",
                approved_by_id=self.counselor.id,
                created_at=local_at(day - timedelta(days=1), 11),
            )
        )
        return specs

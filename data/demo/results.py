"""Phase 4: the previous semester's results: evaluations, assessment and stipends via the report."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from data.demo.common import BuilderBase, SemesterData, cents, local_at
from data.models import (
    GRADE_LABELS,
    Assessment,
    Commendation,
    CourseFailure,
    Evaluation,
    EvaluationKind,
    Grade,
    Stipend,
    StipendStatus,
)
from data.report import build_report
from data.summaries import store_summaries


class ResultsPhase(BuilderBase):
    """Closes the previous semester: evaluations, course failure, assessment, 嘉奖, stipends."""

    def assess_previous(self, data: SemesterData) -> None:
        """Evaluations, then the published assessment and paid stipends from ``build_report``.

        The grades are the report's (the same code as every page and ``export-report``), so
        the demo cannot drift from the product's own rules.
        """
        rng, counselor = self.rng, self.counselor
        semester = data.semester
        # Everyone with a duty or an extra duty in the term is assessed (the resigned had none).
        on_duty = {duty.user_id for duty in data.duties} | {
            user_id for user_id, events in data.extra_events.items() if events
        }
        assessed = [p for p in data.members if p.user.id in on_duty]
        evaluated_at = local_at(semester.end - timedelta(days=3), 15)
        for person in assessed:
            score = round(min(20.0, max(8.0, 9 + 9 * person.quality + rng.uniform(-1, 1))), 1)
            self.add(
                Evaluation(
                    semester_id=semester.id,
                    subject_id=person.user.id,
                    rater_id=counselor.id,
                    kind=EvaluationKind.counselor,
                    score=score,
                    comment="工作认真负责" if score >= 17 else "能完成交办任务",
                    created_at=evaluated_at,
                )
            )
            mates = [p for p in assessed if p is not person]
            for rater in rng.sample(mates, min(5, len(mates))):
                peer = round(
                    min(10.0, max(5.0, 5 + 4 * person.quality + rng.uniform(-0.8, 0.8))), 1
                )
                self.add(
                    Evaluation(
                        semester_id=semester.id,
                        subject_id=person.user.id,
                        rater_id=rater.user.id,
                        kind=EvaluationKind.peer,
                        score=peer,
                        created_at=evaluated_at,
                    )
                )
        failed = self.not_rehired[1]
        self.add(
            CourseFailure(
                user_id=failed.user.id,
                semester_id=semester.id,
                course="数学分析（三）" if failed.user.degree_level == "本科生" else "泛函分析",
                recorded_on=semester.end - timedelta(days=5),
                by_id=counselor.id,
            )
        )
        self.session.flush()

        # Published at the end of term: missing evaluations would count 0, not be scaled out.
        computed = min(local_at(semester.end + timedelta(days=5), 10), local_at(self.today, 0))
        as_of = local_at(semester.end + timedelta(days=1), 12)
        report = build_report(self.session, semester, as_of, estimate=False)
        members = {m.user_id: m for m in report.members}
        missing = sorted(p.user.username for p in assessed if p.user.id not in members)
        if missing:  # the demo's appointments and the report disagree: a bug, say whose
            raise RuntimeError(f"demo members the report does not assess: {missing}")
        semester.finalized_at = computed
        grades: Counter = Counter()
        for person in assessed:
            member = members[person.user.id]
            result = member.assessment
            grades[member.final_grade] += 1
            self.add(
                Assessment(
                    semester_id=semester.id,
                    user_id=person.user.id,
                    attendance_score=result.attendance,
                    records_score=result.records,
                    meetings_score=result.meetings,
                    counselor_score=result.counselor,
                    peer_score=result.peer,
                    total=result.total,
                    grade=Grade(result.grade),
                    reasons="；".join(result.reasons),
                    published=True,
                    computed_at=computed,
                )
            )
        self.previous_grades = {GRADE_LABELS[g]: grades[g.value] for g in Grade}

        # 嘉奖 for the best of the term, paid with the stipend.
        best = max(assessed, key=lambda p: (members[p.user.id].assessment.total, -p.user.id))
        self.add(
            Commendation(
                user_id=best.user.id,
                semester_id=semester.id,
                on=semester.end - timedelta(days=7),
                reason="迎新及奖助学金评审期间主动加班，工作表现突出",
                bonus=Decimal("200"),
                by_id=counselor.id,
            )
        )
        self.session.flush()
        # Locked with its grades: summarised as finalize does, so 学期对比 reads stored rows.
        store_summaries(self.session, semester, computed)
        # Read again so the bonus is in the best one's stipend exactly as the report adds it.
        report = build_report(self.session, semester, as_of, estimate=False)
        members = {m.user_id: m for m in report.members}
        paid_at = min(local_at(semester.end + timedelta(days=20), 10), local_at(self.today, 0))
        rate = Decimal(str(report.attendance.settings.hourly_rate))
        for person in assessed:
            user_id = person.user.id
            stipend = members[user_id].stipend
            common = {
                "semester_id": semester.id,
                "user_id": user_id,
                "rate": rate,
                "grade_factor": stipend.factor,
                "status": StipendStatus.paid,
                "approved_by_id": counselor.id,
                "paid_at": paid_at,
            }
            self.add(
                Stipend(
                    month="",
                    hours=stipend.hours,
                    bonus=stipend.bonus,
                    amount=stipend.amount,
                    **common,
                )
            )
            for month, (_credited, capped) in stipend.monthly.items():
                self.add(
                    Stipend(
                        month=month,
                        hours=capped,
                        bonus=Decimal("0"),
                        amount=cents(capped * common["rate"] * stipend.factor),
                        **common,
                    )
                )

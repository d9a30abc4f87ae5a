"""Declarative base, shared column types and enums.

The enums the policy engine reads live in ``data.policy.types`` (plain, no SQLAlchemy) and are
re-exported here, so models and callers import every enum from ``data.models``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from data.policy.types import DismissalReason as DismissalReason
from data.policy.types import DutyStatus as DutyStatus
from data.policy.types import Grade as Grade
from data.policy.types import LeaveKind as LeaveKind
from data.policy.types import LeaveStatus as LeaveStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict: JSON(),
        # Enums are stored as their values in a VARCHAR + CHECK, portable across backends.
        enum.Enum: Enum(
            enum.Enum,
            native_enum=False,
            length=24,
            values_callable=lambda cls: [m.value for m in cls],
            validate_strings=True,
        ),
    }


class Role(enum.StrEnum):
    assistant = "assistant"
    leader = "leader"
    counselor = "counselor"
    leadership = "leadership"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_staff(self) -> bool:
        return self is not Role.assistant


ROLE_LABELS = {
    Role.assistant: "助管",
    Role.leader: "团长",
    Role.counselor: "兼辅",
    Role.leadership: "领导",
}


class Stage(enum.StrEnum):
    applied = "applied"
    reviewed = "reviewed"
    trial = "trial"
    appointed = "appointed"
    ended = "ended"
    dismissed = "dismissed"
    resigned = "resigned"
    rejected = "rejected"
    trial_failed = "trial_failed"


STAGE_LABELS = {
    Stage.applied: "已报名",
    Stage.reviewed: "学院审核通过",
    Stage.trial: "试用",
    Stage.appointed: "聘任",
    Stage.ended: "聘期结束",
    Stage.dismissed: "解聘",
    Stage.resigned: "辞职",
    Stage.rejected: "未通过",
    Stage.trial_failed: "试用不合格",
}


class CheckAction(enum.StrEnum):
    sign_in = "sign_in"
    sign_out = "sign_out"


class CheckMethod(enum.StrEnum):
    qr = "qr"
    kiosk = "kiosk"
    manual = "manual"
    import_ = "import"


class OverrideKind(enum.StrEnum):
    swap = "swap"  # 换班: replaced_user's duty taken by user on that date
    extra = "extra"  # 临时任务/加班 scheduled in advance
    cancel = "cancel"  # the shift (or the whole day when shift is empty) does not take place


LEAVE_LABELS = {
    LeaveKind.personal: "事假",
    LeaveKind.sick: "病假",
    LeaveKind.official: "公务/活动",
    LeaveKind.exam: "考试",
    LeaveKind.phone: "电话请假",
}


class SummaryKind(enum.StrEnum):
    daily = "daily"
    weekly = "weekly"


class Presence(enum.StrEnum):
    present = "present"  # 出席
    excused = "excused"  # 请假
    absent = "absent"  # 缺席


PRESENCE_LABELS = {Presence.present: "出席", Presence.excused: "请假", Presence.absent: "缺席"}


class EvaluationKind(enum.StrEnum):
    counselor = "counselor"
    peer = "peer"


GRADE_LABELS = {Grade.excellent: "优秀", Grade.qualified: "合格", Grade.unqualified: "不合格"}


class StipendStatus(enum.StrEnum):
    draft = "draft"
    approved = "approved"
    paid = "paid"

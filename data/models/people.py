"""Teams, people, their appointment history and their personal records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from data.models.base import Base, DismissalReason, Role, Stage
from data.timeutil import utcnow


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    college: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team")


class TeamSettings(Base):
    """The policy defaults of SPEC §3 for one team, validated by ``data.policy.settings``."""

    __tablename__ = "team_settings"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base):
    """Anyone who logs in: assistants, the 团长, the 兼辅 and college leaders."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Leadership scoped to all teams (学生工作处 view) has no team.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)  # 学号/工号
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[Role] = mapped_column(default=Role.assistant)
    # Roster profile (SPEC §6 roster format).
    gender: Mapped[str] = mapped_column(String(4), default="")
    degree_level: Mapped[str] = mapped_column(String(20), default="")  # 研究生/本科生
    grade: Mapped[str] = mapped_column(String(20), default="")  # 年级, e.g. 2023级
    major: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    qq: Mapped[str] = mapped_column(String(20), default="")
    political_status: Mapped[str] = mapped_column(String(20), default="")  # sensitive
    hardship: Mapped[bool] = mapped_column(default=False)  # 家庭经济困难, counselors only
    post: Mapped[str] = mapped_column(String(50), default="")  # 岗位
    email: Mapped[str] = mapped_column(String(120), default="")  # 邮箱 (reminders)
    notify_opt_out: Mapped[list] = mapped_column(JSON, default=list)  # reminder kinds switched off
    # Account.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    must_change_password: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="members")

    # scrypt in production; the test suite swaps in a cheap method (tests/conftest.py) because
    # hashing fixture passwords was most of its CPU time.
    password_method: ClassVar[str] = "scrypt"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=self.password_method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # flask-login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    # The token of the login this instance stands for (set at login and by the user loader); it
    # makes the Flask-Login id "<id>.<token>", so both cookies name one revocable login.
    login_token: ClassVar[str | None] = None  # the class default; set on the instance

    def get_id(self) -> str:
        return f"{self.id}.{self.login_token}" if self.login_token else str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.name} {self.role.value}>"


class LoginSession(Base):
    """One browser's login: the sha256 of its token; revoked rows no longer log anyone in."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Appointment(Base):
    """One person's application and appointment for a semester (第四条), with its stage history."""

    __tablename__ = "appointment"
    __table_args__ = (UniqueConstraint("user_id", "semester_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(
        ForeignKey("semester.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[Stage] = mapped_column(default=Stage.applied)
    applied_on: Mapped[date]
    trial_start: Mapped[date | None]
    appointed_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    # Application conditions (第三条).
    grades_note: Mapped[str] = mapped_column(String(200), default="")  # 学习成绩
    experience: Mapped[str] = mapped_column(Text, default="")
    dismissal_reason: Mapped[DismissalReason | None]
    # Resignation (第九条五).
    resignation_requested_on: Mapped[date | None]
    short_notice_override: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
    history: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id", cascade="all, delete-orphan"
    )


class AppointmentEvent(Base):
    """A dated, attributed stage change of an appointment."""

    __tablename__ = "appointment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[Stage | None]
    to_stage: Mapped[Stage]
    on: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")

    appointment: Mapped[Appointment] = relationship(back_populates="history")


class Commendation(Base):
    """嘉奖 (第七条三), optionally with a stipend bonus."""

    __tablename__ = "commendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(ForeignKey("semester.id", ondelete="CASCADE"))
    on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    bonus: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Violation(Base):
    """A breach of school rules (第九条四): forces 不合格."""

    __tablename__ = "violation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(ForeignKey("semester.id", ondelete="CASCADE"))
    on: Mapped[date]
    description: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class CourseFailure(Base):
    """A failed course exam during the appointment (第九条四): forces 不合格."""

    __tablename__ = "course_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    semester_id: Mapped[int] = mapped_column(ForeignKey("semester.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(String(100))
    recorded_on: Mapped[date]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

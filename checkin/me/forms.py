"""Forms of the assistant's own page: leave requests and summaries (CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from data.models import LEAVE_LABELS
from data.services.leave_requests import OWN_KINDS, REASON_MAX, REASON_MIN
from data.services.summaries import SUMMARY_MAX

# An assistant chooses among these; 电话请假 is recorded by the counselor only (第六条四).
LEAVE_CHOICES = [(kind.value, LEAVE_LABELS[kind]) for kind in OWN_KINDS]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LeaveForm(FlaskForm):
    # The duty is named by its date and shift; the view checks it is one of the user's duties.
    duty_date = HiddenField(validators=[DataRequired("请选择要请假的值班"), Length(max=10)])
    shift = HiddenField(validators=[Length(max=12)])
    # A plain field checked with AnyOf: SelectField's own check answers in English, and the
    # template draws LEAVE_CHOICES as large radio buttons anyway.
    kind = StringField(
        "请假类型",
        validators=[AnyOf([v for v, _ in LEAVE_CHOICES], message="请选择请假类型")],
    )
    reason = TextAreaField(
        "请假事由",
        filters=[_strip],
        validators=[
            DataRequired("请填写请假事由"),
            Length(
                min=REASON_MIN,
                max=REASON_MAX,
                message=f"请假事由须为 {REASON_MIN}–{REASON_MAX} 个字",
            ),
        ],
    )


class CancelLeaveForm(FlaskForm):
    """Only the CSRF token: the request id is in the URL and checked against the owner."""


class SummaryForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    content = TextAreaField(
        "内容",
        filters=[_strip],
        validators=[
            DataRequired("请填写内容"),
            Length(max=SUMMARY_MAX, message=f"内容不能超过 {SUMMARY_MAX} 字"),
        ],
    )

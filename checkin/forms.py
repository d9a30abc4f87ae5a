"""Flask-WTF forms (CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from data.importers import USERNAME_RE


class LoginForm(FlaskForm):
    username = StringField(
        "学号/工号", validators=[DataRequired("请输入学号或工号"), Length(max=32)]
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("30 天内保持登录")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField(
        "新密码",
        validators=[
            DataRequired("请输入新密码"),
            Length(min=8, max=128, message="新密码至少 8 位"),
        ],
    )
    confirm = PasswordField(
        "再次输入新密码", validators=[EqualTo("new", message="两次输入的新密码不一致")]
    )


class SetupForm(FlaskForm):
    """The first-run form (checkin/setup.py); the service checks the same rules again."""

    college = StringField("学院名称", validators=[DataRequired("请填写学院名称"), Length(max=100)])
    team = StringField("团队名称", validators=[DataRequired("请填写团队名称"), Length(max=100)])
    username = StringField(
        "兼辅老师的学号/工号",
        validators=[
            DataRequired("请填写学号/工号"),
            Regexp(USERNAME_RE, message="只能由字母、数字、- 和 _ 组成（最多 32 位）"),
        ],
    )
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50)])
    password = PasswordField(
        "密码",
        validators=[
            DataRequired("请设置密码"),
            Length(min=8, max=128, message="密码至少 8 位"),
        ],
    )
    confirm = PasswordField(
        "再次输入密码", validators=[EqualTo("password", message="两次输入的密码不一致")]
    )

"""Flask-WTF forms (CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


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

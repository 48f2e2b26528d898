"""The web forms of the staff-facing pages (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):
    username = StringField("Staff ID or username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new_password", "The two new passwords differ.")]
    )


class InfoForm(FlaskForm):
    """What a staff member may change about themselves (never the staff ID)."""

    first_name = StringField("First name", validators=[DataRequired(), Length(max=64)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=64)])
    email = StringField(
        "Email",
        validators=[
            Optional(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Not an email address."),
        ],
    )
    phone = StringField(
        "Phone",
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^[0-9+()./ -]+$", message="Use digits, spaces and + ( ) . / - only."),
        ],
    )


class AvatarForm(FlaskForm):
    avatar = FileField("Photo (JPEG, PNG, GIF or WebP)", validators=[FileRequired("Choose a file.")])

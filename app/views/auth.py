"""Signing in and out, throttled; changing one's password, which the one-time password of a new account forces."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import AccountError, check_password_policy
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from app.views.forms import ChangePasswordForm, LoginForm
from app.views.login_throttle import clear_failures, is_locked_out, record_failure
from app.views.safety import is_local_url

bp = Blueprint("auth", __name__)

# Pages a user who must change their password may still reach.
_ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static", "admin.static"}
# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def _next_target() -> str:
    target = request.args.get("next", "")
    return target if is_local_url(target) else url_for("main.index")


@bp.before_app_request
def require_password_change():
    """Send a signed-in user whose password must change to the change-password page first."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _ALLOWED_BEFORE_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; too many failures for a username or an address lock sign-in out for a while."""
    if current_user.is_authenticated:
        return redirect(_next_target())
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if form.errors else 200
    username, address = form.username.data.strip(), request.remote_addr or "unknown"
    if is_locked_out(username, address):
        flash("Too many failed sign-ins. Wait a few minutes and try again.", "error")
        return render_template("login.html", form=form), 429
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, form.password.data)
        password_ok = False
    else:
        password_ok = user.check_password(form.password.data) and user.active
    if not password_ok:
        record_failure(username, address)
        flash("Wrong username or password.", "error")
        return render_template("login.html", form=form), 401
    clear_failures(username)
    target = _next_target()
    session.clear()  # nothing from before sign-in survives it
    login_user(user)
    user.last_login_at = utcnow()
    db.session.commit()
    if user.must_change_password:
        flash("Welcome! Choose your own password to replace the one-time password.", "info")
        return redirect(url_for("auth.change_password", next=target))
    return redirect(target)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, with a CSRF token, so no link elsewhere can sign a user out)."""
    logout_user()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: the current one, then the new one twice."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            if not current_user.check_password(form.current_password.data):
                raise AccountError("The current password is wrong.")
            if form.new_password.data == form.current_password.data:
                raise AccountError("The new password must differ from the current one.")
            check_password_policy(form.new_password.data)
        except AccountError as exc:
            form.new_password.errors = [*form.new_password.errors, str(exc)]
        else:
            current_user.set_password(form.new_password.data)
            current_user.must_change_password = False
            db.session.commit()
            flash("Your password was changed.", "success")
            return redirect(_next_target())
    return render_template("change_password.html", form=form), 400 if form.errors else 200

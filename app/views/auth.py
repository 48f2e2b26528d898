"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.types import utcnow

bp = Blueprint("auth", __name__)


def _is_local(target: str) -> bool:
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not user.check_password(request.form.get("password", "")) or not user.active:
            flash("Wrong username or password.", "error")
            return render_template("login.html", username=username), 401
        login_user(user)
        user.last_login_at = utcnow()
        db.session.commit()
        target = request.args.get("next", "")
        return redirect(target if _is_local(target) else url_for("main.index"))
    return render_template("login.html", username="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))

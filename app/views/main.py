"""The landing page and a health check."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """Send admins to the admin pages and staff to their own log."""
    return redirect(url_for("admin.index") if current_user.is_admin else url_for("me.logs"))


@bp.route("/healthz")
def healthz():
    """Whether the web app can reach its database."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}

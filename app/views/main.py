"""The landing page and a health check."""

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("index.html")


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}

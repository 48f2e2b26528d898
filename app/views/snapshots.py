"""Snapshot images of gate decisions, by decision id: for admins, and for the person a decision was about."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from app.error_pages import forbidden_page
from app.snapshots import PARTS, may_see, snapshot_image

bp = Blueprint("snapshots", __name__)

DECISION_ID = re.compile(r"[0-9a-f]{1,64}")


def _not_found() -> tuple[str, int]:
    return render_template("error.html", title="Not found", message="No snapshot (it may have expired)."), 404


@bp.route("/snapshots/<decision_id>/<part>.jpg")
@login_required
def image(decision_id: str, part: str):
    """The face crop (part "face") or whole frame ("frame") of one decision, if the signed-in user may see it."""
    if part not in PARTS or not DECISION_ID.fullmatch(decision_id):
        return _not_found()
    found = snapshot_image(decision_id, part)
    if found is None:
        return _not_found()
    face, jpeg = found
    if not may_see(current_user, face):
        return forbidden_page()
    return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

"""The admin's review of recent gate decisions: who each stranger was, and whether each grant named the right person.

A stranger confirmed as "not staff" stays in the site cohort; "this was staff" takes it out. A grant marked "not this
person" becomes a hard negative for that person at the next training. Crops are shown until reviewed or expired.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.admin.security import AdminOnly
from app.enrolment.site_faces import review_face
from app.extensions import db
from app.models import DecisionFace
from app.models.types import utcnow
from app.sitetime import format_local

PAGE_SIZE = 60
KINDS = ("stranger", "granted", "denied", "spoof")
REVIEW_LABELS = {
    "not_staff": "not staff",
    "was_staff": "was a member of staff",
    "correct": "right person",
    "wrong_person": "not this person",
}


class ReviewView(AdminOnly, BaseView):
    """Recent decisions with their face crops, newest first, and the review buttons."""

    @expose("/")
    def index(self):
        """The list: ?kind=stranger|granted|denied|spoof (default stranger), ?pending=1 for unreviewed only."""
        kind = request.args.get("kind", "stranger")
        if kind not in KINDS:
            abort(400)
        pending = request.args.get("pending") == "1"
        since = utcnow() - timedelta(days=current_app.config["SNAPSHOT_DAYS"])
        query = (
            select(DecisionFace, DecisionFace.frame.is_not(None))
            .options(joinedload(DecisionFace.gate), joinedload(DecisionFace.staff))
            .where(DecisionFace.kind == kind, DecisionFace.captured_at >= since)
        )
        if pending:
            query = query.where(DecisionFace.review.is_(None))
        faces = db.session.execute(query.order_by(DecisionFace.captured_at.desc()).limit(PAGE_SIZE)).all()
        counts = dict(
            db.session.execute(
                select(DecisionFace.kind, func.count())
                .where(DecisionFace.captured_at >= since, DecisionFace.review.is_(None))
                .group_by(DecisionFace.kind)
            ).all()
        )
        rows = [
            {
                "face": face,
                "time": format_local(face.captured_at),
                "person": f"{face.staff.full_name} ({face.staff.staff_id})" if face.staff else "",
                "review": REVIEW_LABELS.get(face.review or "", ""),
                "has_frame": has_frame,
            }
            for face, has_frame in faces
        ]
        return self.render(
            "admin/review.html", rows=rows, kind=kind, kinds=KINDS, pending=pending, counts=counts,
            days=current_app.config["SNAPSHOT_DAYS"],
        )  # fmt: skip

    @expose("/<int:face_id>/crop.jpg")
    def crop(self, face_id: int):
        """The face crop of one decision (404 once reviewed or expired)."""
        face = db.get_or_404(DecisionFace, face_id)
        if face.crop is None:
            abort(404)
        return Response(face.crop, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

    @expose("/<int:face_id>", methods=["POST"])
    def review(self, face_id: int):
        """Record the admin's review of one decision; the next training uses it."""
        face = db.get_or_404(DecisionFace, face_id)
        try:
            review_face(face, request.form.get("review", ""), current_user.id)
        except ValueError as exc:
            abort(400, description=str(exc))
        flash(f"Marked {REVIEW_LABELS[face.review]}; the next training uses it.", "info")
        return redirect(url_for(".index", kind=face.kind, pending=request.form.get("pending", "")))

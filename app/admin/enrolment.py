"""The admin enrolment pages: per person, photo counts and rejections, Capture/Upload/Preprocess/Train, live jobs."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy import select

from app.admin.security import AdminOnly, admin_actor
from app.audit import record, target_of
from app.enrolment.model_store import live_classifier
from app.enrolment.photos import add_uploaded_photos
from app.enrolment.service import enqueue_job
from app.enrolment.status import enrolment_states, latest_model, recent_jobs, rejected_images
from app.extensions import db
from app.jobs import request_cancel
from app.models import Job, Staff
from app.sitetime import format_local


def _job_json(job: Job) -> dict:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress,
        "message": job.message,
        "created": format_local(job.created_at),
        "finished": job.finished,
    }


def _enrolled_labels() -> set[str]:
    model = live_classifier(current_app.config)
    return set() if model is None else {str(label) for label in model.classes}


class EnrolmentView(AdminOnly, BaseView):
    """Everyone's enrolment state, and one page per person to add photos, preprocess and train."""

    @expose("/")
    def index(self):
        """Every person with photo counts and whether the live model knows them."""
        people = list(db.session.scalars(select(Staff).order_by(Staff.last_name, Staff.first_name)))
        return self.render(
            "admin/enrolment_index.html",
            people=people,
            states=enrolment_states([p.id for p in people]),
            enrolled=_enrolled_labels(),
            model=latest_model(),
            jobs=[_job_json(job) for job in recent_jobs()],
        )

    @expose("/<int:staff_pk>")
    def person(self, staff_pk: int):
        """One person's photos, rejections and jobs, with the enrolment buttons."""
        staff = db.get_or_404(Staff, staff_pk)
        return self.render(
            "admin/enrolment_person.html",
            staff=staff,
            state=enrolment_states([staff.id])[staff.id],
            rejected=rejected_images(staff),
            enrolled=staff.staff_id in _enrolled_labels(),
            model=latest_model(),
            jobs=[_job_json(job) for job in recent_jobs(staff)],
        )

    @expose("/<int:staff_pk>/upload", methods=["POST"])
    def upload(self, staff_pk: int):
        """Store uploaded photos (or a zip) as the person's raw photos; report each file that was refused."""
        staff = db.get_or_404(Staff, staff_pk)
        files = [(f.filename or "upload", f.read()) for f in request.files.getlist("photos") if f.filename]
        if not files:
            flash("Choose one or more photos (or a zip of photos) to upload.", "error")
            return redirect(url_for(".person", staff_pk=staff.id))
        result = add_uploaded_photos(staff, files)
        for name, reason in result.errors:
            flash(f"{name}: {reason}", "error")
        flash(f"{len(result.saved)} photos added for {staff.full_name}.", "success" if result.saved else "warning")
        return redirect(url_for(".person", staff_pk=staff.id))

    @expose("/<int:staff_pk>/capture", methods=["POST"])
    def capture(self, staff_pk: int):
        """Start capturing shots from the registration camera."""
        staff = db.get_or_404(Staff, staff_pk)
        source = request.form.get("source", "").strip()
        if not source or len(source) > 512:
            flash("Give the registration camera: a device index, an RTSP/HTTP URL or a video file.", "error")
            return redirect(url_for(".person", staff_pk=staff.id))
        enqueue_job("capture", staff.id, source=source)
        flash("Capture queued; look at the camera and turn your head slowly.", "info")
        return redirect(url_for(".person", staff_pk=staff.id))

    @expose("/<int:staff_pk>/preprocess", methods=["POST"])
    def preprocess(self, staff_pk: int):
        """Queue preprocessing of the person's new photos."""
        staff = db.get_or_404(Staff, staff_pk)
        enqueue_job("preprocess", staff.id)
        flash("Preprocessing queued.", "info")
        return redirect(url_for(".person", staff_pk=staff.id))

    @expose("/train", methods=["POST"])
    def train(self):
        """Queue a training (incremental, or full when asked)."""
        full = request.form.get("full") == "1"
        job = enqueue_job("train", full=full)
        record(admin_actor(), "model.train", target_of(job), after={"full": full})
        flash(f"{'Full' if full else 'Incremental'} training queued.", "info")
        return redirect(url_for(".index"))

    @expose("/jobs/<int:job_id>/cancel", methods=["POST"])
    def cancel(self, job_id: int):
        """Ask a pending or running job to stop (a capture keeps the shots it took)."""
        job = db.get_or_404(Job, job_id)
        flash("Cancel requested." if request_cancel(job.id) else "That job has already finished.", "info")
        return redirect(url_for(".person", staff_pk=job.staff_id) if job.staff_id else url_for(".index"))

    @expose("/jobs.json")
    def jobs(self):
        """The jobs whose ids are given (?id=1&id=2), for the pages' progress bars."""
        ids = [int(i) for i in request.args.getlist("id") if i.isdigit()][:50]
        if not ids:
            abort(400)
        found = db.session.scalars(select(Job).where(Job.id.in_(ids)))
        return jsonify([_job_json(job) for job in found])

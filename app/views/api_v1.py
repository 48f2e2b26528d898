"""The scripts' JSON API, /api/v1 (docs/api.md; its OpenAPI description at /api/v1/openapi.json): staff, photos,
preprocessing and training jobs. The in/out log and attendance are in app/views/api_v1_log.py."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import or_, select

from app.accounts import AccountError, create_staff
from app.audit import record, snapshot, target_of
from app.enrolment.photos import add_uploaded_photos
from app.enrolment.service import enqueue_job
from app.extensions import csrf, db
from app.models import FaceImage, Job, Staff
from app.views.api_auth import api_actor, token_required
from app.views.api_fields import bool_field, iso, json_body, page_params, text_field, text_list_field
from app.views.api_input import ApiError, path_id, query_text

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
# Token-authenticated only (app/views/api_auth.py): no session cookie is accepted here, so CSRF does not apply.
csrf.exempt(bp)
JOB_KINDS = ("preprocess", "train")


def staff_json(staff: Staff) -> dict:
    """A person as the API shows them."""
    photos = db.session.scalar(select(db.func.count()).select_from(FaceImage).where(FaceImage.staff_id == staff.id))
    return {
        "staff_id": staff.staff_id,
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "email": staff.email,
        "phone": staff.phone,
        "kind": staff.kind,
        "gates": [gate.name for gate in staff.gates],
        "photos": photos,
        "created_at": iso(staff.created_at),
    }


def job_json(job: Job) -> dict:
    """A job's progress as the API shows it."""
    staff = db.session.get(Staff, job.staff_id) if job.staff_id else None
    return {
        "id": job.id,
        "kind": job.kind,
        "staff_id": staff.staff_id if staff else None,
        "state": job.state,
        "progress": job.progress,
        "message": job.message,
        "finished": job.finished,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


def _staff_or_404(staff_id: str) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
    if staff is None:
        raise ApiError(404, f"no person with staff id {staff_id!r}")
    return staff


@bp.get("/staff")
@token_required("read")
def list_staff():
    """People in staff-table order, a page at a time (?after=<cursor>&limit=), filtered by ?q= (id or name)."""
    after, limit = page_params()
    query = select(Staff).where(Staff.id > after).order_by(Staff.id).limit(limit)
    search = query_text("q")
    if search:
        like = f"%{search}%"
        query = query.where(or_(Staff.staff_id.like(like), Staff.first_name.like(like), Staff.last_name.like(like)))
    people = list(db.session.scalars(query))
    cursor = people[-1].id if len(people) == limit else None
    return {"items": [staff_json(staff) for staff in people], "next": cursor}


@bp.get("/staff/<staff_id>")
@token_required("read")
def read_staff(staff_id: str):
    """One person."""
    return staff_json(_staff_or_404(staff_id))


@bp.post("/staff")
@token_required("write")
def create_person():
    """Create a person and their web account: JSON staff_id, first_name, last_name, optional email, phone, gates."""
    body = json_body()
    try:
        staff, password = create_staff(
            text_field(body, "staff_id", max_chars=64),
            text_field(body, "first_name", max_chars=64),
            text_field(body, "last_name", max_chars=64),
            text_field(body, "email", required=False),
            text_field(body, "phone", required=False, max_chars=32),
            text_list_field(body, "gates"),
        )
    except AccountError as exc:
        db.session.rollback()
        raise ApiError(409 if "taken" in str(exc) else 400, str(exc)) from None
    record(api_actor(), "create", target_of(staff), after=snapshot(staff))
    response = jsonify({**staff_json(staff), "one_time_password": password})
    response.status_code = 201
    return response


@bp.post("/staff/<staff_id>/photos")
@token_required("write")
def upload_photos(staff_id: str):
    """Store uploaded photos (multipart field `photos`, one or more images or zips) as the person's raw photos."""
    staff = _staff_or_404(staff_id)
    files = [(f.filename or "upload", f.read()) for f in request.files.getlist("photos") if f.filename]
    if not files:
        raise ApiError(400, "send one or more files in the multipart field 'photos'")
    result = add_uploaded_photos(staff, files)
    return {"saved": len(result.saved), "errors": [{"file": name, "error": error} for name, error in result.errors]}


@bp.post("/jobs")
@token_required("write")
def start_job():
    """Start a job: JSON {"kind": "preprocess", "staff_id": ..., "redo": false} or {"kind": "train"}."""
    body = json_body()
    kind = text_field(body, "kind", max_chars=16)
    if kind not in JOB_KINDS:
        raise ApiError(400, f"kind must be one of {', '.join(JOB_KINDS)}, got {kind!r}")
    if kind == "preprocess":
        staff = _staff_or_404(text_field(body, "staff_id", max_chars=64))
        job = enqueue_job("preprocess", staff.id, redo=bool_field(body, "redo"))
    else:
        job = enqueue_job("train")
        record(api_actor(), "model.train", target_of(job))
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return response


@bp.get("/jobs/<int:job_id>")
@token_required("read")
def read_job(job_id: int):
    """A job's state and progress."""
    job = db.session.get(Job, path_id(job_id, "job id"))
    if job is None:
        raise ApiError(404, f"no job {job_id}")
    return job_json(job)

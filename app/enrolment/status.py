"""A person's enrolment state, for the admin pages: photo counts, rejections, jobs, model coverage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from app.extensions import db
from app.models import FaceImage, Job, ModelVersion, Staff

RECENT_JOBS = 10


@dataclass
class EnrolmentState:
    """Counts of a person's photos and what became of them."""

    raw: int
    processed: int
    rejected: int
    waiting: int


def enrolment_states(staff_ids: list[int]) -> dict[int, EnrolmentState]:
    """EnrolmentState per staff primary key (people without photos get zeros), in one query."""
    rows = db.session.execute(
        select(
            FaceImage.staff_id,
            func.count(),
            func.sum(case((and_(FaceImage.processed_at.is_not(None), FaceImage.rejection_reason.is_(None)), 1),
                          else_=0)),  # fmt: skip
            func.sum(case((FaceImage.rejection_reason.is_not(None), 1), else_=0)),
            func.sum(case((FaceImage.processed_at.is_(None), 1), else_=0)),
        )
        .where(FaceImage.staff_id.in_(staff_ids))
        .group_by(FaceImage.staff_id)
    )
    states = {pk: EnrolmentState(0, 0, 0, 0) for pk in staff_ids}
    for pk, raw, processed, rejected, waiting in rows:
        states[pk] = EnrolmentState(int(raw), int(processed or 0), int(rejected or 0), int(waiting or 0))
    return states


def rejected_images(staff: Staff) -> list[FaceImage]:
    """The person's rejected photos, each with its reason."""
    query = select(FaceImage).where(FaceImage.staff_id == staff.id, FaceImage.rejection_reason.is_not(None))
    return list(db.session.scalars(query.order_by(FaceImage.id)))


def recent_jobs(staff: Staff | None = None, limit: int = RECENT_JOBS) -> list[Job]:
    """The newest jobs for a person (or, with no person, the jobs for everyone such as training)."""
    query = select(Job).where(Job.staff_id == staff.id if staff else Job.staff_id.is_(None))
    return list(db.session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def latest_model() -> ModelVersion | None:
    """The newest recorded model version."""
    return db.session.scalar(select(ModelVersion).order_by(ModelVersion.version.desc()).limit(1))

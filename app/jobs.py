"""Background-job bookkeeping: Job rows that drive progress bars, and cancellation requests."""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import db
from app.models import Job
from app.models.types import utcnow


class JobCancelled(Exception):
    """Raised inside a job's work when someone asked for the job to stop."""


def create_job(kind: str, staff_id: int | None = None, message: str = "queued") -> Job:
    """A new pending Job row (committed)."""
    job = Job(kind=kind, staff_id=staff_id, state="pending", progress=0, message=message)
    db.session.add(job)
    db.session.commit()
    return job


def start_job(job_id: int, task_id: str | None = None) -> Job:
    """Mark a job running (committed); raise JobCancelled if it was cancelled while it waited."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise LookupError(f"no job {job_id}")
    if job.state == "cancelled":
        raise JobCancelled
    job.state, job.started_at, job.task_id = "running", job.started_at or utcnow(), task_id or job.task_id
    db.session.commit()
    return job


def report_progress(job: Job, done: int, total: int, message: str) -> None:
    """Record progress done/total (committed); raise JobCancelled if a cancel was requested meanwhile."""
    db.session.refresh(job, ["state"])
    job.progress = max(0, min(100, round(100 * done / total))) if total else 0
    job.message = message[:1024]
    db.session.commit()
    if job.state == "cancelled":
        raise JobCancelled


def finish_job(job: Job, state: str, message: str) -> None:
    """Mark a job succeeded, failed or cancelled with a final message (committed)."""
    db.session.rollback()  # drop whatever half-done work the failure left in the session
    job = db.session.get(Job, job.id)
    job.state, job.message, job.finished_at = state, message[:1024], utcnow()
    if state == "succeeded":
        job.progress = 100
    db.session.commit()


def request_cancel(job_id: int) -> bool:
    """Ask a pending or running job to stop; return whether it was still unfinished."""
    job = db.session.get(Job, job_id)
    if job is None or job.finished:
        return False
    job.state = "cancelled"
    db.session.commit()
    return True


def run_job(
    job_id: int,
    work: Callable[[Job], str],
    expected: tuple[type[Exception], ...] = (),
    task_id: str | None = None,
) -> Job:
    """Run work(job) as job job_id, recording running/succeeded/failed/cancelled and its final message.

    work returns the success message and may raise JobCancelled (from report_progress). An exception in
    `expected` fails the job with its message; any other also fails it and is re-raised for the worker's log.
    """
    try:
        job = start_job(job_id, task_id)
    except JobCancelled:
        job = db.session.get(Job, job_id)
        finish_job(job, "cancelled", "cancelled before it started")
        return job
    try:
        message = work(job)
    except JobCancelled:
        finish_job(job, "cancelled", f"cancelled after {job.message}")
    except expected as exc:
        finish_job(job, "failed", str(exc))
    except Exception as exc:
        finish_job(job, "failed", f"unexpected error: {exc}")
        raise
    else:
        finish_job(job, "succeeded", message)
    return db.session.get(Job, job_id)

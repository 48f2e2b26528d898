"""Enrolment jobs: capture, preprocess and train, run by Celery tasks or in-process by the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app

from app.avatars import remove_avatar
from app.cameras import CameraError
from app.enrolment.capture import capture_photos
from app.enrolment.dataset import remove_person
from app.enrolment.forgetting import forget_in_event_files
from app.enrolment.model_store import delete_old_versions
from app.enrolment.photos import add_photo, delete_photos_of
from app.enrolment.preprocess import preprocess_staff
from app.enrolment.training import KEEP_VERSIONS, TrainingError, train_model, training_lock
from app.extensions import db
from app.jobs import create_job, report_progress, run_job
from app.models import Job, Staff
from app.recognition.configured import cohort_from_config, recognizer_from_config
from app.redis_client import get_redis

TASKS = {"capture": "facegate.capture", "preprocess": "facegate.preprocess", "train": "facegate.train"}
Observer = Callable[[Job], None]


def _ignore(job: Job) -> None:
    pass


def _reporter(job: Job, observe: Observer) -> Callable[[int, int, str], None]:
    """report_progress for job, then show the job to observe (e.g. a terminal progress bar)."""

    def report(done: int, total: int, message: str) -> None:
        report_progress(job, done, total, message)
        observe(job)

    return report


def enqueue_job(kind: str, staff_id: int | None = None, **options) -> Job:
    """Create a pending Job and send its Celery task (by name, to the kind's queue); return the Job."""
    job = create_job(kind, staff_id)
    result = current_app.extensions["celery"].send_task(TASKS[kind], kwargs={"job_id": job.id, **options})
    job.task_id = result.id
    db.session.commit()
    return job


def _staff_of(job: Job) -> Staff:
    staff = db.session.get(Staff, job.staff_id) if job.staff_id else None
    if staff is None:
        raise LookupError("the person this job was for no longer exists")
    return staff


def run_capture(job_id: int, source: str, task_id: str | None = None, observe: Observer = _ignore) -> Job:
    """Capture enrolment shots of the job's person from camera source into their raw folder."""
    config = current_app.config

    def work(job: Job) -> str:
        staff = _staff_of(job)
        total = config["CAPTURE_SHOTS"]
        report = _reporter(job, observe)

        def on_shot(jpeg: bytes, count: int) -> None:
            add_photo(staff, jpeg)
            report(count, total, f"{count} of {total} shots")

        result = capture_photos(
            source, recognizer_from_config(config), total, config["CAPTURE_EVERY_N_FRAMES"], on_shot
        )
        if result.camera_failed:
            raise CameraError(f"{result.stop_reason}; the {result.shots} shots taken were kept")
        return f"{result.stop_reason} ({result.frames_read} frames read)"

    return run_job(job_id, work, (CameraError, LookupError), task_id)


def run_preprocess(job_id: int, redo: bool = False, task_id: str | None = None, observe: Observer = _ignore) -> Job:
    """Detect, align, crop and embed the job's person's new raw photos (everyone's when the job has no person)."""
    config = current_app.config

    def work(job: Job) -> str:
        people = [_staff_of(job)] if job.staff_id else list(db.session.scalars(db.select(Staff)))
        recognizer = recognizer_from_config(config)
        report = _reporter(job, observe)
        accepted = rejected = 0
        for staff in people:
            def progress(done: int, total: int, who: str = staff.staff_id) -> None:
                report(done, total, f"{who}: {done} of {total} photos")

            ok, bad = preprocess_staff(staff, recognizer, progress, redo)
            accepted, rejected = accepted + ok, rejected + bad
        return f"{accepted} photos accepted, {rejected} rejected"

    return run_job(job_id, work, (LookupError,), task_id)


def run_train(
    job_id: int, full: bool = False, forget: bool = False, task_id: str | None = None, observe: Observer = _ignore
) -> Job:
    """Train and publish a new model version (one training at a time; later requests wait their turn).

    forget: someone was deleted, so every older model version (which may still describe them) is deleted from the
    store too, all of them when nobody is left to train on.
    """
    config = current_app.config

    def work(job: Job) -> str:
        report = _reporter(job, observe)
        report(0, 1, "waiting for any other training to finish")
        with training_lock(config["REDIS_URL"]):
            try:
                version = train_model(
                    recognizer_from_config(config),
                    cohort_from_config(config),
                    full,
                    lambda done, total: report(done, total, f"embedding {done} of {total}"),
                    keep_versions=1 if forget else KEEP_VERSIONS,
                    site_cohort_limits=(config["SITE_COHORT_MAX"], config["SITE_COHORT_DAYS"]),
                    job_id=job.id,
                )
            except TrainingError:
                if not forget:
                    raise
                gone = delete_old_versions(0)
                return f"nobody is left to train on: all {len(gone)} model versions deleted"
        thresholds = version.metrics["thresholds"]
        return (
            f"model version {version.version}: {version.people_count} people, {version.image_count} photos; "
            f"stranger thresholds from {thresholds['cohort_faces']} cohort faces and "
            f"{thresholds['site_faces']} strangers seen at the gates"
        )

    return run_job(job_id, work, (TrainingError,), task_id)


def forget_staff(staff: Staff) -> None:
    """Delete a person with their account (a visitor has none), photos, embeddings, avatar, log rows and decision faces
    from the shared database, and have the event file writer scrub their lines (then retrain with forget, which
    deletes every model version that still describes them)."""
    folder, staff_id = staff.folder, staff.staff_id
    delete_photos_of(staff.id)
    remove_avatar(staff)
    db.session.delete(staff.user if staff.user is not None else staff)
    db.session.commit()
    remove_person(Path(current_app.config["DATA_DIR"]), folder)
    forget_in_event_files(get_redis(current_app.config["REDIS_URL"]), [staff_id])

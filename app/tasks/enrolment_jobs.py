"""Enrolment tasks: thin wrappers that run the enrolment jobs on a worker."""

from __future__ import annotations

from celery import shared_task

from app.enrolment.service import run_capture, run_preprocess, run_train


@shared_task(name="facegate.capture", bind=True, ignore_result=True)
def capture(self, job_id: int, source: str) -> None:
    """Capture enrolment shots from a camera (queue `capture`, on the host that has the camera)."""
    run_capture(job_id, source, self.request.id)


@shared_task(name="facegate.preprocess", bind=True, ignore_result=True)
def preprocess(self, job_id: int, redo: bool = False) -> None:
    """Detect, align, crop and embed new raw photos."""
    run_preprocess(job_id, redo, self.request.id)


@shared_task(name="facegate.train", bind=True, ignore_result=True)
def train(self, job_id: int, full: bool = False, forget: bool = False) -> None:
    """Train and publish a new model version (forget: also remove older model files)."""
    run_train(job_id, full, forget, self.request.id)

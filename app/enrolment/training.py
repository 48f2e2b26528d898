"""Training for the enrolment service: the enrolled people's cached embeddings (recomputed where stale) through the
core's one training function (app/recognition/training.py), published as a new model version with its ModelVersion
row; one training at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import redis
from sqlalchemy import select

from app.enrolment.model_store import delete_old_versions, publish_model
from app.enrolment.preprocess import embed_face_image
from app.enrolment.site_faces import hard_negatives, site_cohort
from app.extensions import db
from app.models import FaceImage, ModelVersion, Staff
from app.recognition.cohort import Cohort
from app.recognition.pipeline import Recognizer
from app.recognition.training import classifier_bytes, train_from_vectors
from app.redis_client import get_redis

TRAIN_LOCK = "facegate:train-lock"
KEEP_VERSIONS = 3


class TrainingError(RuntimeError):
    """Training cannot run (e.g. nobody has usable photos); str(error) says why."""


def _usable_images() -> list[tuple[FaceImage, str]]:
    rows = db.session.execute(
        select(FaceImage, Staff.staff_id)
        .join(Staff, FaceImage.staff_id == Staff.id)
        .where(FaceImage.processed_at.is_not(None), FaceImage.rejection_reason.is_(None))
        .order_by(FaceImage.id)
    )
    return [(image, staff_id) for image, staff_id in rows]


def train_model(
    recognizer: Recognizer,
    cohort: Cohort,
    full: bool = False,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    keep_versions: int = KEEP_VERSIONS,
    site_cohort_limits: tuple[int, int] = (2000, 90),
    job_id: int | None = None,
) -> ModelVersion:
    """Embed what has no valid cached embedding (everything if full), train, and publish a new version in the shared
    model store (recording job_id, the training job); older versions beyond keep_versions are deleted.

    cohort: the background cohort (cohort file); the strangers the gates saw (at most site_cohort_limits[0] of the
    last site_cohort_limits[1] days) join it, and the grants an admin marked wrong become hard negatives.
    """
    started = time.perf_counter()
    images = _usable_images()
    stale = [img for img, _ in images if full or img.embedding is None or img.embedder != recognizer.embedding_name]
    for done, image in enumerate(stale, start=1):
        embed_face_image(image, recognizer)
        db.session.commit()
        on_progress(done, len(stale) + 1)
    usable = [(img, sid) for img, sid in _usable_images() if img.rejection_reason is None and img.embedding]
    labels = np.array([sid for _, sid in usable])
    if len(labels) == 0:
        raise TrainingError("training needs usable photos of at least one person; nobody has any yet")
    fit_started = time.perf_counter()
    embedder = recognizer.embedding_name
    seen = site_cohort(embedder, *site_cohort_limits)
    full_cohort = cohort if seen is None else cohort.join(seen)
    vectors = np.stack([img.embedding_vector() for img, _ in usable])
    model = train_from_vectors(vectors, labels, full_cohort, hard_negatives(embedder))
    fit_seconds = time.perf_counter() - fit_started
    kind = "full" if full else "incremental"
    metrics = {
        "embedded_images": len(stale),
        "fit_seconds": round(fit_seconds, 3),
        "train_seconds": round(time.perf_counter() - started, 3),
        "thresholds": asdict(model.thresholds),
    }
    row = publish_model(
        classifier_bytes(model, {"kind": kind, "embedder": recognizer.embedding_name}),
        kind=kind,
        embedder=recognizer.embedding_name,
        people_count=len(set(labels)),
        image_count=len(usable),
        metrics=metrics,
        job_id=job_id,
    )
    delete_old_versions(keep_versions)
    on_progress(1, 1)
    return row


def training_lock(redis_url: str, timeout_s: int = 3600) -> redis.lock.Lock:
    """The lock that lets one training run at a time across all workers (later requests wait their turn)."""
    return get_redis(redis_url).lock(TRAIN_LOCK, timeout=timeout_s, blocking=True)

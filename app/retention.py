"""Retention for privacy: delete in/out log rows, enrolment photos and decision faces older than the set days, and
forget visitors' photos and embeddings some days after their pass ended (the event files are the event file
writer's: app/gates/event_file.py).

Each kind has its own setting (FACEGATE_LOG_RETENTION_DAYS, FACEGATE_RAW_PHOTO_RETENTION_DAYS,
FACEGATE_SNAPSHOT_DAYS, FACEGATE_SITE_COHORT_DAYS, FACEGATE_VISITOR_FORGET_DAYS); 0 keeps the first two kinds
forever. docs/operations.md states the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from app.access.visitors import forget_expired_visitors
from app.enrolment.site_faces import purge_decision_faces
from app.extensions import db
from app.models import FaceImage, Log, ModelVersion, PhotoBlob

# Rows deleted per statement, so a first purge of millions of rows never holds one huge transaction.
DELETE_BATCH = 5000


@dataclass
class RetentionReport:
    """What one retention run deleted."""

    log_rows: int = 0
    raw_photos: int = 0
    decision_crops: int = 0
    decision_faces: int = 0
    visitors_forgotten: int = 0

    def as_dict(self) -> dict:
        """The counts as a plain dict."""
        return asdict(self)


def cutoff(days: int, now: datetime | None = None) -> datetime | None:
    """The moment before which things are purged, or None when days is 0 (keep forever)."""
    if days < 0:
        raise ValueError(f"retention days must be 0 (keep forever) or more, got {days}")
    return None if days == 0 else (now or datetime.now(UTC)) - timedelta(days=days)


def purge_log_rows(before: datetime) -> int:
    """Delete the in/out log rows timestamped before `before`, in batches; how many went."""
    total = 0
    while True:
        ids = db.session.scalars(select(Log.id).where(Log.timestamp < before).limit(DELETE_BATCH)).all()
        if not ids:
            return total
        db.session.execute(delete(Log).where(Log.id.in_(ids)))
        db.session.commit()
        total += len(ids)


def purge_raw_photos(before: datetime) -> int:
    """Delete the JPEGs of photos added before `before` that were preprocessed before the newest model was published.

    The photo's row and its cached embedding stay, so incremental training goes on as before.
    """
    newest_model = db.session.scalar(select(func.max(ModelVersion.created_at)))
    if newest_model is None:
        return 0
    old = select(FaceImage.id).where(
        FaceImage.created_at < before,
        FaceImage.processed_at.is_not(None),
        FaceImage.processed_at <= newest_model,
    )
    total = 0
    while True:
        ids = db.session.scalars(select(PhotoBlob.face_image_id).where(PhotoBlob.face_image_id.in_(old))
                                 .limit(DELETE_BATCH)).all()  # fmt: skip
        if not ids:
            return total
        db.session.execute(delete(PhotoBlob).where(PhotoBlob.face_image_id.in_(ids)))
        db.session.commit()
        total += len(ids)


def run_retention(config: Mapping, now: datetime | None = None) -> RetentionReport:
    """Apply every retention setting in config once; what was deleted."""
    report = RetentionReport()
    if (before := cutoff(config["LOG_RETENTION_DAYS"], now)) is not None:
        report.log_rows = purge_log_rows(before)
    if (before := cutoff(config["RAW_PHOTO_RETENTION_DAYS"], now)) is not None:
        report.raw_photos = purge_raw_photos(before)
    faces = purge_decision_faces(now or datetime.now(UTC), config["SNAPSHOT_DAYS"], config["SITE_COHORT_DAYS"])
    report.decision_crops, report.decision_faces = faces["decision_crops"], faces["decision_faces"]
    report.visitors_forgotten = forget_expired_visitors(
        Path(config["DATA_DIR"]), now or datetime.now(UTC), config["VISITOR_FORGET_DAYS"]
    )
    return report

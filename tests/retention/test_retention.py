"""Retention on the real MariaDB: old log rows, old event files and trained raw photos go; everything else stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import app.retention as retention_module
from app.accounts import create_gate, create_staff
from app.extensions import db as _db
from app.models import FaceImage, Log, ModelVersion, PhotoBlob
from app.retention import cutoff, run_retention
from app.tasks.retention import retention
from celery_config import celery_settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def settings(app, logs: int = 0, photos: int = 0) -> dict:
    return {**app.config, "LOG_RETENTION_DAYS": logs, "RAW_PHOTO_RETENTION_DAYS": photos}


def test_log_rows_older_than_the_retention_go_in_batches_and_zero_keeps_all(app, db, monkeypatch) -> None:
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("A001", "Alice", "Archer", gate_names=["Front"])
    ages = [400, 91, 90.5, 89, 1]
    for days in ages:
        db.session.add(Log(staff_id=staff.id, gate_id=gate.id, timestamp=NOW - timedelta(days=days), status="in"))
    db.session.commit()
    assert run_retention(settings(app, logs=0), NOW).log_rows == 0
    monkeypatch.setattr(retention_module, "DELETE_BATCH", 2)
    assert run_retention(settings(app, logs=90), NOW).log_rows == 3
    left = sorted((NOW - row.timestamp).days for row in db.session.scalars(select(Log)))
    assert left == [1, 89]


def _photo(staff, name: str, added: int, processed: int | None, rejected: bool = False, stored: bool = True) -> None:
    image = FaceImage(
        staff_id=staff.id,
        raw_path=f"raw/{staff.folder}/{name}",
        rejection_reason="no face" if rejected else None,
        created_at=NOW - timedelta(days=added),
        processed_at=None if processed is None else NOW - timedelta(days=processed),
    )
    _db.session.add(image)
    _db.session.flush()
    if stored:
        _db.session.add(PhotoBlob(face_image_id=image.id, jpeg=b"jpeg " + name.encode()))


def _stored_names() -> list[str]:
    query = select(FaceImage.raw_path).join(PhotoBlob, PhotoBlob.face_image_id == FaceImage.id)
    return sorted(path.rsplit("/", 1)[1] for path in _db.session.scalars(query))


def test_raw_photos_go_only_once_preprocessed_into_a_published_model(app, db) -> None:
    staff, _ = create_staff("A001", "Alice", "Archer")
    model_at = NOW - timedelta(days=20)
    db.session.add(ModelVersion(version=1, kind="full", embedder="facenet", checksum="0" * 64, size=1,
                                created_at=model_at))  # fmt: skip
    _photo(staff, "trained.jpg", 40, 35)
    _photo(staff, "rejected.jpg", 40, 35, rejected=True)
    _photo(staff, "after-model.jpg", 40, 10)
    _photo(staff, "never-processed.jpg", 40, None)
    _photo(staff, "recent.jpg", 5, 25)
    _photo(staff, "already-gone.jpg", 40, 35, stored=False)
    db.session.commit()
    assert run_retention(settings(app, photos=30), NOW).raw_photos == 2
    assert _stored_names() == ["after-model.jpg", "never-processed.jpg", "recent.jpg"]
    # The rows (embeddings) stay for training.
    assert db.session.query(FaceImage).count() == 6


def test_no_model_yet_means_no_raw_photo_is_purged(app, db) -> None:
    staff, _ = create_staff("A001", "Alice", "Archer")
    _photo(staff, "a.jpg", 400, 0)
    db.session.commit()
    assert run_retention(settings(app, photos=1), NOW).raw_photos == 0
    assert _stored_names() == ["a.jpg"]


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="keep forever"):
        cutoff(-1)


def test_the_task_runs_with_the_app_settings_and_beat_schedules_it_nightly(app, db, monkeypatch) -> None:
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("A001", "Alice", "Archer", gate_names=["Front"])
    db.session.add(
        Log(staff_id=staff.id, gate_id=gate.id, timestamp=datetime.now(UTC) - timedelta(days=3), status="in")
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "LOG_RETENTION_DAYS", 2)
    assert retention.apply().get() == {
        "log_rows": 1, "raw_photos": 0, "decision_crops": 0, "decision_faces": 0,
        "visitors_forgotten": 0,
    }  # fmt: skip
    schedule = celery_settings("redis://x")["beat_schedule"]["retention"]
    assert schedule["task"] == retention.name
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({3}, {17})
    assert celery_settings("redis://x")["task_routes"][retention.name] == {"queue": "preprocess"}

"""Moving an older site's files into the shared database, once: raw photos (DATA_DIR/raw), model versions
(MODEL_DIR/model-NNNNNN.npz) and avatars (MEDIA_DIR/avatars); the processed crops (DATA_DIR/processed), which
nothing reads any more, are deleted. `flask storage move-to-db` runs it, with a dry run that only counts."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from app.enrolment.dataset import PROCESSED, DatasetPathError, resolve_stored
from app.extensions import db
from app.models import AvatarBlob, FaceImage, ModelChunk, ModelVersion, PhotoBlob, Staff
from app.models.stored import MODEL_CHUNK_BYTES
from app.recognition.store import model_checksum

LEGACY_POINTER = "LATEST"


@dataclass
class MoveReport:
    """What was (or, in a dry run, would be) moved, and what was missing."""

    photos: int = 0
    photos_missing: int = 0
    models: int = 0
    models_missing: int = 0
    avatars: int = 0
    avatars_missing: int = 0
    crop_files_deleted: int = 0

    def as_dict(self) -> dict:
        """The counts as a plain dict."""
        return asdict(self)


def _legacy_model_file(model_dir: Path, version: int) -> Path:
    return model_dir / f"model-{version:06d}.npz"


def _move_photos(data_root: Path, dry_run: bool, report: MoveReport) -> None:
    stored = select(PhotoBlob.face_image_id)
    for image in db.session.scalars(select(FaceImage).where(FaceImage.id.not_in(stored)).order_by(FaceImage.id)):
        try:
            path = resolve_stored(data_root, image.raw_path)
        except DatasetPathError:
            path = None
        if path is None or not path.is_file():
            report.photos_missing += 1
            continue
        report.photos += 1
        if not dry_run:
            db.session.add(PhotoBlob(face_image_id=image.id, jpeg=path.read_bytes()))
            db.session.commit()  # one photo at a time: nothing is held in memory, a killed run keeps what it moved
            path.unlink()


def _move_models(model_dir: Path, dry_run: bool, report: MoveReport) -> None:
    for row in db.session.scalars(select(ModelVersion).where(ModelVersion.size == 0).order_by(ModelVersion.version)):
        path = _legacy_model_file(model_dir, row.version)
        if not path.is_file():
            report.models_missing += 1
            continue
        report.models += 1
        if dry_run:
            continue
        data = path.read_bytes()
        for seq, start in enumerate(range(0, len(data), MODEL_CHUNK_BYTES)):
            db.session.add(ModelChunk(model_version_id=row.id, seq=seq, data=data[start : start + MODEL_CHUNK_BYTES]))
        row.checksum, row.size = model_checksum(data), len(data)
        db.session.commit()
        path.unlink()
    if not dry_run:
        (model_dir / LEGACY_POINTER).unlink(missing_ok=True)


def _move_avatars(media_dir: Path, dry_run: bool, report: MoveReport) -> None:
    moved = select(AvatarBlob.staff_id)
    for staff in db.session.scalars(select(Staff).where(Staff.avatar_path.is_not(None), Staff.id.not_in(moved))):
        try:
            path = resolve_stored(media_dir, staff.avatar_path)
        except DatasetPathError:
            path = None
        if path is None or not path.is_file():
            report.avatars_missing += 1
            continue
        report.avatars += 1
        if not dry_run:
            db.session.add(AvatarBlob(staff_id=staff.id, jpeg=path.read_bytes()))
            db.session.commit()
            path.unlink()


def _delete_crops(data_root: Path, dry_run: bool, report: MoveReport) -> None:
    crops = data_root / PROCESSED
    if crops.is_dir():
        report.crop_files_deleted = sum(1 for path in crops.rglob("*") if path.is_file())
        if not dry_run:
            shutil.rmtree(crops)


def move_files_to_database(data_root: Path, model_dir: Path, media_dir: Path, dry_run: bool = False) -> MoveReport:
    """Move this host's photo, model and avatar files into the database (each file deleted once its row is
    committed) and delete the crops; with dry_run, only count. A file whose row is gone or already moved stays."""
    report = MoveReport()
    _move_photos(data_root, dry_run, report)
    _move_models(model_dir, dry_run, report)
    _move_avatars(media_dir, dry_run, report)
    _delete_crops(data_root, dry_run, report)
    return report

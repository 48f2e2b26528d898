"""Moving an older site's files into the shared database, once: raw photos (DATA_DIR/raw), model versions
(MODEL_DIR/model-NNNNNN.npz) and avatars (MEDIA_DIR/avatars); the processed crops (DATA_DIR/processed), which
nothing reads any more, are deleted. `flask storage move-to-db` runs it, with a dry run that only counts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from app.enrolment.dataset import PROCESSED, DatasetPathError, resolve_stored
from app.enrolment.model_store import store_model_bytes
from app.extensions import db
from app.models import AvatarBlob, FaceImage, ModelVersion, PhotoBlob, Staff

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


def _local_file(root: Path, relative: str) -> Path | None:
    """The file a row names under root on this host, or None when it is not here (or would leave root)."""
    try:
        path = resolve_stored(root, relative)
    except DatasetPathError:
        return None
    return path if path.is_file() else None


def _move(path: Path, store: Callable[[bytes], None]) -> None:
    """store the file's bytes, commit, then delete the file (one file in memory and per transaction)."""
    store(path.read_bytes())
    db.session.commit()
    path.unlink()


def _move_photos(data_root: Path, dry_run: bool, report: MoveReport) -> None:
    stored = select(PhotoBlob.face_image_id)
    for image in db.session.scalars(select(FaceImage).where(FaceImage.id.not_in(stored)).order_by(FaceImage.id)):
        if (path := _local_file(data_root, image.raw_path)) is None:
            report.photos_missing += 1
            continue
        report.photos += 1
        if not dry_run:
            _move(path, lambda data, pk=image.id: db.session.add(PhotoBlob(face_image_id=pk, jpeg=data)))


def _move_models(model_dir: Path, dry_run: bool, report: MoveReport) -> None:
    for row in db.session.scalars(select(ModelVersion).where(ModelVersion.size == 0).order_by(ModelVersion.version)):
        if (path := _local_file(model_dir, f"model-{row.version:06d}.npz")) is None:
            report.models_missing += 1
            continue
        report.models += 1
        if not dry_run:
            _move(path, lambda data, version=row: store_model_bytes(version, data))
    if not dry_run:
        (model_dir / LEGACY_POINTER).unlink(missing_ok=True)


def _move_avatars(media_dir: Path, dry_run: bool, report: MoveReport) -> None:
    moved = select(AvatarBlob.staff_id)
    for staff in db.session.scalars(select(Staff).where(Staff.avatar_path.is_not(None), Staff.id.not_in(moved))):
        if (path := _local_file(media_dir, staff.avatar_path)) is None:
            report.avatars_missing += 1
            continue
        report.avatars += 1
        if not dry_run:
            _move(path, lambda data, pk=staff.id: db.session.add(AvatarBlob(staff_id=pk, jpeg=data)))


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

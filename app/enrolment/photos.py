"""Bringing a person's photos into the image store and recording them as FaceImage rows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import current_app

from app.enrolment.dataset import RAW, person_dir, relative_to_root
from app.enrolment.uploads import UploadResult, save_uploaded_photos
from app.extensions import db
from app.models import FaceImage, Staff

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".zip"}


def data_root() -> Path:
    """The configured image-store root."""
    return Path(current_app.config["DATA_DIR"])


def raw_dir(staff: Staff) -> Path:
    """The person's raw-photo folder."""
    return person_dir(data_root(), RAW, staff.folder)


def record_raw_photos(staff: Staff, paths: Iterable[Path]) -> list[FaceImage]:
    """Add a FaceImage row (committed) for each raw photo file of staff."""
    root = data_root()
    images = [FaceImage(staff_id=staff.id, raw_path=relative_to_root(root, path)) for path in paths]
    db.session.add_all(images)
    db.session.commit()
    return images


def add_uploaded_photos(staff: Staff, files: Iterable[tuple[str, bytes]]) -> UploadResult:
    """Check, re-encode and store uploaded (name, bytes) photos or zips as staff's raw photos."""
    result = save_uploaded_photos(files, raw_dir(staff))
    record_raw_photos(staff, result.saved)
    return result


def import_photo_folder(staff: Staff, folder: Path) -> UploadResult:
    """Copy every photo (or zip of photos) in folder, in name order, into staff's raw photos."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    return add_uploaded_photos(staff, ((p.name, p.read_bytes()) for p in files))

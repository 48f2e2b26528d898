"""The enrolment photo store: each photo a FaceImage row and its JPEG a PhotoBlob row, in the shared database.

Every host reads and writes the same photos; a name is chosen at random and the (person, name) pair is unique in
the database, so a capture and an upload adding photos of one person at once can never pick the same photo.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.enrolment.dataset import RAW, resolve_stored, write_atomically
from app.enrolment.uploads import UploadResult, reencode_uploads
from app.extensions import db
from app.models import FaceImage, PhotoBlob, Staff

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".zip"}
NAME_ATTEMPTS = 5


class PhotoMissingError(LookupError):
    """A FaceImage whose JPEG is not in the store (e.g. purged by retention)."""


def _new_name(staff: Staff) -> str:
    return f"{RAW}/{staff.folder}/{secrets.token_hex(8)}.jpg"


def add_photo(staff: Staff, jpeg: bytes) -> FaceImage:
    """Store one JPEG as a new photo of staff (committed), under a name no other writer can take."""
    for _ in range(NAME_ATTEMPTS):
        image = FaceImage(staff_id=staff.id, raw_path=_new_name(staff))
        db.session.add(image)
        try:
            db.session.flush()
            db.session.add(PhotoBlob(face_image_id=image.id, jpeg=jpeg))
            db.session.commit()
            return image
        except IntegrityError:  # the name was taken meanwhile (64 random bits: never in practice): draw again
            db.session.rollback()
    raise RuntimeError(f"no free photo name for {staff.staff_id} after {NAME_ATTEMPTS} attempts")


def photo_jpeg(image: FaceImage) -> bytes:
    """The JPEG of a photo; PhotoMissingError when its bytes are no longer stored."""
    jpeg = db.session.scalar(select(PhotoBlob.jpeg).where(PhotoBlob.face_image_id == image.id))
    if jpeg is None:
        raise PhotoMissingError(f"the photo {image.raw_path} is no longer stored")
    return jpeg


def delete_photos_of(staff_pk: int) -> None:
    """Delete every photo of the person with primary key staff_pk, bytes first (not committed)."""
    images = select(FaceImage.id).where(FaceImage.staff_id == staff_pk)
    db.session.execute(delete(PhotoBlob).where(PhotoBlob.face_image_id.in_(images)))
    db.session.execute(delete(FaceImage).where(FaceImage.staff_id == staff_pk))


def add_uploaded_photos(staff: Staff, files: Iterable[tuple[str, bytes]]) -> UploadResult:
    """Check, re-encode and store uploaded (name, bytes) photos or zips as staff's photos."""
    result = UploadResult(saved=[], errors=[])
    for jpeg in reencode_uploads(files, result.errors):
        result.saved.append(add_photo(staff, jpeg).raw_path)
    return result


def import_photo_folder(staff: Staff, folder: Path) -> UploadResult:
    """Copy every photo (or zip of photos) in folder, in name order, into staff's photos."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    return add_uploaded_photos(staff, ((p.name, p.read_bytes()) for p in files))


def export_photos(root: Path) -> int:
    """Write every stored photo to root as raw/<folder>/<name>.jpg (one photo in memory at a time); how many."""
    query = select(FaceImage.raw_path, PhotoBlob.jpeg).join(PhotoBlob, PhotoBlob.face_image_id == FaceImage.id)
    count = 0
    for raw_path, jpeg in db.session.execute(query.order_by(FaceImage.id).execution_options(yield_per=1)):
        write_atomically(resolve_stored(root, raw_path), jpeg)
        count += 1
    return count


def import_dataset(root: Path) -> tuple[dict[str, UploadResult], list[str]]:
    """Import an export's raw/<folder>/ photos, each folder to the person whose folder it is; the result per staff
    ID, and the folders that belong to nobody."""
    results, unknown = {}, []
    for folder in sorted(p for p in (root / RAW).iterdir() if p.is_dir()) if (root / RAW).is_dir() else []:
        staff = db.session.scalar(select(Staff).where(Staff.folder == folder.name))
        if staff is None:
            unknown.append(folder.name)
        else:
            results[staff.staff_id] = import_photo_folder(staff, folder)
    return results, unknown

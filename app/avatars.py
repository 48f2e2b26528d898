"""Avatar uploads: check that the bytes are a real raster image, re-encode them, store them in the shared database
(an AvatarBlob row) under a new random name each time (the name is the picture's cache-busting version)."""

from __future__ import annotations

import io
import secrets

from sqlalchemy import delete, select

from app.extensions import db
from app.models import AvatarBlob, Staff
from app.recognition.images import MAX_PIXELS, ImageError, open_image

# Formats Pillow must recognise from the bytes themselves (the file name and the browser's claim are ignored).
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Stored avatars are at most this many pixels on a side.
AVATAR_SIDE = 512
AVATAR_FOLDER = "avatars"


class AvatarError(ValueError):
    """An upload that is not an acceptable avatar, with a message for people."""


def check_file_name(name: str) -> None:
    """Raise AvatarError for an upload name with a path in it (browsers send a bare name; the name is never used)."""
    if "/" in name or "\\" in name or ".." in name or "\x00" in name:
        raise AvatarError("The file name must not contain a path.")


def reencode_avatar(data: bytes, max_bytes: int) -> bytes:
    """Return data re-encoded as a JPEG at most AVATAR_SIDE pixels on a side; raise AvatarError if unacceptable."""
    if not data:
        raise AvatarError("The file is empty.")
    if len(data) > max_bytes:
        raise AvatarError(f"The file is too large: at most {max_bytes // 1024} KB.")
    try:
        picture = open_image(data, MAX_PIXELS, formats=ACCEPTED_FORMATS).convert("RGB")
    except ImageError as exc:
        raise AvatarError(f"The picture cannot be used: {exc}.") from None
    picture.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88)
    return out.getvalue()


def store_avatar(staff: Staff, jpeg: bytes) -> None:
    """Make jpeg staff's avatar, replacing any earlier one (not committed)."""
    remove_avatar(staff)
    db.session.add(AvatarBlob(staff_id=staff.id, jpeg=jpeg))
    staff.avatar_path = f"{AVATAR_FOLDER}/{secrets.token_hex(16)}.jpg"


def avatar_jpeg(staff: Staff) -> bytes | None:
    """staff's avatar, or None."""
    return db.session.scalar(select(AvatarBlob.jpeg).where(AvatarBlob.staff_id == staff.id))


def remove_avatar(staff: Staff) -> None:
    """Delete staff's avatar, if any (not committed)."""
    db.session.execute(delete(AvatarBlob).where(AvatarBlob.staff_id == staff.id))
    staff.avatar_path = None

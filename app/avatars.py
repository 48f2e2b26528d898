"""Avatar uploads: check that the bytes are a real raster image, re-encode them, store them under a random name."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

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


def store_avatar(media_dir: Path, jpeg: bytes) -> str:
    """Write jpeg under media_dir with a random name; return its path relative to media_dir."""
    folder = media_dir / AVATAR_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{AVATAR_FOLDER}/{secrets.token_hex(16)}.jpg"
    (media_dir / relative).write_bytes(jpeg)
    return relative


def remove_avatar(media_dir: Path, relative: str | None) -> None:
    """Delete a stored avatar file if it exists (only files inside media_dir/avatars are ever touched)."""
    if not relative:
        return
    path = (media_dir / relative).resolve()
    if path.parent == (media_dir / AVATAR_FOLDER).resolve():
        path.unlink(missing_ok=True)

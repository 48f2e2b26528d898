"""Avatar uploads: check that the bytes are a real raster image, re-encode them, store them under a random name."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Formats Pillow must recognise from the bytes themselves (the file name and the browser's claim are ignored).
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP"}
# Refuse decompression bombs before decoding: a 5 MB PNG can claim gigapixels.
MAX_PIXELS = 40_000_000
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
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise AvatarError("Only JPEG, PNG, GIF or WebP images are accepted.")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise AvatarError("The image has too many pixels.")
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except AvatarError:
        raise
    except UnidentifiedImageError as exc:
        raise AvatarError("The file is not a JPEG, PNG, GIF or WebP image.") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AvatarError("The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise AvatarError("The image is damaged and cannot be read.") from exc
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

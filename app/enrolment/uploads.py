"""Accepting uploaded photos (single files or one zip): checked by content, bounded, re-encoded."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from app.recognition.images import ImageError, decode_image

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_ZIP_TOTAL_BYTES = 300 * 1024 * 1024
MAX_ZIP_RATIO = 100  # a member that expands more than this is treated as a zip bomb
MAX_PIXELS = 40_000_000


@dataclass
class UploadResult:
    """What happened to each uploaded file: the names of the photos stored, and per-file errors."""

    saved: list[str]
    errors: list[tuple[str, str]]


def _zip_members(name: str, data: bytes) -> Iterator[tuple[str, bytes | ImageError]]:
    """The image-sized members of a zip archive, refusing archives that would expand without bound."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImageError(f"not a readable zip archive: {exc}") from None
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImageError(f"zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are accepted")
    if sum(info.file_size for info in members) > MAX_ZIP_TOTAL_BYTES:
        raise ImageError("zip expands to more than the accepted total size")
    for info in members:
        if info.file_size > MAX_FILE_BYTES or info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            yield f"{name}:{info.filename}", ImageError("member too large or suspiciously compressed (zip bomb?)")
            continue
        with archive.open(info) as handle:
            # Read one byte past the limit so a lying header cannot make us read more.
            yield f"{name}:{info.filename}", handle.read(MAX_FILE_BYTES + 1)


def _expand(files: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes | ImageError]]:
    for name, data in files:
        if data[:4] == b"PK\x03\x04":
            try:
                yield from _zip_members(name, data)
            except ImageError as exc:
                yield name, exc
        else:
            yield name, data


def reencode_uploads(files: Iterable[tuple[str, bytes]], errors: list[tuple[str, str]]) -> Iterator[bytes]:
    """Decode each (name, bytes) upload (a zip's members one by one) and yield it re-encoded as a JPEG; append
    (name, reason) to errors for each one refused."""
    for name, data in _expand(files):
        if isinstance(data, ImageError):
            errors.append((name, str(data)))
            continue
        if len(data) > MAX_FILE_BYTES:
            errors.append((name, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
            continue
        try:
            rgb = decode_image(data, MAX_PIXELS)
        except ImageError as exc:
            errors.append((name, str(exc)))
            continue
        # The original bytes are never stored: the name is ours and the content re-encoded.
        ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            errors.append((name, "could not re-encode the image"))
            continue
        yield np.asarray(encoded).tobytes()

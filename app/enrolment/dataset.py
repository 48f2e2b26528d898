"""The dataset folder layout (`flask faces export` and `flask faces import --dataset`, and the files a site made
before photos moved into the database): raw/<folder>/<name>.jpg under a root folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

RAW = "raw"
PROCESSED = "processed"


class DatasetPathError(ValueError):
    """A path that would leave the data root or a person's folder."""


def person_dir(data_root: Path, kind: str, folder: str) -> Path:
    """The folder of one person's raw or processed images, refusing names that could leave the data root."""
    if kind not in (RAW, PROCESSED):
        raise ValueError(f"unknown image kind {kind!r}")
    if not folder or folder in (".", "..") or "/" in folder or "\\" in folder or "\x00" in folder:
        raise DatasetPathError(f"unsafe folder name {folder!r}")
    return data_root / kind / folder


def resolve_stored(data_root: Path, stored: str) -> Path:
    """The absolute path of a stored relative path, refusing anything outside the data root."""
    root = data_root.resolve()
    path = (root / stored).resolve()
    if root not in path.parents:
        raise DatasetPathError(f"stored path {stored!r} leaves the data root")
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path so that readers see either nothing or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_person(data_root: Path, folder: str) -> None:
    """Delete every raw and processed image file of one person under data_root (left by an older version)."""
    for kind in (RAW, PROCESSED):
        shutil.rmtree(person_dir(data_root, kind, folder), ignore_errors=True)

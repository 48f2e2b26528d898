"""Versioned model files on disk, written atomically, and a loader that picks up newer versions by itself."""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

POINTER = "LATEST"
_MODEL_FILE = re.compile(r"^model-(\d{6})\.npz$")


def model_filename(version: int) -> str:
    """The file name of model version `version` inside the store folder."""
    return f"model-{version:06d}.npz"


def _atomic_write(target: Path, write: Callable[[str], None], suffix: str) -> None:
    """Write through write(tmp_path) into a temp file beside target, fsync it, then os.replace it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def list_versions(model_dir: Path) -> list[int]:
    """Every complete model version in the store, oldest first."""
    if not Path(model_dir).is_dir():
        return []
    found = (_MODEL_FILE.match(name) for name in os.listdir(model_dir))
    return sorted(int(match.group(1)) for match in found if match)


def latest_version(model_dir: Path) -> int | None:
    """The version the LATEST pointer names, or None when no model has been published."""
    try:
        return int((Path(model_dir) / POINTER).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def save_model(model_dir: Path, arrays: dict[str, np.ndarray], meta: dict, version: int | None = None) -> int:
    """Write arrays + JSON meta as the next version (or `version`), then point LATEST at it; returns the version."""
    model_dir = Path(model_dir)
    if version is None:
        version = max(list_versions(model_dir), default=0) + 1
    payload = dict(arrays, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

    def write_npz(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **payload)

    _atomic_write(model_dir / model_filename(version), write_npz, ".npz")
    _atomic_write(model_dir / POINTER, lambda tmp: Path(tmp).write_text(f"{version}\n"), ".txt")
    return version


def load_model(model_dir: Path, version: int) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and meta of one stored version."""
    with np.load(Path(model_dir) / model_filename(version), allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files if key != "meta"}
        meta = json.loads(data["meta"].tobytes().decode())
    return arrays, meta


class ModelWatcher:
    """Holds the newest published model, re-reading it when the LATEST pointer changes (no restart needed)."""

    def __init__(self, model_dir: Path, build: Callable[[dict[str, np.ndarray], dict], object]) -> None:
        self.model_dir = Path(model_dir)
        self._build = build
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self.version: int | None = None
        self.model: object | None = None

    def _pointer_stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.model_dir / POINTER).stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_ino

    def current(self) -> object | None:
        """The newest model (built with build(arrays, meta)), or None when none has been published yet."""
        stamp = self._pointer_stamp()
        if stamp == self._stamp:
            return self.model
        with self._lock:
            version = latest_version(self.model_dir)
            if version is not None and version != self.version:
                self.model = self._build(*load_model(self.model_dir, version))
                self.version = version
            self._stamp = stamp
        return self.model

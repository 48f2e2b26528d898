"""Model versions as bytes (an .npz of arrays and a JSON meta, with its SHA-256), and a watcher that picks up newer
versions by itself.

Where the bytes live is not the core's business: the enrolment service keeps them in the shared database
(app/enrolment/model_store.py) and hands the watcher two functions, one naming the newest version, one reading it.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Callable

import numpy as np


class ModelChecksumError(ValueError):
    """Stored model bytes that do not match the checksum recorded with them."""


def encode_model(arrays: dict[str, np.ndarray], meta: dict) -> bytes:
    """arrays and the JSON-able meta as the bytes of one .npz file."""
    payload = dict(arrays, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    out = io.BytesIO()
    np.savez(out, **payload)
    return out.getvalue()


def decode_model(data: bytes, checksum: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and meta of one model's bytes; ModelChecksumError when checksum is given and does not match."""
    if checksum is not None and model_checksum(data) != checksum:
        raise ModelChecksumError("the stored model's bytes do not match its checksum")
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files if key != "meta"}
        meta = json.loads(npz["meta"].tobytes().decode())
    return arrays, meta


def model_checksum(data: bytes) -> str:
    """The SHA-256 of a model's bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


class ModelWatcher:
    """Holds the newest published model: at most every check_every_s it asks newest() for the newest version and its
    checksum and, when either changed, builds the model from load(version) (arrays, meta). No restart needed.

    The checksum tells two models apart that a store emptied and filled again has given the same number."""

    def __init__(
        self,
        newest: Callable[[], tuple[int, str] | None],
        load: Callable[[int], tuple[dict[str, np.ndarray], dict]],
        build: Callable[[dict[str, np.ndarray], dict], object],
        check_every_s: float = 1.0,
    ) -> None:
        self._newest, self._load, self._build = newest, load, build
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._newest_seen: tuple[int, str] | None = None
        self.version: int | None = None
        self.model: object | None = None

    def current(self) -> object | None:
        """The newest model, or None when none has been published yet (or every version was deleted)."""
        if time.monotonic() - self._checked_at < self.check_every_s:
            return self.model
        with self._lock:
            newest = self._newest()
            if newest != self._newest_seen:
                self.model = None if newest is None else self._build(*self._load(newest[0]))
                self.version = None if newest is None else newest[0]
                self._newest_seen = newest
            self._checked_at = time.monotonic()
        return self.model

"""Opening a camera source: a device index ("0"), an RTSP/HTTP(S) MJPEG URL, or a video file; a gate's own
camera stream with its secret (app/mjpeg.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from app.mjpeg import HttpMjpegCapture, StreamError


class CameraError(RuntimeError):
    """A camera that cannot be opened or has stopped giving frames; str(error) says which and why."""


@dataclass(frozen=True)
class CameraSource:
    """Where a gate's camera is, and the secret its stream wants (never shown: not in str, repr or logs)."""

    location: str
    secret: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.location


def as_camera_source(source: str | CameraSource) -> CameraSource:
    """source as a CameraSource (a plain string has no secret)."""
    return source if isinstance(source, CameraSource) else CameraSource(source)


def parse_source(source: str) -> int | str:
    """A device index for an all-digit source, else the URL or file path as given."""
    source = source.strip()
    if not source:
        raise CameraError("no camera source configured")
    return int(source) if source.isdigit() else source


def open_camera(
    source: str, open_timeout_s: float = 10.0, read_timeout_s: float = 10.0, secret: str | None = None,
    ca_file: str | None = None,
) -> cv2.VideoCapture | HttpMjpegCapture:  # fmt: skip
    """An opened capture for source, or CameraError saying why it could not be opened.

    An http(s) stream with a secret, or any https stream, is read by HttpMjpegCapture (the secret as a bearer token,
    the server verified against ca_file); everything else by OpenCV.
    """
    target = parse_source(source)
    if isinstance(target, str) and (target.startswith("https://") or (secret and target.startswith("http://"))):
        try:
            return HttpMjpegCapture(target, secret, ca_file, read_timeout_s)
        except StreamError as exc:
            raise CameraError(f"camera source {source!r}: {exc}") from None
    if isinstance(target, str) and "://" not in target and not Path(target).is_file():
        raise CameraError(f"camera source {source!r}: no such video file")
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_s * 1000),
    ]
    capture = cv2.VideoCapture(target, cv2.CAP_ANY, params)
    if not capture.isOpened():
        capture.release()
        raise CameraError(f"camera source {source!r} could not be opened")
    return capture


def read_rgb(capture: cv2.VideoCapture) -> np.ndarray | None:
    """The next frame as RGB, or None when the source has ended or stopped answering."""
    ok, frame = capture.read()
    if not ok or frame is None:
        return None
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

"""Capturing enrolment photos from a camera: every n-th frame that shows exactly one good face."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.cameras import open_camera, parse_source, read_rgb
from app.recognition.pipeline import Recognizer


@dataclass
class CaptureResult:
    """How many shots were kept, how many frames were read, and why capture stopped."""

    shots: int
    frames_read: int
    stop_reason: str
    camera_failed: bool


def frame_problem(recognizer: Recognizer, rgb: np.ndarray) -> str | None:
    """Why a frame is not a usable enrolment shot (no face, several faces, poor quality), or None."""
    results = recognizer.analyse(rgb)
    if not results:
        return "no face"
    if len(results) > 1:
        return "several faces"
    return results[0].rejection


def capture_photos(
    source: str,
    recognizer: Recognizer,
    max_shots: int,
    every_n_frames: int,
    on_shot: Callable[[bytes, int], None],
) -> CaptureResult:
    """Keep up to max_shots good frames from source, at most one every every_n_frames frames.

    on_shot(jpeg, count) stores each kept shot; it may raise to stop the capture (the shots stored stay).
    A source that cannot be opened raises CameraError; one that stops giving frames ends the capture.
    """
    capture = open_camera(source)
    shots = 0
    frames = 0
    next_candidate = 0
    is_file = isinstance(parse_source(source), str) and "://" not in source
    try:
        while shots < max_shots:
            rgb = read_rgb(capture)
            if rgb is None:
                if is_file:
                    return CaptureResult(shots, frames, f"the video ended after {shots} shots", False)
                return CaptureResult(shots, frames, f"the camera stopped giving frames after {shots} shots", True)
            frames += 1
            if frames < next_candidate or frame_problem(recognizer, rgb) is not None:
                continue
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                continue
            shots += 1
            next_candidate = frames + every_n_frames
            on_shot(np.asarray(jpeg).tobytes(), shots)
        return CaptureResult(shots, frames, f"took {shots} shots", False)
    finally:
        capture.release()


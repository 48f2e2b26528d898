"""Pacing: which of a gate's sampled frames are worth a worker's time, by what the workers saw lately and by motion.

- A face still to be identified was seen within the last RECENT_S: every frame goes (a decision needs votes).
- Else a face was seen (all of them decided: someone lingering, or walking away): at most decided_fps frames/s, so
  the decided tracks stay alive and a newcomer beside them is seen within 1 / decided_fps.
- Else nobody is in view: a frame goes when it differs from the last frame sent (someone stepping in), and so does
  every frame for RECENT_S after that (until the workers have seen the newcomer's face, the next frames may differ
  too little from each other to count as motion, yet every one of them is a vote); otherwise at most idle_fps
  frames/s.

Motion is judged on a small grey thumbnail (area-averaged, which smooths away sensor noise and JPEG artefacts): enough
of its pixels must change by more than a few grey levels.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.gates.faces_seen import FacesSeen

# How recent a face the workers saw must be to count as still in view (seconds, capture times).
RECENT_S = 1.0
# The motion thumbnail (width, height): 640x480 averages 8x8 pixels into each.
THUMBNAIL_SIZE = (80, 60)
# A thumbnail pixel changed when its grey level moved by more than this...
PIXEL_CHANGE = 12
# ...and the frame moved when at least this share of the thumbnail's pixels changed (0.5 %: 24 of 4800, about a
# 40x40 pixel patch of a 640x480 frame).
MOVED_SHARE = 0.005


def thumbnail(bgr: np.ndarray) -> np.ndarray:
    """The frame as the small grey image motion is judged on."""
    return cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)


def moved(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether the scene changed between two thumbnails (more than noise and compression do)."""
    changed = np.count_nonzero(cv2.absdiff(before, after) > PIXEL_CHANGE)
    return changed >= MOVED_SHARE * before.size


class Pacer:
    """Decides, frame by frame, whether a gate's sampled frame is sent; remembers the last one sent."""

    def __init__(self, fps: float, decided_fps: float, idle_fps: float) -> None:
        self.active = decided_fps < fps or idle_fps < fps
        self._decided_interval, self._idle_interval = 1.0 / decided_fps, 1.0 / idle_fps
        # Half a sampling interval of slack, so that timer jitter does not skip the frame that is due.
        self._slack = 0.5 / fps
        self._last_sent_at: float | None = None
        self._reference: np.ndarray | None = None
        self._candidate: np.ndarray | None = None
        self._moved_at: float | None = None

    def wants(self, bgr: np.ndarray, captured_at: float, seen: FacesSeen | None) -> bool:
        """Whether the frame captured at captured_at should be sent, given what the workers saw lately (seen; None
        when it could not be read: send)."""
        self._candidate = thumbnail(bgr)
        if seen is None or _recent(seen.undecided_at, captured_at):
            return True
        since = float("inf") if self._last_sent_at is None else captured_at - self._last_sent_at
        if _recent(seen.faces_at, captured_at):
            return since >= self._decided_interval - self._slack
        if _recent(self._moved_at, captured_at) or since >= self._idle_interval - self._slack:
            return True
        if self._reference is None or moved(self._reference, self._candidate):
            self._moved_at = captured_at
            return True
        return False

    def sent(self, captured_at: float) -> None:
        """Note that the frame last passed to wants was sent (motion is judged against it from now on)."""
        self._last_sent_at, self._reference = captured_at, self._candidate


def _recent(seen_at: float | None, captured_at: float) -> bool:
    return seen_at is not None and captured_at - seen_at <= RECENT_S

"""One gate's camera reader: open (with backoff), sample at a fixed rate, pace (camera_ingest/pacing.py), drop when
the gate is full, send."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import redis

from app.cameras import CameraError, CameraSource, as_camera_source, open_camera, parse_source
from app.gates.faces_seen import read_faces_seen
from app.gates.in_flight import release_slot, take_slot
from app.observability.logfmt import logfmt
from camera_ingest.pacing import Pacer

logger = logging.getLogger(__name__)

# Sends one frame: (gate_id, seq, captured_at unix seconds, JPEG bytes).
FrameSender = Callable[[int, int, float, bytes], None]


@dataclass
class ReaderSettings:
    """How a reader samples and sends: frames per second, the paced rates (at most decided_fps frames/s while the
    only faces in view are decided, idle_fps while nobody is in view and nothing moves; None: fps, no pacing), frames
    in flight per gate, JPEG quality, backoff, looping, and the site CA that https:// camera streams must be signed
    by."""

    fps: float = 10.0
    decided_fps: float | None = None
    idle_fps: float | None = None
    max_in_flight: int = 4
    jpeg_quality: int = 85
    backoff_start_s: float = 1.0
    backoff_max_s: float = 60.0
    loop_files: bool = False
    ca_file: str | None = None


@dataclass
class ReaderStats:
    """What a reader did so far."""

    frames_read: int = 0
    sampled: int = 0
    sent: int = 0
    paced: int = 0
    dropped: int = 0
    send_errors: int = 0
    open_failures: int = 0
    opened: int = 0

    def as_dict(self) -> dict:
        """The counters as a plain dict."""
        return asdict(self)


def encode_jpeg(bgr: np.ndarray, quality: int) -> bytes:
    """A BGR frame as JPEG bytes."""
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


class GateReader(threading.Thread):
    """Reads one gate's camera until stopped, reopening it with exponential backoff when it fails."""

    def __init__(
        self,
        gate_id: int,
        source: str | CameraSource,
        settings: ReaderSettings,
        client: redis.Redis,
        send: FrameSender,
    ) -> None:
        super().__init__(name=f"gate-{gate_id}", daemon=True)
        # source (the location, for logs and comparisons) never carries the stream's secret; camera does.
        self.camera = as_camera_source(source)
        self.gate_id, self.source, self.settings = gate_id, self.camera.location, settings
        self.stats = ReaderStats()
        # Wall-clock time the latest opening started reading (a file's frame i plays at this + i / its fps).
        self.playback_started_at: float | None = None
        self._client, self._send = client, send
        self._pacer = Pacer(settings.fps, settings.decided_fps or settings.fps, settings.idle_fps or settings.fps)
        self._stop_event = threading.Event()
        self._is_file = isinstance(parse_source(self.source), str) and "://" not in self.source

    def stop(self) -> None:
        """Ask the reader to finish (it exits within one frame or one backoff wait)."""
        self._stop_event.set()

    def run(self) -> None:
        """Open, read, reopen: until stopped (or until a video file ends, unless looping)."""
        backoff = self.settings.backoff_start_s
        while not self._stop_event.is_set():
            try:
                capture = open_camera(self.source, secret=self.camera.secret, ca_file=self.settings.ca_file)
            except CameraError as exc:
                self.stats.open_failures += 1
                logger.warning(logfmt("camera_open_failed", gate=self.gate_id, error=str(exc), retry_s=backoff))
                self._stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
                continue
            self.stats.opened += 1
            try:
                got_frames = self._read_until_failure(capture)
            finally:
                capture.release()
            if got_frames:
                backoff = self.settings.backoff_start_s
            if self._is_file and not self.settings.loop_files:
                logger.info(logfmt("video_ended", gate=self.gate_id, source=self.source))
                return
            if not self._is_file and not self._stop_event.is_set():
                logger.warning(logfmt("camera_lost", gate=self.gate_id, retry_s=backoff))
                self._stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)

    def _read_until_failure(self, capture: cv2.VideoCapture) -> bool:
        """Read and sample frames until the source ends or fails, or the reader is stopped; whether any came."""
        interval = 1.0 / self.settings.fps
        # A file plays at its own frame rate, as a camera would deliver it.
        file_fps = capture.get(cv2.CAP_PROP_FPS) if self._is_file else 0.0
        started, next_due, index = time.monotonic(), 0.0, 0
        self.playback_started_at = time.time()
        while not self._stop_event.is_set():
            ok, bgr = capture.read()
            if not ok or bgr is None:
                return index > 0
            self.stats.frames_read += 1
            if file_fps > 0:
                self._stop_event.wait(max(0.0, started + index / file_fps - time.monotonic()))
            captured_at = time.time()
            index += 1
            elapsed = time.monotonic() - started
            # A little slack, so frames that arrive exactly at the sampling rate are not skipped for timer jitter.
            if elapsed < next_due - interval / 4:
                continue
            next_due = max(next_due + interval, elapsed)
            self.stats.sampled += 1
            if self._paced_out(bgr, captured_at):
                self.stats.paced += 1
                continue
            self._offer(bgr, captured_at)
        return index > 0

    def _paced_out(self, bgr: np.ndarray, captured_at: float) -> bool:
        """Whether pacing holds the frame back (never when pacing is off, nor when Redis cannot say what the workers
        saw: then the frame goes, and take_slot reports the error)."""
        if not self._pacer.active:
            return False
        try:
            seen = read_faces_seen(self._client, self.gate_id)
        except redis.RedisError:
            seen = None
        return not self._pacer.wants(bgr, captured_at, seen)

    def _offer(self, bgr: np.ndarray, captured_at: float) -> None:
        """Send the frame if the gate has a free slot, else drop (and count) it."""
        try:
            seq = take_slot(self._client, self.gate_id, self.settings.max_in_flight)
        except redis.RedisError as exc:
            # Redis is restarting: lose this frame, not the reader (an escaping error would end its thread).
            self.stats.send_errors += 1
            logger.warning(logfmt("frame_not_sent", gate=self.gate_id, error=str(exc)))
            return
        if seq is None:
            self.stats.dropped += 1
            return
        try:
            self._send(self.gate_id, seq, captured_at, encode_jpeg(bgr, self.settings.jpeg_quality))
        except Exception:
            # The broker is down or restarting: count it, free the slot, and keep reading.
            self.stats.send_errors += 1
            logger.exception(logfmt("frame_not_sent", gate=self.gate_id, seq=seq))
            # With Redis down too, the slot cannot be freed now; it goes stale (and free) by itself.
            with contextlib.suppress(redis.RedisError):
                release_slot(self._client, self.gate_id, seq)
            return
        self.stats.sent += 1
        self._pacer.sent(captured_at)

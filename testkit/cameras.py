"""Live cameras for scenes: a camera whose picture follows the wall clock, served as MJPEG like a gate's Pi does."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

from gate_client.stream import FrameHub, make_handler
from gate_client.stream_auth import StreamGuard
from testkit.scenes import Pass, background, scene_frame, showing


@dataclass
class SceneCamera:
    """A camera whose picture follows the wall clock: each pass's photo is in view from t0 + start_s to t0 + end_s
    (before t0 is set, nobody is), so restarting a reader does not rewind the scene."""

    passes: list[Pass]
    t0: float | None = None
    _index: int = 0
    _backdrop: np.ndarray = field(default_factory=background)
    _photos: dict[Path, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._photos = {walk.photo: cv2.imread(str(walk.photo)) for walk in self.passes}

    def read_jpeg(self, quality: int) -> bytes:
        """The picture of this instant as JPEG bytes (the gate_client.stream camera interface)."""
        walk = None if self.t0 is None else showing(self.passes, time.time() - self.t0)
        self._index += 1
        frame = scene_frame(self._backdrop, self._photos[walk.photo] if walk else None, self._index)
        ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return buffer.tobytes()

    def close(self) -> None:
        """Nothing to release."""


def square_video(path: Path, size: tuple[int, int] = (320, 240), frames: int = 20, fps: float = 10) -> Path:
    """A short MJPG video of a bright square moving across a dark picture (a camera for the streamer to loop)."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        frame = np.full((height, width, 3), 40, np.uint8)
        x = i * (width - width // 4) // max(frames - 1, 1)
        frame[height // 3 : 2 * height // 3, x : x + width // 4] = (30, 200, 240)
        writer.write(frame)
    writer.release()
    return path


def serve_camera(camera: SceneCamera, fps: float) -> tuple[ThreadingHTTPServer, FrameHub, str]:
    """Serve camera as MJPEG on a free loopback port with gate_client.stream's handler, to anyone (no stream secret:
    camera_ingest reads it with OpenCV as a third-party camera); the server, hub and URL."""
    hub = FrameHub(camera, fps, 80)
    hub.start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub, StreamGuard(None)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hub, f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"

"""`python -m gate_client.stream` as a real process: MJPEG over HTTP that OpenCV (so camera_ingest) can read."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import cv2
import numpy as np
import pytest

from app.cameras import open_camera, read_rgb
from testkit.processes import ManagedProcess, python_module

pytestmark = pytest.mark.slow


@pytest.fixture()
def video(tmp_path):
    """A 2 s, 320x240 MJPG video of a moving bright square."""
    path = tmp_path / "door.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(20):
        frame = np.full((240, 320, 3), 40, np.uint8)
        frame[80:160, 10 * i : 10 * i + 80] = (30, 200, 240)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture()
def streamer(video, free_port, tmp_path):
    """The streamer serving the looping video; yields its base URL."""
    port = free_port()
    log = tmp_path / "stream.log"
    args = python_module("gate_client.stream", "--source", str(video), "--loop", "--host", "127.0.0.1",
                         "--port", str(port), "--fps", "15", "--width", "320", "--height", "240")  # fmt: skip
    process = ManagedProcess("streamer", args, dict(os.environ), log, ready=lambda: "serving" in log.read_text())
    process.start(timeout=20)
    yield f"http://127.0.0.1:{port}", process
    process.kill()


def test_snapshot_is_a_jpeg_of_the_camera(streamer) -> None:
    url, _process = streamer
    with urllib.request.urlopen(f"{url}/snapshot.jpg", timeout=10) as response:
        assert response.headers["Content-Type"] == "image/jpeg"
        data = response.read()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (240, 320, 3)


def test_opencv_reads_the_mjpeg_stream_like_camera_ingest(streamer) -> None:
    url, process = streamer
    with urllib.request.urlopen(f"{url}/stream.mjpg", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace; boundary=")
    captures = [open_camera(f"{url}/stream.mjpg"), open_camera(f"{url}/stream.mjpg")]  # two viewers at once
    try:
        frames = [read_rgb(capture) for capture in captures for _ in range(5)]
    finally:
        for capture in captures:
            capture.release()
    assert all(frame is not None and frame.shape == (240, 320, 3) for frame in frames)
    assert len({frame.tobytes() for frame in frames}) > 1, "the frames change as the video plays"
    assert process.stop(timeout=10) == 0


def test_a_missing_camera_is_a_clear_error(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gate_client.stream", "--source", str(tmp_path / "none.avi")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 3 and "no such device index or video file" in result.stderr

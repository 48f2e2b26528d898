"""`python -m gate_client.stream` as a real process: MJPEG that camera_ingest reads with the stream secret, over HTTP
or over HTTPS with the site CA; requests without the secret are refused (401), counted, and never logged with it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from app.cameras import CameraError, open_camera, read_rgb
from app.tls import issue_server_cert, make_ca
from testkit.cameras import square_video
from testkit.processes import ManagedProcess, TlsFiles, python_module

pytestmark = pytest.mark.slow


@pytest.fixture()
def video(tmp_path):
    """A 2 s, 320x240 MJPG video of a moving bright square."""
    return square_video(tmp_path / "door.avi")


SECRET = "stream-secret-for-the-tests-0123456789"


@pytest.fixture()
def start_streamer(video, free_port, tmp_path):
    """start_streamer(*options, tls=None) -> (base URL, process): the streamer serving the looping video with the
    stream secret (HTTPS with tls, a TlsFiles); killed at the end."""
    secret_file = tmp_path / "stream-secret"
    secret_file.write_text(SECRET + "\n")
    started = []

    def start(*options: str, tls: TlsFiles | None = None) -> tuple[str, ManagedProcess]:
        port = free_port()
        log = tmp_path / f"stream-{len(started)}.log"
        args = python_module("gate_client.stream", "--source", str(video), "--loop", "--host", "127.0.0.1",
                             "--port", str(port), "--fps", "15", "--width", "320", "--height", "240",
                             *(options or ("--secret-file", str(secret_file))))  # fmt: skip
        if tls is not None:
            args += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
        process = ManagedProcess("streamer", args, dict(os.environ), log, ready=lambda: "serving" in log.read_text())
        process.start(timeout=20)
        started.append(process)
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}", process

    yield start
    for process in started:
        process.kill()


def get(url: str, authorization: str | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers={"Authorization": authorization} if authorization else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def read_frames(url: str, count: int, **options) -> list:
    """count frames (RGB) read through camera_ingest's open_camera."""
    capture = open_camera(url, **options)
    try:
        return [read_rgb(capture) for _ in range(count)]
    finally:
        capture.release()


def test_snapshot_is_a_jpeg_of_the_camera(start_streamer) -> None:
    url, _process = start_streamer()
    status, headers, data = get(f"{url}/snapshot.jpg", f"Bearer {SECRET}")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (240, 320, 3)


def test_camera_ingest_reads_the_authenticated_stream_two_viewers_at_once(start_streamer) -> None:
    url, process = start_streamer()
    viewers = [open_camera(f"{url}/stream.mjpg", secret=SECRET), open_camera(f"{url}/stream.mjpg", secret=SECRET)]
    try:
        frames = [read_rgb(capture) for capture in viewers for _ in range(5)]
    finally:
        for capture in viewers:
            capture.release()
    assert all(frame is not None and frame.shape == (240, 320, 3) for frame in frames)
    assert len({frame.tobytes() for frame in frames}) > 1, "the frames change as the video plays"
    assert process.stop(timeout=10) == 0


def test_opencv_reads_an_anonymous_stream(start_streamer) -> None:
    url, process = start_streamer("--allow-anonymous")
    assert "ANYONE may watch" in process.log_tail()
    frames = read_frames(f"{url}/stream.mjpg", 3)  # no secret, plain http: OpenCV's own reader
    assert all(frame is not None and frame.shape == (240, 320, 3) for frame in frames)


def test_requests_without_the_secret_get_401_are_counted_and_leak_nothing(start_streamer) -> None:
    url, process = start_streamer()
    status, headers, _ = get(f"{url}/stream.mjpg")
    assert status == 401 and headers["WWW-Authenticate"] == 'Bearer realm="facegate-stream"'
    assert get(f"{url}/snapshot.jpg", "Bearer a-guess-at-the-secret")[0] == 401
    assert get(f"{url}/snapshot.jpg", "Basic " + base64.b64encode(b"viewer:wrong").decode())[0] == 401
    assert get(f"{url}/snapshot.jpg", "Basic " + base64.b64encode(f"vlc:{SECRET}".encode()).decode())[0] == 200
    with pytest.raises(CameraError, match="HTTP 401"):
        open_camera(f"{url}/stream.mjpg", secret="not-the-secret")
    process.stop(timeout=10)
    log = process.current_log.read_text()
    assert "refused GET /stream.mjpg from 127.0.0.1: no credential (1 refused so far)" in log
    assert "wrong credential (2 refused so far)" in log and "wrong credential (4 refused so far)" in log
    assert SECRET not in log and "a-guess-at-the-secret" not in log and "not-the-secret" not in log


def test_the_stream_over_tls_is_read_with_the_site_ca_only(start_streamer, tmp_path) -> None:
    make_ca(tmp_path / "ca")
    make_ca(tmp_path / "other")
    tls = TlsFiles(tmp_path / "pi.crt", tmp_path / "pi.key", tmp_path / "ca" / "ca.crt")
    issue_server_cert(tmp_path / "ca", ["127.0.0.1"], tls.cert, tls.key)
    url, process = start_streamer(tls=tls)
    frames = read_frames(f"{url}/stream.mjpg", 3, secret=SECRET, ca_file=str(tls.ca))
    assert all(frame is not None and frame.shape == (240, 320, 3) for frame in frames)
    with pytest.raises(CameraError, match="not trusted by"):
        open_camera(f"{url}/stream.mjpg", secret=SECRET, ca_file=str(tmp_path / "other" / "ca.crt"))
    with pytest.raises(CameraError):  # plain HTTP to the TLS port
        open_camera(f"{url.replace('https', 'http')}/stream.mjpg", secret=SECRET)
    assert len(read_frames(f"{url}/stream.mjpg", 2, secret=SECRET, ca_file=str(tls.ca))) == 2  # still serving
    assert process.stop(timeout=10) == 0
    assert SECRET not in process.current_log.read_text()


def test_the_streamer_wants_a_secret_or_an_explicit_anonymous_mode(tmp_path, video) -> None:
    command = [sys.executable, "-m", "gate_client.stream", "--source", str(video)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "give --secret-file" in result.stderr
    (tmp_path / "short").write_text("abc")
    result = subprocess.run([*command, "--secret-file", str(tmp_path / "short")], capture_output=True, text=True,
                            timeout=30)  # fmt: skip
    assert result.returncode == 2 and "under 16 characters" in result.stderr


def test_a_missing_camera_is_a_clear_error(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gate_client.stream", "--source", str(tmp_path / "none.avi"), "--allow-anonymous"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 3 and "no such device index or video file" in result.stderr

"""`python -m gate_client.stream`: serve the gate's camera as MJPEG over HTTP, for camera_ingest to read.

GET /stream.mjpg is a multipart/x-mixed-replace stream of JPEG frames; GET /snapshot.jpg is the latest frame.
One capture thread reads the camera; every viewer gets the latest frame, so slow viewers skip frames.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gate_client.camera import CameraError, open_camera

log = logging.getLogger("gate_client.stream")

BOUNDARY = "facegateframe"
# A viewer that has had no new frame for this long is told the camera is gone and disconnected.
STALE_FRAME_S = 10.0


class FrameHub:
    """The latest JPEG frame of one camera, read by a background thread at up to `fps` frames a second."""

    def __init__(self, camera, fps: float, quality: int) -> None:
        self.camera = camera
        self.interval = 1.0 / fps
        self.quality = quality
        self.frame: bytes | None = None
        self.sequence = 0
        self.error: str | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._capture, name="capture", daemon=True)

    def start(self) -> None:
        """Start reading the camera."""
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and release the camera."""
        self._stop.set()
        self._thread.join(5.0)
        self.camera.close()

    def _capture(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                frame = self.camera.read_jpeg(self.quality)
            except CameraError as exc:
                log.error("%s; stopping the capture", exc)
                with self._changed:
                    self.error = str(exc)
                    self._changed.notify_all()
                return
            with self._changed:
                self.frame, self.sequence = frame, self.sequence + 1
                self._changed.notify_all()
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def next_frame(self, after: int, timeout: float = STALE_FRAME_S) -> tuple[bytes, int] | None:
        """The first frame newer than sequence number `after` and its number; None if the camera failed or stalled."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.sequence > after or self.error, timeout) or self.error:
                return None
            return self.frame, self.sequence


def make_handler(hub: FrameHub) -> type[BaseHTTPRequestHandler]:
    """An HTTP request handler class serving hub's frames."""

    class MJPEGHandler(BaseHTTPRequestHandler):
        server_version = "facegate-stream"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/", "/stream.mjpg"):
                self._stream()
            elif path == "/snapshot.jpg":
                self._snapshot()
            else:
                self.send_error(HTTPStatus.NOT_FOUND, "try /stream.mjpg or /snapshot.jpg")

        def _snapshot(self) -> None:
            found = hub.next_frame(max(hub.sequence - 1, 0))
            if found is None:
                self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, hub.error or "no frame from the camera")
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(found[0])))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(found[0])

        def _stream(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            sequence = 0
            try:
                while (found := hub.next_frame(sequence)) is not None:
                    frame, sequence = found
                    self.wfile.write(
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n".encode()
                    )
                    self.wfile.write(frame)
                    self.wfile.write(b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return MJPEGHandler


def main(argv: list[str] | None = None) -> int:
    """Serve the camera until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m gate_client.stream", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="auto", help="auto, picamera2, a device index or a video file")
    parser.add_argument("--loop", action="store_true", help="restart a video file at its end")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--fps", type=float, default=10.0, help="frames per second at most")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--quality", type=int, default=80, help="JPEG quality, 1-100")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if options.fps <= 0 or not 1 <= options.quality <= 100:
        parser.error("--fps must be more than 0 and --quality 1-100")
    try:
        camera = open_camera(options.source, options.width, options.height, options.loop)
    except CameraError as exc:
        log.error("%s", exc)
        return 3
    hub = FrameHub(camera, options.fps, options.quality)
    hub.start()
    server = ThreadingHTTPServer((options.host, options.port), make_handler(hub))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=server.shutdown).start())
    log.info("serving %s on http://%s:%d/stream.mjpg", options.source, options.host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        hub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

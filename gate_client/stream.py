"""`python -m gate_client.stream`: serve the gate's camera as MJPEG over HTTPS (or HTTP), for camera_ingest to read.

GET /stream.mjpg is a multipart/x-mixed-replace stream of JPEG frames; GET /snapshot.jpg is the latest frame.
Every request must carry the stream secret (`Authorization: Bearer <secret>`, or as a Basic password): others get
401, and are counted and logged (never with what they sent). One capture thread reads the camera; every viewer gets
the latest frame, so slow viewers skip frames.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gate_client.camera import CameraError, open_camera
from gate_client.stream_auth import StreamAuthError, StreamGuard, read_secret, server_tls_context

log = logging.getLogger("gate_client.stream")

BOUNDARY = "facegateframe"
# A viewer that has had no new frame for this long is told the camera is gone and disconnected.
STALE_FRAME_S = 10.0
# A connection that sends no complete request (or cannot take a frame) for this long is closed.
CONNECTION_TIMEOUT_S = 15.0
# Client mistakes that http.server answers with a 5xx (an unknown method, an HTTP version it does not speak) get a
# 4xx instead: a 5xx from the streamer means its camera failed.
CLIENT_ERRORS = {HTTPStatus.NOT_IMPLEMENTED: HTTPStatus.METHOD_NOT_ALLOWED,
                 HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: HTTPStatus.BAD_REQUEST}  # fmt: skip


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


def make_handler(hub: FrameHub, guard: StreamGuard) -> type[BaseHTTPRequestHandler]:
    """An HTTP request handler class serving hub's frames to the requests guard lets through."""

    class MJPEGHandler(BaseHTTPRequestHandler):
        server_version = "facegate-stream"
        timeout = CONNECTION_TIMEOUT_S

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            refusal = guard.check(self.headers.get("Authorization"))
            if refusal is not None:
                log.warning("refused GET %s from %s: %s (%d refused so far)", path[:64], self.address_string(),
                            refusal, guard.refused)  # fmt: skip
                self.send_response(HTTPStatus.UNAUTHORIZED)
                self.send_header("WWW-Authenticate", 'Bearer realm="facegate-stream"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
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
            except OSError:  # the viewer left, stalled past the timeout, or broke TLS
                pass

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            super().send_error(CLIENT_ERRORS.get(code, code), message, explain)

        def __getattr__(self, name: str):
            # Any other method: 405 (http.server would answer 501).
            if name.startswith("do_"):
                return self._not_allowed
            raise AttributeError(name)

        def _not_allowed(self) -> None:
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "only GET")

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return MJPEGHandler


class StreamServer(ThreadingHTTPServer):
    """The threaded HTTP server, over TLS when given a context: the handshake happens in the connection's own
    thread, so a client that connects and says nothing holds up nobody; a broken connection is one log line."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], tls=None) -> None:
        super().__init__(address, handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address) -> None:
        log.warning("connection from %s failed: %s", client_address[0], sys.exc_info()[1])


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
    parser.add_argument("--secret-file", type=Path, help="the stream secret (`flask gates stream-secret`), required")
    parser.add_argument("--allow-anonymous", action="store_true", help="serve without a secret (never on a network)")
    parser.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (issued by the site CA)")
    parser.add_argument("--tls-key", type=Path, help="... and its key")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if options.fps <= 0 or not 1 <= options.quality <= 100:
        parser.error("--fps must be more than 0 and --quality 1-100")
    if (options.secret_file is None) == (not options.allow_anonymous):
        parser.error("give --secret-file (the stream secret), or --allow-anonymous to let anyone watch")
    if (options.tls_cert is None) != (options.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    try:
        secret = read_secret(options.secret_file) if options.secret_file else None
        tls = server_tls_context(options.tls_cert, options.tls_key) if options.tls_cert else None
    except StreamAuthError as exc:
        log.error("%s", exc)
        return 2
    try:
        camera = open_camera(options.source, options.width, options.height, options.loop)
    except CameraError as exc:
        log.error("%s", exc)
        return 3
    hub = FrameHub(camera, options.fps, options.quality)
    hub.start()
    server = StreamServer((options.host, options.port), make_handler(hub, StreamGuard(secret)), tls)
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=server.shutdown).start())
    scheme, who = ("https" if tls else "http"), ("stream secret required" if secret else "ANYONE may watch: no secret")
    log.info("serving %s on %s://%s:%d/stream.mjpg (%s)", options.source, scheme, options.host,
             server.server_address[1], who)  # fmt: skip
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

"""A real local HTTP server that receives webhooks, good or bad by path, for tests and benchmarks.

    /ok        200, records the request        /fail      500 "receiver broken", records
    /hang      answers nothing for 60 s         /redirect  302 to itself, forever
    /big       200 with a 10 MB body
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIG_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver got it: path, headers (names lower-cased), raw body, time.time() of arrival."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class WebhookReceiver:
    """The server on 127.0.0.1 (a free port), serving in a thread until close()."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append(ReceivedRequest(self.path, headers, body, time.time()))
                receiver._answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        if path == "/hang":
            time.sleep(60)
            return
        if path == "/redirect":
            handler.send_response(302)
            handler.send_header("Location", handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        status, body = {"/ok": (200, b"thanks"), "/fail": (500, b"receiver broken")}.get(path, (200, b""))
        if path == "/big":
            body = b"x" * BIG_BODY_BYTES
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        # The sender may stop reading: what a webhook sender should do with a 10 MB answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)

    def on(self, path: str) -> list[ReceivedRequest]:
        """The requests received on path so far."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

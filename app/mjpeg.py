"""Reading a gate's authenticated MJPEG camera stream (`python -m gate_client.stream`) over HTTP or HTTPS.

OpenCV's own HTTP reader can send no header and trusts no site CA, so a stream that needs a credential, or is
served over HTTPS, is read here instead: requests sends `Authorization: Bearer <secret>` and verifies the server
against the site CA, and each part of the multipart/x-mixed-replace stream is decoded with cv2.imdecode. The object
answers the few calls camera_ingest makes of a cv2.VideoCapture (read, get, isOpened, release).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import cv2
import numpy as np
import requests
import urllib3

# A part larger than this is not a camera frame: the stream is refused rather than read into memory.
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_HEADER_LINE = 1024


class StreamError(RuntimeError):
    """The stream could not be opened (refused, untrusted, unreachable) or is not an MJPEG stream."""


def _parts(stream: io.BufferedReader) -> Iterator[bytes]:
    """The JPEG bodies of a multipart stream, each sized by its Content-Length header."""
    while True:
        line = stream.readline(MAX_HEADER_LINE)
        if not line:
            return
        if not line.startswith(b"--"):
            continue  # the CRLF after a part, or a preamble
        headers = {}
        while header := stream.readline(MAX_HEADER_LINE).strip():
            name, _, value = header.partition(b":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get(b"content-length", b""))
        except ValueError:
            raise StreamError("an MJPEG part without a Content-Length") from None
        if not 0 < length <= MAX_FRAME_BYTES:
            raise StreamError(f"an MJPEG part of {length} bytes")
        body = stream.read(length)
        if len(body) < length:
            return
        yield body


class HttpMjpegCapture:
    """An MJPEG stream over HTTP(S) with a bearer credential, read like a cv2.VideoCapture."""

    def __init__(self, url: str, secret: str | None, ca_file: str | None, timeout_s: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        try:
            # verify passed with the request: a session's own would lose to REQUESTS_CA_BUNDLE.
            self._response = requests.get(url, headers=headers, stream=True, timeout=(5.0, timeout_s),
                                          verify=ca_file or True)  # fmt: skip
        except requests.exceptions.SSLError as exc:
            raise StreamError(f"the stream's certificate is not trusted by {ca_file or 'the system CAs'}") from exc
        except requests.RequestException as exc:
            raise StreamError(f"the stream could not be reached ({type(exc).__name__})") from exc
        if self._response.status_code != 200:
            self._response.close()
            raise StreamError(f"the stream answered HTTP {self._response.status_code}")
        self._frames = _parts(io.BufferedReader(self._response.raw))

    def isOpened(self) -> bool:  # noqa: N802  (cv2.VideoCapture's name)
        """Always true once built (a stream that cannot be opened raises StreamError instead)."""
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        """(True, the next frame as BGR), or (False, None) when the stream ends, stalls or breaks."""
        try:
            body = next(self._frames)
        except (StopIteration, StreamError, requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            return False, None
        frame = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        return (frame is not None), frame

    def get(self, prop: int) -> float:
        """0.0 for every property (a live stream has no frame rate to pace by)."""
        return 0.0

    def release(self) -> None:
        """Close the connection."""
        self._response.close()

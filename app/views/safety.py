"""Cross-cutting web safety: local-only redirects, security headers, friendly CSRF and size errors, and a request body
that cannot be read (a broken chunked encoding, a connection cut mid-body) answered 400 instead of 500."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest


def is_local_url(target: str) -> bool:
    """Whether target is a path on this site (no scheme, no host, no '//' or '\\' tricks, no control chars)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


class CheckedInput:
    """The request body stream (wsgi.input), whose read errors are the client's: a 400, not a server error.

    The web server raises its own exceptions when the body is malformed (gunicorn: InvalidChunkSize, NoMoreData...),
    and they would otherwise surface in a view as an unhandled exception.
    """

    def __init__(self, stream) -> None:
        self._stream = stream

    def _checked(self, read: Callable, *args):
        try:
            return read(*args)
        except Exception as exc:  # whatever the server raises for a body it cannot read
            raise BadRequest(f"the request body could not be read ({type(exc).__name__})") from None

    def read(self, *args) -> bytes:
        """read() of the underlying stream."""
        return self._checked(self._stream.read, *args)

    def readline(self, *args) -> bytes:
        """readline() of the underlying stream."""
        return self._checked(self._stream.readline, *args)

    def readlines(self, *args) -> list[bytes]:
        """readlines() of the underlying stream."""
        return self._checked(self._stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def checked_input(wsgi_app: Callable) -> Callable:
    """wsgi_app with its request body read through CheckedInput."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if "wsgi.input" in environ:
            environ["wsgi.input"] = CheckedInput(environ["wsgi.input"])
        return wsgi_app(environ, start_response)

    return app


def register_safety(flask_app: Flask) -> None:
    """Attach the security headers, the error pages for CSRF failures and oversized uploads, and the checked body."""
    flask_app.after_request(_add_security_headers)
    flask_app.wsgi_app = checked_input(flask_app.wsgi_app)

    @flask_app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = f"The form expired or did not come from this site ({error.description}). Reload the page and retry."
        return render_template("error.html", title="Form refused", message=message), 400

    @flask_app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", title="Upload too large", message="The upload is too large."), 413

"""Who may watch the gate's camera: the stream secret as a bearer token (or as the password of HTTP Basic, for a
browser or VLC), refusals counted; and the TLS context the streamer serves HTTPS with."""

from __future__ import annotations

import base64
import binascii
import hmac
import ssl
import threading
from pathlib import Path


class StreamAuthError(ValueError):
    """A secret file or certificate the streamer cannot use; the message says which and why."""


def read_secret(path: Path) -> str:
    """The stream secret kept in path (its first line); StreamAuthError when missing, unreadable or too short."""
    try:
        secret = path.read_text().strip()
    except OSError as exc:
        raise StreamAuthError(f"cannot read the stream secret file {path}: {exc.strerror}") from None
    if len(secret) < 16:
        raise StreamAuthError(f"the stream secret in {path} is under 16 characters: use `flask gates stream-secret`")
    return secret


class StreamGuard:
    """Checks each request's credential against the stream secret (None: everyone may watch) and counts refusals."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode() if secret else None
        self._lock = threading.Lock()
        self.refused = 0

    def presented(self, authorization: str | None) -> bytes | None:
        """The credential an Authorization header carries: a bearer token or a Basic password; None if neither."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip().encode("latin-1", "replace")
        if scheme.lower() == "basic":
            try:
                _user, _, password = base64.b64decode(value.strip(), validate=True).partition(b":")
            except (binascii.Error, ValueError):
                return None
            return password or None
        return None

    def check(self, authorization: str | None) -> str | None:
        """None when the request may watch; else why not ("no credential", "wrong credential"), counted."""
        if self._secret is None:
            return None
        credential = self.presented(authorization)
        if credential is not None and hmac.compare_digest(credential, self._secret):
            return None
        with self._lock:
            self.refused += 1
        return "no credential" if credential is None else "wrong credential"


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context with the stream's certificate (issued by the site CA: `flask tls issue`)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise StreamAuthError(f"cannot use the certificate {cert} and key {key}: {exc}") from None
    return context

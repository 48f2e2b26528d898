"""Sending one webhook request: the JSON body signed with HMAC-SHA256 over "<timestamp>.<body>", a short timeout,
no redirects followed and at most a few KB of the answer read, so a bad receiver costs only its own delivery.

The header (docs/integrations.md has a verification snippet):  Facegate-Signature: t=<unix seconds>,v1=<hex digest>
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import requests

SIGNATURE_HEADER = "Facegate-Signature"
USER_AGENT = "facegate-webhooks/1"
# What is read of a receiver's answer (for the error message); the rest is never downloaded.
MAX_ANSWER_BYTES = 4096


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>." + body under secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The Facegate-Signature header's value for body sent at timestamp."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


@dataclass(frozen=True)
class Attempt:
    """How one request went: the HTTP status (None when there was no answer) and an error ("" when delivered)."""

    status: int | None
    error: str

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered 2xx."""
        return not self.error


def post_signed(url: str, body: bytes, secret: str, headers: dict[str, str], timeout_s: float) -> Attempt:
    """POST body to url, signed; 2xx is delivered, anything else (redirects included) an Attempt with an error."""
    timestamp = int(time.time())
    sent = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(secret, timestamp, body),
    }
    deadline = time.monotonic() + timeout_s
    try:
        with requests.post(url, data=body, headers=sent, timeout=(min(5.0, timeout_s), timeout_s),
                           allow_redirects=False, stream=True) as response:  # fmt: skip
            answer = _read_some(response, deadline)
            status = response.status_code
            if 200 <= status < 300:
                return Attempt(status, "")
            if 300 <= status < 400:
                return Attempt(status, f"HTTP {status}: redirects are not followed "
                                       f"(Location: {response.headers.get('Location', '?')[:200]})")  # fmt: skip
            return Attempt(status, f"HTTP {status}: {answer[:300]!r}")
    except requests.Timeout:
        return Attempt(None, f"no answer within {timeout_s:g} s")
    except requests.ConnectionError as exc:
        return Attempt(None, f"cannot connect: {_root_cause(exc)}")
    except requests.RequestException as exc:
        return Attempt(None, f"request failed: {_root_cause(exc)}")


def _read_some(response: requests.Response, deadline: float) -> str:
    """Up to MAX_ANSWER_BYTES of the answer, read before deadline (a receiver that drips bytes is cut off)."""
    chunks, size = [], 0
    for chunk in response.iter_content(1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER_BYTES or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:MAX_ANSWER_BYTES].decode(errors="replace")


def _root_cause(exc: BaseException) -> str:
    for _ in range(10):
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    return str(exc)[:300] or type(exc).__name__

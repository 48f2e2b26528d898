"""Checked input for the JSON endpoints under /api/: query numbers and path ids, and JSON errors for every refusal.

Every /api/ view reads its parameters through these functions, so a non-number, NaN, infinity, a negative or a
huge value is a 400 with `{"error": ...}` and never reaches Redis or the database. register_api_errors makes every
HTTP error under /api/ (404, 405, 413, ...) a JSON answer too.
"""

from __future__ import annotations

import math

import redis
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"
# Ids are INT columns (MariaDB's signed 32-bit INT): anything larger names no row.
MAX_ID = 2**31 - 1
# Longest query value read at all (a stream cursor is at most 41 characters).
MAX_VALUE_CHARS = 64


class ApiError(Exception):
    """A request an /api/ endpoint refuses: its HTTP status, a message for the caller and extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The JSON answer `{"error": message}` with status and headers."""
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def query_text(name: str, max_chars: int = MAX_VALUE_CHARS) -> str | None:
    """The query parameter name, stripped, or None when absent or empty; a 400 when longer than max_chars."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > max_chars:
        raise ApiError(400, f"{name} is too long ({len(raw)} characters, at most {max_chars})")
    return raw.strip()


def query_number(name: str, default: float, minimum: float, maximum: float) -> float:
    """The query parameter name as a finite number within [minimum, maximum] (default when absent); else a 400."""
    raw = query_text(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ApiError(400, f"{name} must be a finite number, got {raw!r}")
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be between {minimum:g} and {maximum:g}, got {raw!r}")
    return value


def path_id(value: int, name: str) -> int:
    """An id taken from the URL (Flask's int converter already refused signs and non-digits); a 400 unless it is
    between 1 and MAX_ID."""
    if not 1 <= value <= MAX_ID:
        raise ApiError(400, f"{name} must be between 1 and {MAX_ID}")
    return value


def _api_error(error: ApiError) -> Response:
    return json_error(error.status, str(error), error.headers)


def _http_error(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith(API_PREFIX):
        return error
    kept = {key: value for key, value in error.get_headers() if key in ("Allow", "Retry-After", "WWW-Authenticate")}
    return json_error(error.code or 500, error.description or error.name, kept)


def _redis_error(error: redis.RedisError) -> Response:
    if not request.path.startswith(API_PREFIX):
        raise error
    # The gate clients and scripts retry; they need to know it is the event stream, not their request.
    return json_error(503, f"event stream unavailable, try again later: {error}", {"Retry-After": "1"})


def register_api_errors(flask_app: Flask) -> None:
    """Answer ApiError anywhere, and every HTTP error under /api/, as JSON `{"error": ...}`; Redis being unreachable
    under /api/ is a JSON 503 with Retry-After."""
    flask_app.register_error_handler(ApiError, _api_error)
    flask_app.register_error_handler(HTTPException, _http_error)
    flask_app.register_error_handler(redis.RedisError, _redis_error)

"""Checked input of the scripts' JSON API: a JSON object body with typed fields, ISO dates and times, cursors.
A field of the wrong type is a 400 naming the field and the type it must be."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import request

from app.views.api_input import ApiError, query_number, query_text

MAX_PAGE = 200


def json_body() -> dict:
    """The request's JSON object; a 400 when the body is not one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object, sent with Content-Type: application/json")
    return body


def text_field(body: dict, name: str, required: bool = True, max_chars: int = 254) -> str | None:
    """body[name] as stripped text (None when optional and absent or null); a 400 for another type or length."""
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name} is required (a string)")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise ApiError(400, f"{name} is too long ({len(value)} characters, at most {max_chars})")
    return value.strip()


def text_list_field(body: dict, name: str) -> list[str]:
    """body[name] as a list of strings ([] when absent); a 400 for anything else."""
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(400, f"{name} must be a list of strings")
    return [item.strip() for item in value]


def bool_field(body: dict, name: str, default: bool = False) -> bool:
    """body[name] as a JSON boolean (default when absent); a 400 for anything else (1, "yes", ...)."""
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false, got {type(value).__name__}")
    return value


def query_date(name: str, default: date) -> date:
    """The query parameter name as an ISO date (YYYY-MM-DD), default when absent; else a 400."""
    raw = query_text(name, 10)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date like 2026-01-31, got {raw!r}") from None


def query_time(name: str) -> datetime | None:
    """The query parameter name as an ISO 8601 time (UTC when it names no zone), None when absent; else a 400."""
    raw = query_text(name, 40)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 time like 2026-01-31T08:00:00+01:00, got {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_params() -> tuple[int, int]:
    """(after, limit): the cursor (an id; 0 for the first page) and the page size (1-200, default 50)."""
    after = int(query_number("after", 0, 0, 2**63 - 1))
    limit = int(query_number("limit", 50, 1, MAX_PAGE))
    return after, limit


def iso(moment: datetime | None) -> str | None:
    """An aware time as ISO 8601, or None."""
    return moment.isoformat() if moment else None

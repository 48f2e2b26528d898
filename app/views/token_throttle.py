"""Rate limit on failed bearer-token attempts under /api/, counted in Redis per client address.

An address that sent FACEGATE_API_TOKEN_MAX_FAILURES unknown tokens is refused (429) for FACEGATE_API_TOKEN_LOCKOUT_S
after its latest failure, whatever token it sends: guessing is slowed down, and the database is not asked again.
If Redis is unreachable the tokens are still checked but not throttled, and each lapse is logged.
"""

from __future__ import annotations

import logging

import redis
from flask import current_app, request

from app.redis_client import get_redis
from app.views.api_input import ApiError

log = logging.getLogger(__name__)


def _key(address: str) -> str:
    return f"facegate:api-token-failures:addr:{address}"


def client_address() -> str:
    """The address the request came from (the web server's peer: facegate is served without a proxy in front)."""
    return request.remote_addr or "unknown"


def retry_after_s(address: str) -> int:
    """Seconds until address may try a token again; 0 when it is not throttled."""
    try:
        client = get_redis(current_app.config["REDIS_URL"])
        failures = int(client.get(_key(address)) or 0)
        if failures < current_app.config["API_TOKEN_MAX_FAILURES"]:
            return 0
        return max(int(client.ttl(_key(address))), 1)
    except redis.RedisError:
        log.warning("token throttling unavailable: Redis unreachable", exc_info=True)
        return 0


def record_token_failure(address: str) -> None:
    """Count one unknown token from address; the count expires API_TOKEN_LOCKOUT_S after the latest failure."""
    try:
        with get_redis(current_app.config["REDIS_URL"]).pipeline() as pipe:
            pipe.incr(_key(address))
            pipe.expire(_key(address), current_app.config["API_TOKEN_LOCKOUT_S"])
            pipe.execute()
    except redis.RedisError:
        log.warning("failed token attempt not counted: Redis unreachable", exc_info=True)


def presented_bearer_token(challenge: dict[str, str]) -> tuple[str, str]:
    """(the request's bearer token, its client address); ApiError 429 when that address sent too many unknown tokens
    (checked before the token is looked at), 401 with challenge when the request has no bearer token."""
    address = client_address()
    wait = retry_after_s(address)
    if wait:
        raise ApiError(429, "too many unknown tokens from this address", {"Retry-After": str(wait)})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "missing bearer token", challenge)
    return token, address

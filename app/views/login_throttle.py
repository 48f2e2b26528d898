"""Login throttling: failed sign-ins counted in Redis per username and per client address.

If Redis is unreachable, sign-in still checks passwords but is not throttled, and each lapse is logged.
"""

from __future__ import annotations

import logging

import redis
from flask import current_app

from app.redis_client import get_redis

log = logging.getLogger(__name__)


def _keys(username: str, address: str) -> list[str]:
    return [f"facegate:login-failures:user:{username.lower()}", f"facegate:login-failures:addr:{address}"]


def _client() -> redis.Redis:
    return get_redis(current_app.config["REDIS_URL"])


def is_locked_out(username: str, address: str) -> bool:
    """Whether sign-in for username, or from address, is refused after too many recent failures."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    try:
        counts = _client().mget(_keys(username, address))
    except redis.RedisError:
        log.warning("login throttling unavailable: Redis unreachable", exc_info=True)
        return False
    user_count, addr_count = (int(c or 0) for c in counts)
    # An address gets more tries than one account: several people may share an office NAT.
    return user_count >= limit or addr_count >= 4 * limit


def record_failure(username: str, address: str) -> None:
    """Count one failed sign-in; the counters expire LOGIN_LOCKOUT_S after the latest failure."""
    try:
        with _client().pipeline() as pipe:
            for key in _keys(username, address):
                pipe.incr(key)
                pipe.expire(key, current_app.config["LOGIN_LOCKOUT_S"])
            pipe.execute()
    except redis.RedisError:
        log.warning("login failure not counted: Redis unreachable", exc_info=True)


def clear_failures(username: str) -> None:
    """Forget username's failed sign-ins (after a successful one); the address counter keeps running."""
    try:
        _client().delete(_keys(username, "")[0])
    except redis.RedisError:
        log.warning("login failures not cleared: Redis unreachable", exc_info=True)

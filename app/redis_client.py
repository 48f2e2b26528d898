"""The process-wide Redis client: one per URL and process, shared by the gates, the gate endpoint, enrolment, login
throttling, metrics and camera_ingest."""

from __future__ import annotations

import functools

import redis

# Longer than the longest long poll (XREAD BLOCK, FACEGATE_EVENTS_MAX_WAIT_S); redis-py 8 defaults to 5 s, which
# turned every idle long poll over 5 s into a server error.
SOCKET_TIMEOUT_S = 75.0
# Each open long poll holds a connection for its whole wait; redis-py 8 caps a pool at 100 by default, which made the
# 101st concurrent poll a server error (found by bench/load.py with 200 gates). The web server's threads bound it.
MAX_CONNECTIONS = 10_000


@functools.cache
def get_redis(url: str) -> redis.Redis:
    """A Redis client for url that returns str, built once per process (its pool is thread-safe)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=5,
        max_connections=MAX_CONNECTIONS,
    )

"""One Redis client per URL and process, shared by the decision logic, the event streams and the gate endpoint."""

from __future__ import annotations

import functools

import redis


@functools.cache
def get_redis(url: str) -> redis.Redis:
    """A Redis client for url that returns str, built once per process (its pool is thread-safe)."""
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)

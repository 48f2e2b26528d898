"""A real Celery worker process takes a task from Redis and answers through Redis."""

from __future__ import annotations

import time

import pytest

from app.accounts import create_gate


@pytest.mark.slow
def test_ping_round_trip_through_a_real_worker(app, db, worker) -> None:
    create_gate("Front", "0")
    from app.tasks.health import ping

    started = time.monotonic()
    result = ping.delay()
    answer = result.get(timeout=60)
    assert answer["gates"] == 1 and answer["staff"] == 0
    assert time.monotonic() - started < 60
    assert worker.alive()

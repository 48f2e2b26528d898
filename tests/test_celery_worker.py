"""A real Celery worker process takes a task from Redis and answers through Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from app.accounts import create_gate


@pytest.fixture()
def worker(test_env, db, redis_client, repo_root, tmp_path):
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo", "--loglevel", "INFO"],
        cwd=repo_root,
        env={**os.environ, **test_env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.mark.slow
def test_ping_round_trip_through_a_real_worker(app, db, worker) -> None:
    create_gate("Front", "0")
    from app.tasks.health import ping

    started = time.monotonic()
    result = ping.delay()
    answer = result.get(timeout=60)
    assert answer["gates"] == 1 and answer["staff"] == 0
    assert time.monotonic() - started < 60
    assert worker.poll() is None

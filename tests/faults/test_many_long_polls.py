"""The shared Redis client serves more concurrent long polls than redis-py 8's default pool of 100 connections."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from app.gates.stream import read_gate_events
from app.redis_client import get_redis

POLLS = 150


def test_150_gates_long_polling_at_once_all_get_an_answer(app, redis_client) -> None:
    client = get_redis(app.config["REDIS_URL"])

    def poll(gate_id: int) -> tuple[list[dict], str]:
        return read_gate_events(client, gate_id, "0", wait_s=1.0)

    # Before the fix the 101st blocking read raised MaxConnectionsError (a 500 at the gate endpoint).
    with ThreadPoolExecutor(max_workers=POLLS) as pool:
        answers = list(pool.map(poll, range(1, POLLS + 1)))
    assert answers == [([], "0")] * POLLS

"""What each integrations process last reported (connected, an error and why, stopped), kept in Redis so the admin
UI can show it: a broker refusing the credentials or the TLS certificate is visible there, not only in a log."""

from __future__ import annotations

import time

import redis

STATUS_KEY = "facegate:integrations:status"
PROCESSES = ("mqtt", "webhooks")


def record_status(client: redis.Redis, process: str, state: str, detail: str) -> None:
    """Record that process (mqtt, webhooks) is in state ("ok", "error", "stopped") now, with a detail for people."""
    client.hset(f"{STATUS_KEY}:{process}", mapping={"state": state, "detail": detail[:500], "at": f"{time.time():.0f}"})


def read_statuses(client: redis.Redis) -> dict[str, dict | None]:
    """Each process's last report (state, detail, at: unix seconds), or None when it never reported."""
    statuses = {}
    for process in PROCESSES:
        raw = client.hgetall(f"{STATUS_KEY}:{process}")
        fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                  for k, v in raw.items()}  # fmt: skip
        statuses[process] = {**fields, "at": float(fields["at"])} if fields else None
    return statuses

"""A gate's HTTP client for tests and benchmarks: long-polls the gate endpoint and records what arrives, and when."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class GatePoller:
    """Long-polls a gate's events from cursor in a background thread, recording each event with its arrival time."""

    base_url: str
    gate_id: int
    token: str
    cursor: str = "0"
    received: list[tuple[float, dict]] = field(default_factory=list)
    # Failed polls (server restarting, 5xx, timeouts): retried after half a second, as a gate client would.
    errors: int = 0
    last_ok: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> GatePoller:
        """Begin polling in a background thread."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        url = f"{self.base_url}/api/gates/{self.gate_id}/events"
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self._stop.is_set():
            try:
                response = requests.get(url, params={"after": self.cursor, "wait": 1}, headers=headers, timeout=10)
                response.raise_for_status()
                body = response.json()
            except (requests.RequestException, ValueError):
                self.errors += 1
                self._stop.wait(0.5)
                continue
            now = self.last_ok = time.time()
            self.received.extend((now, event) for event in body["events"])
            self.cursor = body["cursor"]

    def stop(self) -> list[tuple[float, dict]]:
        """Stop polling; everything received."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        return self.received

"""Door reports on their way to the server: sent in order from one thread, retried until the server takes them.

While the server is unreachable, reports wait in a queue; of the repeated `open` reports of one opening only the
latest waits (the server needs only the newest), so the queue stays small however long the outage.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from gate_client.api import GateAPI, GateBadRequest, GateServerError
from gate_client.backoff import Backoff

log = logging.getLogger(__name__)

MAX_WAITING = 200


class DoorReporter:
    """Sends door reports (DoorWatcher's dicts) to the server's door endpoint from its own thread."""

    def __init__(self, api: GateAPI, retry_max: float, stop: threading.Event) -> None:
        self.api = api
        self.backoff = Backoff(maximum=retry_max)
        self._stop = stop
        self._waiting: deque[dict] = deque(maxlen=MAX_WAITING)
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._send_all, name="door-reports", daemon=True)

    def start(self) -> None:
        """Start sending."""
        self._thread.start()

    def report(self, body: dict) -> None:
        """Queue one report (a repeated `open` replaces the one of the same opening still waiting)."""
        with self._ready:
            if body["event"] == "open":
                for waiting in list(self._waiting):
                    if waiting["event"] == "open" and waiting["opened_at"] == body["opened_at"]:
                        self._waiting.remove(waiting)
            self._waiting.append(body)
            self._ready.notify()

    def pending(self) -> int:
        """How many reports wait to be sent."""
        with self._ready:
            return len(self._waiting)

    def _send_all(self) -> None:
        while not self._stop.is_set():
            with self._ready:
                while not self._waiting and not self._stop.is_set():
                    self._ready.wait(timeout=0.5)
                if self._stop.is_set():
                    return
                body = self._waiting[0]
            try:
                answer = self.api.report_door(body)
            except GateBadRequest as exc:
                log.error("door report %s refused by the server, dropped: %s", body["id"], exc)
            except GateServerError as exc:
                delay = self.backoff.next_delay()
                log.warning("door report failed (%s); retry %d in %.1f s", exc, self.backoff.failures, delay)
                self._stop.wait(delay)
                continue
            else:
                self.backoff.reset()
                for kind in answer.get("events", []):
                    if kind in ("door_forced_open", "door_held_open"):
                        log.warning("the server raised %s", kind)
            with self._ready:
                if self._waiting and self._waiting[0] is body:
                    self._waiting.popleft()

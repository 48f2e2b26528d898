"""The door contact and the request-to-exit button (gpiozero Buttons), watched by one thread and debounced.

Both are optional and wired between their pin and ground (the Pi's pull-up holds the pin high otherwise):

- the door contact (a reed switch) is closed, pulling its pin low, while the door is closed; a door that opens,
  or a cut wire, reads "open";
- the exit button pulls its pin low while pressed.

A change counts only once the input has kept its new level for `settle` seconds, so a bouncing contact gives at
most one report per settled change, never a flood. The watcher reports the door as JSON-ready dicts:
`open` when it opens (with whether the gate's relay was energised when it opened), again every `report_every`
seconds while it stays open (so the server can tell a door held open), `closed` when it closes, and `exit` for a
press of the button, which also opens the door at once (on_exit), whatever the server says.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from gpiozero import Button
from gpiozero.pins import Factory

log = logging.getLogger(__name__)

POLL_S = 0.02
# The door counts as released by the gate if its relay was energised up to this long before the contact opened.
RELAY_GRACE_S = 1.0


def iso(moment: float) -> str:
    """A time.time() value as an ISO 8601 UTC time."""
    return datetime.fromtimestamp(moment, UTC).isoformat()


class Debounced:
    """An input level that changes only after it has been steady for `settle` seconds."""

    def __init__(self, read: Callable[[], bool], settle: float, now: float) -> None:
        self.read, self.settle = read, settle
        self.level = self.candidate = read()
        self.since = now

    def update(self, now: float) -> bool:
        """Read the input; whether the settled level changed now (self.level is the new one, self.since when the
        input first showed it)."""
        raw = self.read()
        if raw != self.candidate:
            self.candidate, self.since = raw, now
        if raw != self.level and now - self.since >= self.settle:
            self.level = raw
            return True
        return False


class DoorWatcher:
    """Watches the door contact and the exit button on their own thread; report(dict) is called for each report."""

    def __init__(
        self,
        contact_pin: int | None,
        exit_pin: int | None,
        pin_factory: Factory,
        settle: float,
        report_every: float,
        relay_on_since: Callable[[float], bool],
        report: Callable[[dict], None],
        on_exit: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settle, self.report_every = settle, report_every
        self._relay_on_since, self._report, self._on_exit, self._clock = relay_on_since, report, on_exit, clock
        self._contact = Button(contact_pin, pull_up=True, pin_factory=pin_factory) if contact_pin is not None else None
        self._exit = Button(exit_pin, pull_up=True, pin_factory=pin_factory) if exit_pin is not None else None
        self._thread = threading.Thread(target=self._watch, name="door", daemon=True)
        self._stop = threading.Event()

    def start(self) -> None:
        """Read the inputs as they are now (the door's state is reported at once) and watch them from now on."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and free the pins."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        for button in (self._contact, self._exit):
            if button is not None:
                button.close()

    def _door_open(self) -> bool:
        return not self._contact.is_pressed

    def _exit_pressed(self) -> bool:
        return self._exit.is_pressed

    def _send(self, kind: str, at: float, **fields) -> None:
        self._report({"id": uuid.uuid4().hex, "event": kind, "at": iso(at), **fields})

    def _watch(self) -> None:
        now = self._clock()
        door = Debounced(self._door_open, self.settle, now) if self._contact is not None else None
        button = Debounced(self._exit_pressed, self.settle, now) if self._exit is not None else None
        opening: dict | None = None
        last_report = 0.0
        if door is not None and door.level:
            opening = {"opened_at": iso(now), "relay": self._relay_on_since(now - RELAY_GRACE_S)}
            log.warning("door is open at start (relay %s)", "energised" if opening["relay"] else "released")
            self._send("open", now, **opening)
            last_report = now
        elif door is not None:
            self._send("closed", now)  # the server learns the door's state at once
        while not self._stop.wait(POLL_S):
            now = self._clock()
            if button is not None and button.update(now) and button.level:
                log.info("exit button pressed")
                self._on_exit()
                self._send("exit", button.since)
            if door is None:
                continue
            if door.update(now):
                if door.level:
                    relay = self._relay_on_since(door.since - RELAY_GRACE_S)
                    opening = {"opened_at": iso(door.since), "relay": relay}
                    log.info("door opened (%s)", "released by the gate" if relay else "NOT released by the gate")
                    self._send("open", now, **opening)
                else:
                    opening = None
                    log.info("door closed")
                    self._send("closed", door.since)
                last_report = now
            elif opening is not None and now - last_report >= self.report_every:
                self._send("open", now, **opening)
                last_report = now

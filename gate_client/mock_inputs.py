"""Mock pins only: drive the gate's input pins (door contact, exit button) from a JSON-lines file.

Another process (a test, the demo) appends lines such as `{"pin": 23, "state": 0}` (0: low, i.e. a closed
contact or a pressed button; 1: high); the client applies each line in order, as if someone moved the door.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from gpiozero.pins.mock import MockFactory

log = logging.getLogger(__name__)

POLL_S = 0.05


class PinInputFile:
    """Follows a JSON-lines file of input levels and drives the mock factory's pins accordingly."""

    def __init__(self, factory: MockFactory, path: Path) -> None:
        self.factory, self.path = factory, Path(path)
        self._offset = 0
        self._thread: threading.Thread | None = None

    def apply_new_lines(self) -> int:
        """Apply the complete lines added since the last call; how many were applied."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return 0
        applied = 0
        while b"\n" in data:
            line, data = data.split(b"\n", 1)
            self._offset += len(line) + 1
            try:
                entry = json.loads(line)
                pin = self.factory.pin(int(entry["pin"]))
                if entry["state"]:
                    pin.drive_high()
                else:
                    pin.drive_low()
                applied += 1
            except (ValueError, KeyError, TypeError, AssertionError) as exc:
                log.error("pin input %r ignored: %s", line[:80], exc)
        return applied

    def follow(self, stop: threading.Event) -> None:
        """Apply new lines from a background thread until stop is set."""

        def run() -> None:
            while not stop.wait(POLL_S):
                self.apply_new_lines()

        self._thread = threading.Thread(target=run, name="pin-input", daemon=True)
        self._thread.start()

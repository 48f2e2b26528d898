"""The demo's doors: each gate client watches a door contact and an exit button on mock pins, driven from a file;
the back door is propped open now and then, so the live page shows its door alarms."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from demo.processes import say

CONTACT_PIN, EXIT_PIN = 23, 24
PROPPED_GATE = "Back door"
# The back door's held-open limit; it is propped open (without a face) for longer, every PROP_EVERY_S seconds.
HELD_OPEN_LIMIT_S = 10
PROP_FOR_S, PROP_EVERY_S, FIRST_PROP_S = 15.0, 120.0, 45.0


def door_settings(folder: Path) -> list[str]:
    """The [pins] lines of a demo gate's door contact and exit button (mock pins driven by folder/inputs.jsonl, the
    contact closed at start) and the input file's path."""
    inputs = folder / "inputs.jsonl"
    inputs.write_text(json.dumps({"pin": CONTACT_PIN, "state": 0}) + "\n")
    return [f"door_contact = {CONTACT_PIN}", f"exit_button = {EXIT_PIN}", f"input_file = {json.dumps(str(inputs))}"]


def set_contact(inputs: Path, door_open: bool) -> None:
    """Open or close the demo door's contact (1: the pin is high, the door open)."""
    with open(inputs, "a") as handle:
        handle.write(json.dumps({"pin": CONTACT_PIN, "state": int(door_open)}) + "\n")


class DoorProp:
    """Props the back door open now and then, without a face: a door-forced-open and a door-held-open alarm."""

    def __init__(self, inputs: Path) -> None:
        self.inputs = inputs
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="door-prop", daemon=True)

    def start(self) -> DoorProp:
        """Start propping (the first time FIRST_PROP_S from now)."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop, leaving the door closed."""
        self.stop_event.set()
        self.thread.join(timeout=5)
        set_contact(self.inputs, False)

    def _run(self) -> None:
        wait = FIRST_PROP_S
        while not self.stop_event.wait(wait):
            say(f"{PROPPED_GATE}: someone props the door open for {PROP_FOR_S:.0f} s (no face, no exit button): "
                "watch the door alarms on the live page")
            set_contact(self.inputs, True)
            if self.stop_event.wait(PROP_FOR_S):
                break
            set_contact(self.inputs, False)
            wait = PROP_EVERY_S

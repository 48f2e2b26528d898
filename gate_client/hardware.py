"""The door's hardware through gpiozero: a green LED, a red LED and the door relay, failing closed.

On a Raspberry Pi the pins are driven through RPi.GPIO (or lgpio on a Pi 5); `mock` pins (gpiozero's MockFactory)
run anywhere, optionally appending every pin change to a JSON-lines file so another process can watch them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from gpiozero import LED, OutputDevice
from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory, MockPin

log = logging.getLogger(__name__)

PIN_FACTORIES = ("rpigpio", "lgpio", "auto", "mock")
# Refusal (denied or stranger): the red LED blinks this many times, on and off for this long.
REFUSAL_BLINKS = 3
REFUSAL_BLINK_S = 0.2
# A door alarm: the red LED flashes this many times, faster.
ALARM_BLINKS = 15
ALARM_BLINK_S = 0.1


class PinFactoryError(RuntimeError):
    """The requested GPIO library cannot drive pins on this machine."""


class _RecordingMockPin(MockPin):
    """A mock pin that appends each change of its level to its factory's change log."""

    def _change_state(self, value: bool) -> bool:
        changed = super()._change_state(value)
        if changed:
            line = json.dumps({"time": time.time(), "pin": self.info.name, "state": int(value)})
            with open(self.factory.change_log, "a") as handle:
                handle.write(line + "\n")
        return changed


class RecordingMockFactory(MockFactory):
    """gpiozero's MockFactory whose pins log every level change as a JSON line to change_log."""

    def __init__(self, change_log: Path) -> None:
        super().__init__(pin_class=_RecordingMockPin)
        self.change_log = Path(change_log)


def _real_pin_factory(kind: str) -> Factory:
    # Off a Pi, `import RPi.GPIO` raises RuntimeError, not ImportError; lgpio fails with OSError or its own error.
    try:
        if kind == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        from gpiozero.pins.lgpio import LGPIOFactory

        return LGPIOFactory()
    except Exception as exc:
        raise PinFactoryError(f"{kind} pins are not available here: {type(exc).__name__}: {exc}") from exc


def make_pin_factory(kind: str, change_log: Path | None = None) -> Factory:
    """The gpiozero pin factory for kind (rpigpio, lgpio, auto, mock); PinFactoryError when it cannot work here."""
    if kind == "mock":
        log.warning("using MOCK pins: no real LED or relay is driven")
        return RecordingMockFactory(change_log) if change_log else MockFactory()
    if kind in ("rpigpio", "lgpio"):
        return _real_pin_factory(kind)
    if kind != "auto":
        raise PinFactoryError(f"unknown pin factory {kind!r}; choose one of {', '.join(PIN_FACTORIES)}")
    for candidate in ("rpigpio", "lgpio"):
        try:
            return _real_pin_factory(candidate)
        except PinFactoryError as exc:
            log.warning("%s", exc)
    log.error("no GPIO library works on this machine: falling back to MOCK pins, the door will NOT open")
    return make_pin_factory("mock", change_log)


class GateHardware:
    """The green LED, red LED and door relay of one gate; the relay is released on close and on every error."""

    def __init__(
        self, green_pin: int, red_pin: int, relay_pin: int, relay_active_low: bool, pin_factory: Factory
    ) -> None:
        self._lock = threading.RLock()
        self._generation = 0
        self._timer: threading.Timer | None = None
        # When the current opening ends (time.monotonic()), whether it is a remote hold-open, and when the relay
        # was last released (time.time()), for the door contact's "was it released when the door opened?".
        self._open_until = 0.0
        self._holding = False
        self._released_at: float | None = None
        self._relay = self._green = self._red = None
        try:
            # The relay first, created released, so that nothing can energise it before it is under control.
            self._relay = OutputDevice(
                relay_pin, active_high=not relay_active_low, initial_value=False, pin_factory=pin_factory
            )
            self._green = LED(green_pin, pin_factory=pin_factory)
            self._red = LED(red_pin, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise

    @property
    def door_open(self) -> bool:
        """Whether the relay is energised now."""
        return self._relay is not None and bool(self._relay.value)

    @property
    def holding(self) -> bool:
        """Whether a remote hold-open keeps the relay energised now."""
        return self._holding and self.door_open

    def relay_on_since(self, moment: float) -> bool:
        """Whether the relay is energised now or was at some time since `moment` (a time.time())."""
        with self._lock:
            return self.door_open or (self._released_at is not None and self._released_at >= moment)

    def open_door(self, seconds: float, hold: bool = False) -> None:
        """Energise the relay and light the green LED for `seconds`; a later call extends the opening, never
        shortens it (a face during a hold-open leaves the hold as it is). hold: this opening is a remote hold-open,
        which a lost connection to the server ends."""
        with self._lock:
            end = time.monotonic() + seconds
            if self.door_open and end <= self._open_until:
                return
            self._generation += 1
            generation = self._generation
            if self._timer is not None:
                self._timer.cancel()
            try:
                self._relay.on()
                self._green.on()
            except Exception:
                self.release()
                raise
            self._open_until, self._holding = end, hold
            self._timer = threading.Timer(seconds, self._close_after_opening, args=(generation,))
            self._timer.daemon = True
            self._timer.start()

    def _close_after_opening(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self.release()

    def refuse(self) -> None:
        """Blink the red LED (denied or stranger) without waiting for the blinks to end."""
        self._red.blink(on_time=REFUSAL_BLINK_S, off_time=REFUSAL_BLINK_S, n=REFUSAL_BLINKS, background=True)

    def alarm(self) -> None:
        """Flash the red LED fast for a few seconds (a door alarm) without waiting."""
        self._red.blink(on_time=ALARM_BLINK_S, off_time=ALARM_BLINK_S, n=ALARM_BLINKS, background=True)

    def release(self) -> None:
        """Release the relay and put the green LED out now (fail closed); safe to call at any time, from any thread."""
        with self._lock:
            self._generation += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            was_open = self.door_open
            self._open_until, self._holding = 0.0, False
            for device in (self._relay, self._green):
                if device is not None:
                    device.off()
            if was_open:
                self._released_at = time.time()
                log.info("relay released: door closed")

    def close(self) -> None:
        """Release the relay, put the LEDs out and free the pins."""
        with self._lock:
            try:
                self.release()
            finally:
                for device in (self._red, self._green, self._relay):
                    if device is not None:
                        device.close()
                self._relay = self._green = self._red = None

"""The gate client's main loop: long-poll the gate's events, act on each exactly once, keep the cursor on disk."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from gpiozero.pins import Factory

from gate_client.api import EventBatch, GateAPI, GateAuthError, GateServerError, GateTlsError
from gate_client.backoff import Backoff
from gate_client.config import ConfigError, GateConfig, load_config
from gate_client.cursor import CursorState, CursorStore
from gate_client.door import DoorWatcher
from gate_client.door_reports import DoorReporter
from gate_client.hardware import GateHardware, PinFactoryError, make_pin_factory
from gate_client.mock_inputs import PinInputFile
from gate_client.voice import Announcer

log = logging.getLogger("gate_client")


# Events the door only follows (their age does not matter) and events only the server's pages need.
STATE_EVENTS = ("lockdown", "lockdown_released", "hold_open", "hold_open_ended")
INFORMATION_EVENTS = ("gate_online", "gate_offline", "door_opened", "door_closed", "exit_pressed", "alarm_acknowledged")


def _seconds_until(text: object, now: float) -> float:
    """Seconds from now (a Unix time) until the ISO time text; 0 when it is unreadable or past."""
    try:
        return max(0.0, datetime.fromisoformat(str(text)).timestamp() - now)
    except ValueError:
        return 0.0


def event_age(event: Mapping, now: float) -> float | None:
    """Seconds between the event's timestamp and now (a Unix time); None when it has no readable timestamp."""
    try:
        return now - datetime.fromisoformat(str(event["timestamp"])).timestamp()
    except (KeyError, ValueError):
        return None


class GateClient:
    """Turns the gate's events into relay, LED and voice actions, resuming from the cursor on disk."""

    def __init__(
        self,
        config: GateConfig,
        api: GateAPI,
        hardware: GateHardware,
        announcer: Announcer,
        cursor_store: CursorStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.api = api
        self.hardware = hardware
        self.announcer = announcer
        self.cursor_store = cursor_store
        self.state = cursor_store.load()
        self.backoff = Backoff(maximum=config.retry_max)
        self._clock = clock
        # Told by the server's lockdown events; the server denies every face of a locked-down gate anyway.
        self.locked_down = False

    def handle_event(self, event: Mapping) -> None:
        """Act on one event: open the door (granted, remote unlock), blink red (denied, stranger, spoof) or flash it
        (a door alarm), follow a lockdown or hold-open, then queue the voice."""
        kind, event_id = event.get("type"), event.get("id")
        if kind in INFORMATION_EVENTS:
            log.debug("event %s (%s) is for the server's pages and integrations: nothing to do at the door",
                      event_id, kind)
            return
        if kind in STATE_EVENTS:
            # A lockdown or hold-open holds until it is changed, so it is followed whatever its age (a hold-open's
            # end is in the event, by the clock).
            self._follow_state(event)
            return
        age = event_age(event, self._clock())
        if self.config.max_event_age and (age is None or age > self.config.max_event_age):
            described = "no readable timestamp" if age is None else f"{age:.0f} s old"
            log.warning("skipped event %s (%s): %s, too old to act on", event_id, kind, described)
            return
        if kind in ("granted", "remote_unlock") and self.locked_down:
            self.hardware.refuse()
            log.warning("handled event %s (%s): refused, the gate is locked down", event_id, kind)
        elif kind in ("granted", "remote_unlock"):
            self.hardware.open_door(self.config.open_seconds)
            seconds, by = self.config.open_seconds, event.get("direction") or f"by {event.get('by')}"
            log.info("handled event %s (%s, %s): door open for %g s", event_id, kind, by, seconds)
        elif kind in ("denied", "stranger", "spoof"):
            self.hardware.refuse()
            log.info("handled event %s (%s): refused", event_id, kind)
        elif kind in ("door_forced_open", "door_held_open"):
            self.hardware.alarm()
            log.warning("handled event %s: ALARM %s", event_id, event.get("reason") or kind)
        else:
            log.warning("skipped event %s of unknown type %r", event_id, kind)
            return
        if event.get("voice") is True:
            self.announcer.announce(event)

    def _follow_state(self, event: Mapping) -> None:
        kind, event_id, by = event.get("type"), event.get("id"), event.get("by")
        if kind == "lockdown":
            self.locked_down = True
            self.hardware.release()
            log.warning("event %s: LOCKDOWN by %s: no face or remote unlock opens the door; the exit button does",
                        event_id, by)
        elif kind == "lockdown_released":
            self.locked_down = False
            log.info("event %s: lockdown released by %s", event_id, by)
        elif kind == "hold_open_ended":
            if self.hardware.holding:
                self.hardware.release()
            log.info("event %s: hold-open ended by %s", event_id, by)
        elif self.locked_down:
            log.warning("event %s: hold-open refused, the gate is locked down", event_id)
        else:
            remaining = _seconds_until(event.get("until"), self._clock())
            if remaining > 0:
                self.hardware.open_door(remaining, hold=True)
                log.info("event %s: door held open by %s for %.0f s (until %s)", event_id, by, remaining,
                         event.get("until"))
            else:
                log.info("event %s: hold-open already over (until %s)", event_id, event.get("until"))

    def exit_pressed(self) -> None:
        """The exit button was pressed: open the door, whatever the server says (in a lockdown too)."""
        self.hardware.open_door(self.config.open_seconds)
        log.info("exit button: door open for %g s", self.config.open_seconds)

    def handle_batch(self, batch: EventBatch) -> None:
        """Handle each event of batch not handled yet, saving the cursor after each one and after the batch."""
        for event in batch.events:
            event_id = str(event.get("id"))
            if event_id in self.state.handled:
                log.info("event %s was handled before the restart: not acting on it again", event_id)
                continue
            try:
                self.handle_event(event)
            except Exception:
                self.hardware.release()
                log.exception("failed to handle event %s: relay released", event_id)
            finally:
                # Also when SIGTERM interrupts the handling: an event is acted on at most once (fail closed).
                self._advance(CursorState(self.state.after, (*self.state.handled, event_id)))
        if batch.cursor != self.state.after or self.state.handled:
            self._advance(CursorState(batch.cursor))

    def _advance(self, state: CursorState) -> None:
        self.state = state
        try:
            self.cursor_store.save(state)
        except OSError as exc:
            log.error("cannot save the cursor to %s (%s): a reboot would replay events", self.cursor_store.path, exc)

    def run(self, stop: threading.Event) -> None:
        """Poll until stop is set, retrying with backoff and jitter whenever the server fails; never raises for it."""
        while not stop.is_set():
            try:
                batch = self.api.fetch_events(self.state.after, self.config.poll_wait)
            except GateServerError as exc:
                if self.hardware.holding:
                    self.hardware.release()
                    log.warning("connection to the server lost: hold-open ended, relay released (fail closed)")
                delay = self.backoff.next_delay()
                level = logging.ERROR if isinstance(exc, GateAuthError | GateTlsError) else logging.WARNING
                log.log(level, "server request failed (%s); retry %d in %.1f s", exc, self.backoff.failures, delay)
                stop.wait(delay)
                continue
            if self.backoff.failures:
                log.info("server reachable again after %d failed request(s)", self.backoff.failures)
                self.backoff.reset()
            self.handle_batch(batch)


class Heartbeat:
    """A background thread that tells the server every `interval` seconds that the gate is alive."""

    def __init__(self, api: GateAPI, interval: float, stop: threading.Event) -> None:
        self.api = api
        self.interval = interval
        self.stop = stop
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Start beating (the first beat at once)."""
        self.thread.start()

    def _beat(self) -> None:
        failing = False
        while not self.stop.is_set():
            try:
                self.api.heartbeat()
            except GateServerError as exc:
                if not failing:
                    level = logging.ERROR if isinstance(exc, GateAuthError | GateTlsError) else logging.WARNING
                    log.log(level, "heartbeat failed (%s); retrying every %g s", exc, self.interval)
                failing = True
            else:
                if failing:
                    log.info("heartbeat delivered again")
                failing = False
            self.stop.wait(self.interval)


def log_transport(config: GateConfig) -> None:
    """Say at start how the server is reached: verified HTTPS, or plain HTTP because allow_insecure is set."""
    if config.server_url.startswith("https://"):
        log.info("server certificate verified against %s", config.ca_file or "the system's CAs")
    else:
        log.warning("allow_insecure = true: plain HTTP to %s; the gate token and its events cross the network "
                    "unencrypted and unauthenticated", config.server_url)  # fmt: skip


class _Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler to leave whatever it is doing (a BaseException, like
    KeyboardInterrupt, so that no `except Exception` swallows it)."""


def watch_door(
    config: GateConfig, factory: Factory, hardware: GateHardware, client: GateClient, stop: threading.Event
) -> DoorWatcher | None:
    """Start watching the door contact and exit button (None when the gate has neither), reporting to the server."""
    if config.door_contact_pin is None and config.exit_button_pin is None:
        return None
    ca_file = str(config.ca_file) if config.ca_file else None
    api = GateAPI(config.server_url, config.gate_id, config.token, ca_file=ca_file)
    reporter = DoorReporter(api, config.retry_max, stop)
    reporter.start()
    door = DoorWatcher(
        config.door_contact_pin, config.exit_button_pin, factory, config.door_settle, config.door_report_every,
        hardware.relay_on_since, reporter.report, client.exit_pressed,
    )
    if config.pin_input is not None:
        inputs = PinInputFile(factory, config.pin_input)
        inputs.apply_new_lines()  # the inputs' levels at start, before the door's first reading
        inputs.follow(stop)
    door.start()
    log.info("watching the door contact (pin %s) and exit button (pin %s)", config.door_contact_pin,
             config.exit_button_pin)
    return door


def main(argv: list[str] | None = None) -> int:
    """Run the gate client until SIGTERM or Ctrl-C; the relay is released whenever it stops."""
    try:
        config, options = load_config(argv)
    except ConfigError as exc:
        print(f"gate_client: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        factory = make_pin_factory(config.pins, config.pin_log)
        hardware = GateHardware(config.green_pin, config.red_pin, config.relay_pin, config.relay_active_low, factory)
    except (PinFactoryError, ValueError, OSError) as exc:
        log.error("cannot drive the gate's pins: %s", exc)
        return 3
    if options.release:
        hardware.close()
        log.info("relay released (pin %d)", config.relay_pin)
        return 0

    def on_sigterm(signum: int, frame: object) -> None:
        hardware.release()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Terminated

    signal.signal(signal.SIGTERM, on_sigterm)
    stop = threading.Event()
    announcer = Announcer(config.voice, config.wav_dir, config.player)
    ca_file = str(config.ca_file) if config.ca_file else None
    api = GateAPI(config.server_url, config.gate_id, config.token, ca_file=ca_file)
    client = GateClient(config, api, hardware, announcer, CursorStore(config.cursor_file))
    log_transport(config)
    log.info("gate %d polling %s from cursor %s", config.gate_id, config.server_url, client.state.after)
    Heartbeat(GateAPI(config.server_url, config.gate_id, config.token, ca_file=ca_file), config.heartbeat_interval,
              stop).start()  # fmt: skip
    door = watch_door(config, factory, hardware, client, stop)
    try:
        client.run(stop)
    except (_Terminated, KeyboardInterrupt):
        log.info("stopping")
    finally:
        stop.set()
        if door is not None:
            door.stop()
        hardware.close()
        log.info("relay released, gate client stopped")
        announcer.stop()
        api.close()
    return 0

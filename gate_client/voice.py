"""Voice announcements with pyttsx3 (espeak-ng on the Pi), spoken in their own thread so they never delay the door.

Every phrase is rendered to a WAV file first and checked to hold audio; the `speaker` mode then plays it (aplay),
the `wav` mode keeps it (for the demo and the tests).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shlex
import subprocess
import tempfile
import threading
import wave
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

VOICE_MODES = ("speaker", "wav", "off")
NOT_ALLOWED = "You are not allowed to enter this area."
# What the gate says for the server's denial reasons (an event's "reason"), by the reason's first words.
REFUSALS = (
    ("outside schedule", "You are not allowed in at this time."),
    ("holiday", "The site is closed today for a holiday."),
    ("anti-passback", "You were not seen leaving. Please see reception."),
    ("pass expired", "Your visitor pass has expired."),
    ("pass not yet valid", "Your visitor pass is not valid yet."),
    ("gate locked down", "This door is locked down."),
)
# What the gate says for a door alarm the server raised.
WARNINGS = {
    "door_forced_open": "Warning. This door was forced open. Security has been alerted.",
    "door_held_open": "Please close the door.",
}
SPOOF_REFUSED = "Photos and screens are not accepted. Please look at the camera yourself."
# pyttsx3's espeak driver finishes asynchronously and now and then drops an utterance: wait, check, retry.
RENDER_TIMEOUT_S = 15.0
RENDER_ATTEMPTS = 3
PLAY_TIMEOUT_S = 30.0
QUEUE_SIZE = 8


class SpeechError(RuntimeError):
    """Speech could not be rendered or played."""


def phrase_for(event: Mapping) -> str | None:
    """What the gate says for event: a welcome, a goodbye or a refusal; None for an unknown kind of event."""
    first_name = str(event.get("first_name") or "").strip() or str(event.get("name") or "").strip().split(" ")[0]
    hello = f"Hello, {first_name}." if first_name else "Hello."
    kind = event.get("type")
    if kind == "granted":
        if event.get("direction") == "out":
            return f"Goodbye, {first_name}." if first_name else "Goodbye."
        if event.get("direction") == "in":
            return f"Welcome, {first_name}." if first_name else "Welcome."
        return hello
    if kind == "denied":
        return f"{hello} {refusal_for(str(event.get('reason') or ''))}"
    if kind == "stranger":
        return f"Hello. {NOT_ALLOWED}"
    if kind == "spoof":
        # A photo of someone held to the camera: say nothing of whom it resembled.
        return SPOOF_REFUSED
    return WARNINGS.get(str(kind))


def refusal_for(reason: str) -> str:
    """The words for a denial reason; the plain refusal for "not cleared for this gate" or an unknown reason."""
    return next((words for prefix, words in REFUSALS if reason.startswith(prefix)), NOT_ALLOWED)


def wav_duration(path: Path) -> float:
    """The length in seconds of the WAV file at path; 0.0 when it is missing, empty or not a WAV file."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, EOFError, wave.Error, ZeroDivisionError):
        return 0.0


def _pyttsx3_engine():
    import pyttsx3

    return pyttsx3.init()


class Pyttsx3Renderer:
    """Renders text to WAV files with one pyttsx3 engine; use it from one thread only."""

    def __init__(self, engine_factory: Callable[[], object] = _pyttsx3_engine) -> None:
        self._engine = engine_factory()
        self._finished = threading.Event()
        self._engine.connect("finished-utterance", self._on_finished)

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        self._finished.set()

    def render(self, text: str, path: Path) -> float:
        """Write text as speech to the WAV file at path and return its length in seconds; SpeechError on failure."""
        for attempt in range(1, RENDER_ATTEMPTS + 1):
            self._finished.clear()
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
            if not self._finished.wait(RENDER_TIMEOUT_S):
                raise SpeechError(f"the speech engine did not finish {text!r} within {RENDER_TIMEOUT_S:g} s")
            duration = wav_duration(path)
            if duration > 0:
                return duration
            log.warning("speech engine produced no audio for %r (attempt %d of %d)", text, attempt, RENDER_ATTEMPTS)
        raise SpeechError(f"the speech engine produced no audio for {text!r}")


class Announcer:
    """A queue of announcements worked off by one thread: `speaker` plays them, `wav` keeps them in wav_dir."""

    def __init__(
        self,
        mode: str,
        wav_dir: Path | None = None,
        player: str = "aplay -q",
        renderer_factory: Callable[[], Pyttsx3Renderer] = Pyttsx3Renderer,
    ) -> None:
        if mode not in VOICE_MODES:
            raise ValueError(f"unknown voice mode {mode!r}; choose one of {', '.join(VOICE_MODES)}")
        if mode == "wav" and wav_dir is None:
            raise ValueError("the wav voice mode needs a wav_dir")
        self.mode = mode
        self.wav_dir = Path(wav_dir) if wav_dir else None
        self._player = shlex.split(player)
        self._renderer_factory = renderer_factory
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread = threading.Thread(target=self._work, name="voice", daemon=True)
        if mode != "off":
            self._thread.start()

    def announce(self, event: Mapping) -> bool:
        """Queue the phrase for event without waiting; False when there is nothing to say or the queue is full."""
        text = phrase_for(event)
        if self.mode == "off" or text is None:
            return False
        try:
            self._queue.put_nowait((dict(event), text))
        except queue.Full:
            log.warning("voice queue full: not announcing event %s", event.get("id"))
            return False
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Let the thread finish what is queued (for up to timeout seconds) and end it."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _work(self) -> None:
        renderer = None
        while (item := self._queue.get()) is not None:
            event, text = item
            try:
                renderer = renderer or self._renderer_factory()
                self._say(renderer, event, text)
            except Exception as exc:
                log.error("speech failed for event %s (%r): %s: %s", event.get("id"), text, type(exc).__name__, exc)

    def _say(self, renderer: Pyttsx3Renderer, event: dict, text: str) -> None:
        target_dir = self.wav_dir if self.mode == "wav" else None
        if target_dir is not None:
            target_dir.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".speech-", suffix=".wav", dir=target_dir)
        os.close(fd)
        temp = Path(temp_name)
        try:
            duration = renderer.render(text, temp)
            if self.mode == "wav":
                path = self.wav_dir / f"{_safe(event.get('id'))}-{_safe(event.get('type'))}.wav"
                temp.replace(path)
                log.info("speech for event %s rendered to %s (%.1f s): %r", event.get("id"), path, duration, text)
            else:
                command = [*self._player, str(temp)]
                played = subprocess.run(command, timeout=PLAY_TIMEOUT_S, capture_output=True, text=True)
                if played.returncode != 0:
                    raise SpeechError(f"{self._player[0]} exited with {played.returncode}: {played.stderr.strip()}")
                log.info("said %r for event %s", text, event.get("id"))
        finally:
            temp.unlink(missing_ok=True)


def _safe(value: object) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(value))[:64] or "event"

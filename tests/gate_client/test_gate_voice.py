"""Voice: the phrase for each event, real pyttsx3/espeak-ng WAV files, and failing speech that leaves the door alone."""

from __future__ import annotations

import array
import shlex
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from gate_client.api import GateAPI
from gate_client.client import GateClient
from gate_client.config import build_config
from gate_client.cursor import CursorStore
from gate_client.voice import Announcer, Pyttsx3Renderer, phrase_for, wav_duration

RELAY = 22  # as in the `hardware` fixture


def event(kind: str, direction: str | None = None, first_name: str | None = "Ada", voice: bool = True) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "type": kind,
        "gate_id": 1,
        "staff_id": None if kind == "stranger" else "E042",
        "name": None if kind == "stranger" else f"{first_name} Lovelace",
        "first_name": None if kind == "stranger" else first_name,
        "direction": direction,
        "timestamp": datetime.now(UTC).isoformat(),
        "voice": voice,
    }


def test_phrases_follow_the_source_system() -> None:
    assert phrase_for(event("granted", "in")) == "Welcome, Ada."
    assert phrase_for(event("granted", "out")) == "Goodbye, Ada."
    assert phrase_for(event("denied")) == "Hello, Ada. You are not allowed to enter this area."
    assert phrase_for(event("stranger")) == "Hello. You are not allowed to enter this area."
    # A photo held to the camera: refused without naming the person it resembled.
    assert phrase_for(event("spoof")) == "Photos and screens are not accepted. Please look at the camera yourself."
    assert phrase_for({**event("denied"), "first_name": None, "name": "Grace Hopper"}).startswith("Hello, Grace.")
    assert phrase_for({**event("granted", "in"), "first_name": None, "name": None}) == "Welcome."
    assert phrase_for({**event("granted"), "type": "opened"}) is None


def test_a_denial_says_why_in_words() -> None:
    def said(reason: str | None) -> str:
        return phrase_for({**event("denied"), "reason": reason})

    assert said("not cleared for this gate") == "Hello, Ada. You are not allowed to enter this area."
    assert said("outside schedule Office hours") == "Hello, Ada. You are not allowed in at this time."
    assert said("holiday Christmas") == "Hello, Ada. The site is closed today for a holiday."
    assert said("anti-passback") == "Hello, Ada. You were not seen leaving. Please see reception."
    assert said("pass expired") == "Hello, Ada. Your visitor pass has expired."
    assert said("pass not yet valid") == "Hello, Ada. Your visitor pass is not valid yet."
    assert said(None) == said("something new") == "Hello, Ada. You are not allowed to enter this area."


def rms(path) -> float:
    """Root mean square of a 16-bit mono WAV file's samples."""
    import wave

    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return (sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5


@pytest.mark.slow
def test_each_event_type_renders_a_wav_of_plausible_length(tmp_path, wait_for) -> None:
    announcer = Announcer("wav", tmp_path)
    events = [event("granted", "in"), event("granted", "out"), event("denied"), event("stranger")]
    try:
        for item in events:
            assert announcer.announce(item)
        paths = [tmp_path / f"{item['id']}-{item['type']}.wav" for item in events]
        wait_for(lambda: all(path.exists() for path in paths), timeout=60)
    finally:
        announcer.stop()
    for item, path in zip(events, paths, strict=True):
        seconds, words = wav_duration(path), len(phrase_for(item).split())
        # espeak-ng speaks 150-230 words a minute, plus a short pause at the end.
        assert 0.15 * words <= seconds <= 0.6 * words + 1.0, f"{path.name}: {seconds:.2f} s for {words} words"
        assert rms(path) > 300, f"{path.name} is silent"
    welcome, goodbye, denied, stranger = (wav_duration(path) for path in paths)
    assert denied > 1.5 * welcome and stranger > 1.5 * goodbye
    assert not list(tmp_path.glob(".speech-*")), "no half-rendered files are left behind"


def test_voice_flag_off_or_mode_off_says_nothing(tmp_path) -> None:
    announcer = Announcer("off")
    assert not announcer.announce(event("granted", "in"))
    assert not Announcer("wav", tmp_path).announce({**event("granted"), "type": "unknown"})


class HangingEngine:
    """A pyttsx3 engine stand-in whose synthesis never finishes (a wedged audio device)."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def connect(self, topic, callback) -> None:
        pass

    def save_to_file(self, text, path) -> None:
        pass

    def runAndWait(self) -> None:  # noqa: N802 (pyttsx3's name)
        self.released.wait(30)


def failing_engine():
    raise RuntimeError("could not initialize espeak")


def make_client(hardware, announcer, tmp_path) -> GateClient:
    config = build_config(
        {"server_url": "http://127.0.0.1:9", "allow_insecure": True, "gate_id": 1, "token": "t", "open_seconds": 0.4,
         "cursor_file": "x"}
    )
    return GateClient(config, GateAPI(config.server_url, 1, "t"), hardware, announcer, CursorStore(tmp_path / "c"))


@pytest.mark.parametrize("failure", ["hangs", "raises", "cannot write"])
def test_speech_failure_does_not_delay_or_block_the_relay(failure, tmp_path, pins, hardware, wait_for, caplog) -> None:
    engine = HangingEngine()
    factories = {
        "hangs": lambda: Pyttsx3Renderer(lambda: engine),
        "raises": lambda: Pyttsx3Renderer(failing_engine),
        "cannot write": Pyttsx3Renderer,
    }
    wav_dir = tmp_path / "speech"
    if failure == "cannot write":
        wav_dir.write_text("a file where the folder should be")
    announcer = Announcer("wav", wav_dir, renderer_factory=factories[failure])
    client = make_client(hardware, announcer, tmp_path)
    try:
        for _ in range(2):
            started = time.monotonic()
            client.handle_event(event("granted", "in"))
            assert pins.pin(RELAY).state and time.monotonic() - started < 1.0  # the hang is 30 s
            wait_for(lambda: not pins.pin(RELAY).state, timeout=3)
        if failure != "hangs":
            wait_for(lambda: "speech failed for event" in caplog.text, timeout=10)
    finally:
        engine.released.set()
        announcer.stop()
    assert [state.state for state in pins.pin(RELAY).states] == [False, True, False, True, False]


@pytest.mark.slow
def test_speaker_mode_plays_the_rendered_wav_with_the_player(tmp_path, wait_for, caplog) -> None:
    played = tmp_path / "played.wav"
    copy = f"import shutil, sys; shutil.copy(sys.argv[1], {str(played)!r})"
    announcer = Announcer("speaker", player=f"{sys.executable} -c {shlex.quote(copy)}")
    try:
        assert announcer.announce(event("granted", "out"))
        wait_for(played.exists, timeout=30)
    finally:
        announcer.stop()
    assert wav_duration(played) > 0.5 and rms(played) > 300

    broken = Announcer("speaker", player=f"{sys.executable} -c 'raise SystemExit(\"no sound card\")'")
    try:
        broken.announce(event("stranger"))
        wait_for(lambda: "speech failed for event" in caplog.text, timeout=30)
    finally:
        broken.stop()
    assert "exited with 1: no sound card" in caplog.text

"""`python -m gate_client` as a managed process, for the tests: a gate.toml written for it, mock pins that log every
change to a file, speech rendered to WAV files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from testkit.processes import ManagedProcess, python_module


def toml_value(value: object) -> str:
    """value written as a TOML value (str, bool, int, float or Path)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


class GateProcess:
    """`python -m gate_client` with a config file, mock pins logging to a file and speech rendered to WAV files.

    settings are further top-level gate.toml settings (ca_file, allow_insecure, ...).
    """

    def __init__(
        self, folder: Path, server_url: str, gate_id: int, token: str, open_seconds: float, poll_wait: float,
        **settings: object,
    ) -> None:  # fmt: skip
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.pin_log = folder / "pins.jsonl"
        self.wav_dir = folder / "speech"
        self.config = folder / "gate.toml"
        top = {"server_url": server_url, "gate_id": gate_id, "token": token, "open_seconds": open_seconds,
               "poll_wait": poll_wait, "heartbeat_interval": 1, "retry_max": 1,
               "cursor_file": folder / "cursor.json", **settings}  # fmt: skip
        self.config.write_text(
            "".join(f"{key} = {toml_value(value)}\n" for key, value in top.items())
            + f'[pins]\nfactory = "mock"\nchange_log = {toml_value(self.pin_log)}\n'
            + f'[voice]\nmode = "wav"\nwav_dir = {toml_value(self.wav_dir)}\n'
        )
        args = python_module("gate_client", "--config", str(self.config))
        self.process = ManagedProcess("gate_client", args, dict(os.environ), folder / "client.log")

    def start(self) -> None:
        """Start the client (again)."""
        self.process.start()

    def stop(self) -> int:
        """SIGTERM the client and return its exit status."""
        return self.process.stop(timeout=15)

    def log(self, run: int | None = None) -> str:
        """What the run-th run of the client logged (1: the first; None: the latest)."""
        return (self.process.current_log if run is None else self.process.log_of(run - 1)).read_text()

    def handled(self, event_id: str, run: int | None = None) -> int:
        """How many times this run of the client acted on the event."""
        return self.log(run).count(f"handled event {event_id} ")

    def pin_changes(self, pin: int) -> list[tuple[float, int]]:
        """(time, level) of every change of the BCM pin, oldest first."""
        if not self.pin_log.exists():
            return []
        rows = [json.loads(line) for line in self.pin_log.read_text().splitlines()]
        return [(row["time"], row["state"]) for row in rows if row["pin"] == f"GPIO{pin}"]

    def kill(self) -> None:
        """SIGKILL the client if it still runs."""
        self.process.kill()

"""The demo's child processes: started in their own sessions (Ctrl-C reaches only the demo, which stops them in
order), tied to the demo's life (they get SIGTERM if it dies), their output kept in a log file and partly echoed."""

from __future__ import annotations

import ctypes
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.e2e import REPO_ROOT, stop_process

PR_SET_PDEATHSIG = 1
_console = threading.Lock()
# "2026-11-28 09:31:02,123 INFO name: message" -> "09:31:02 INFO name: message"
_LOG_DATE = re.compile(r"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d),\d+ ")

Echo = Callable[[str], bool]


def say(text: str) -> None:
    """Print the demo's own output, each line marked as the demo's."""
    with _console:
        print("\n".join(f"demo: {line}".rstrip() for line in text.split("\n")), flush=True)


_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child may only call it


def _tie_to_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM when the demo dies, however it dies (Linux).
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """A started process with its name and log file."""

    name: str
    proc: subprocess.Popen
    log_path: Path
    pump: threading.Thread

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of its log file."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _pump(child_name: str, stream, log_path: Path, echo: Echo) -> None:
    with log_path.open("w") as log:
        for line in stream:
            log.write(line)
            log.flush()
            if echo(line):
                shown = _LOG_DATE.sub(r"\1 ", line.rstrip()).replace(f"{REPO_ROOT}/", "")
                with _console:
                    print(f"[{child_name}] {shown}", flush=True)


def start_child(name: str, args: list[str], env: dict[str, str], log_path: Path, echo: Echo) -> Child:
    """Start `python -m ...` args from the repo root; every output line goes to log_path, those echo accepts also to
    the console, prefixed with name."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
        preexec_fn=_tie_to_parent,
    )
    pump = threading.Thread(target=_pump, args=(name, proc.stdout, log_path, echo), name=f"pump-{name}", daemon=True)
    pump.start()
    return Child(name, proc, log_path, pump)


def stop_children(children: list[Child], timeout: float = 15.0) -> None:
    """SIGTERM each child in turn and wait for it (SIGKILL after timeout), then let its output drain."""
    for child in children:
        stop_process(child.proc, timeout)
        child.pump.join(timeout=5)
        say(f"stopped {child.name}")


def wait_for_http(url: str, child: Child, timeout: float) -> None:
    """Wait until url answers; RuntimeError when child exits first or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.log_tail()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise RuntimeError(f"{child.name} did not answer at {url} within {timeout:.0f} s; see {child.log_path}")


def matches(*words: str) -> Echo:
    """An echo filter accepting lines that contain any of words."""
    return lambda line: any(word in line for word in words)

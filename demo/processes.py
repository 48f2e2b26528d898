"""The demo's console and child processes: each child is a test kit ManagedProcess in a session of its own (Ctrl-C
reaches only the demo, which stops them in order), tied to the demo's life (it gets SIGTERM if the demo dies), its
output kept in a log file and partly echoed to the console."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from testkit.processes import REPO_ROOT, ManagedProcess, python_module

_console = threading.Lock()
# "2026-11-28 09:31:02,123 INFO name: message" -> "09:31:02 INFO name: message"
_LOG_DATE = re.compile(r"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d),\d+ ")

Echo = Callable[[str], bool]


def say(text: str) -> None:
    """Print the demo's own output, each line marked as the demo's."""
    with _console:
        print("\n".join(f"demo: {line}".rstrip() for line in text.split("\n")), flush=True)


def echo_to_console(name: str, echo: Echo) -> Callable[[str], None]:
    """A child's on_line: the lines echo accepts go to the console, prefixed with name, times shortened."""

    def on_line(line: str) -> None:
        if echo(line):
            shown = _LOG_DATE.sub(r"\1 ", line.rstrip()).replace(f"{REPO_ROOT}/", "")
            with _console:
                print(f"[{name}] {shown}", flush=True)

    return on_line


def demo_child(name: str, module_args: list[str], env: Mapping[str, str], log_path: Path, echo: Echo,
               **options) -> ManagedProcess:  # fmt: skip
    """The child `python -m <module_args>` (not started), its lines that echo accepts shown on the console."""
    return ManagedProcess(
        name, python_module(*module_args), env, log_path, on_line=echo_to_console(name, echo), own_session=True,
        **options,
    )  # fmt: skip


def stop_children(children: list[ManagedProcess], timeout: float = 15.0) -> None:
    """SIGTERM each child in turn and wait for it (SIGKILL after timeout), saying so."""
    for child in children:
        child.stop(timeout)
        say(f"stopped {child.name}")


def matches(*words: str) -> Echo:
    """An echo filter accepting lines that contain any of words."""
    return lambda line: any(word in line for word in words)

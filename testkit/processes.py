"""Managed processes: the one way tests, benchmarks and the demo start, watch, stop, kill and restart facegate's
processes (the web app, workers, camera_ingest, gate clients, private servers).

A ManagedProcess runs from the repository root with its own environment, its output in a log file (and, if asked,
each line handed to on_line as well); start() waits until its ready() check passes; stop() sends SIGTERM and, after a
timeout, SIGKILL; a restart writes a new log file (name-1.log, name-2.log, ...).
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child may only call it


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, every: float = 0.1) -> float | None:
    """Call check until it is true; the time.time() it became true, or None after timeout seconds.

    An exception from check counts as not yet (a server that is still starting answers with all sorts of errors).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return time.time()
        time.sleep(every)
    return None


def http_answers(url: str, verify: str | bool = True) -> Callable[[], bool]:
    """A readiness check: whether url answers HTTP at all (any status); verify: a CA file for an https:// url."""

    def check() -> bool:
        try:
            requests.get(url, timeout=2, verify=verify)
        except requests.ConnectionError:
            return False
        return True

    return check


def port_open(port: int) -> Callable[[], bool]:
    """A readiness check: whether something accepts TCP connections on 127.0.0.1:port."""

    def check() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        return False

    return check


def _always() -> bool:
    return True


def _tie_to_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM when its parent dies, however it dies (Linux).
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ManagedProcess:
    """A child process with a name, command line, environment, log file and readiness check.

    on_line, if given, receives every output line besides the log (the demo echoes some to the console).
    own_session starts it in a session of its own, tied to this process's life: Ctrl-C in a terminal reaches only
    this process, which stops its children in order, and they get SIGTERM if it dies.
    url is where it answers HTTP, for the processes that serve (web_app).
    """

    name: str
    args: list[str]
    env: Mapping[str, str]
    log_path: Path
    ready: Callable[[], bool] = _always
    on_line: Callable[[str], None] | None = None
    own_session: bool = False
    url: str | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)
    starts: int = field(default=0, init=False)
    _pump: threading.Thread | None = field(default=None, init=False, repr=False)

    def log_of(self, start: int) -> Path:
        """The log file of the start-th start (0: log_path itself; then name-1.log, name-2.log, ...)."""
        if start == 0:
            return self.log_path
        return self.log_path.with_name(f"{self.log_path.stem}-{start}{self.log_path.suffix}")

    @property
    def current_log(self) -> Path:
        """The log file of the latest start."""
        return self.log_of(max(self.starts - 1, 0))

    def start(self, timeout: float | None = 120.0) -> float:
        """Start the process (again) and, unless timeout is None, wait until it is ready; the time.time() it was.

        RuntimeError, with the end of its log, when it exits first or is not ready within timeout seconds.
        """
        log_path = self.log_of(self.starts)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        options = {"start_new_session": True, "preexec_fn": _tie_to_parent} if self.own_session else {}
        if self.on_line is None:
            with log_path.open("w") as log:
                self.proc = subprocess.Popen(
                    self.args, cwd=REPO_ROOT, env=dict(self.env), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, **options,
                )  # fmt: skip
        else:
            self.proc = subprocess.Popen(
                self.args, cwd=REPO_ROOT, env=dict(self.env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, **options,
            )  # fmt: skip
            self._pump = threading.Thread(target=self._copy_output, args=(log_path,), name=f"pump-{self.name}")
            self._pump.daemon = True
            self._pump.start()
        return time.time() if timeout is None else self.wait_ready(timeout)

    def _copy_output(self, log_path: Path) -> None:
        with log_path.open("w") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                self.on_line(line)

    def wait_ready(self, timeout: float, every: float = 0.1) -> float:
        """Wait until the process passes its readiness check; the time.time() it did (RuntimeError: see start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited (status {self.proc.returncode}); {self.current_log} ends with:\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(Exception):
                if self.ready():
                    return time.time()
            time.sleep(every)
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s; see {self.current_log}")

    def alive(self) -> bool:
        """Whether the process is running."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait for it (SIGKILL after timeout seconds), then let its output drain; its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._pump is not None:
            self._pump.join(timeout=5)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the latest start's log."""
        if not self.current_log.exists():
            return ""
        return "\n".join(self.current_log.read_text(errors="replace").splitlines()[-lines:])


def python_module(*args: str) -> list[str]:
    """The command line `python -m <args>` with this interpreter."""
    return [sys.executable, "-m", *args]


def web_app(env: Mapping[str, str], log_path: Path, port: int | None = None, threads: bool = True,
            **options) -> ManagedProcess:  # fmt: skip
    """The web app (werkzeug, `flask run`) on 127.0.0.1:port (a free one by default), ready once /healthz answers
    (unless options name another ready check)."""
    port = port or free_port()
    args = python_module("flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload")
    if threads:
        args.append("--with-threads")
    url = f"http://127.0.0.1:{port}"
    options.setdefault("ready", http_answers(f"{url}/healthz"))
    return ManagedProcess("web", args, env, log_path, url=url, **options)


@dataclass(frozen=True)
class TlsFiles:
    """A server certificate, its private key and the CA file that verifies it."""

    cert: Path
    key: Path
    ca: Path


def gunicorn_app(
    env: Mapping[str, str], log_path: Path, port: int | None = None, workers: int = 2, threads: int = 128,
    tls: TlsFiles | None = None, **options,
) -> ManagedProcess:  # fmt: skip
    """The web app served the production way (`gunicorn -c gunicorn.conf.py wsgi:app`) on 127.0.0.1:port (a free one
    by default), over HTTPS with tls; ready once /healthz answers."""
    port = port or free_port()
    env = {**env, "FACEGATE_BIND": f"127.0.0.1:{port}", "FACEGATE_WEB_WORKERS": str(workers),
           "FACEGATE_WEB_THREADS": str(threads)}  # fmt: skip
    if tls is not None:
        env.update(FACEGATE_TLS_CERT=str(tls.cert), FACEGATE_TLS_KEY=str(tls.key))
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    args = python_module("gunicorn", "-c", str(REPO_ROOT / "gunicorn.conf.py"), "wsgi:app")
    options.setdefault("ready", http_answers(f"{url}/healthz", verify=str(tls.ca) if tls else True))
    return ManagedProcess("web", args, env, log_path, url=url, **options)


def celery_worker(
    env: Mapping[str, str], log_path: Path, processes: int = 1, queues: str | None = None, node: str | None = None,
    name: str = "worker", **options,
) -> ManagedProcess:  # fmt: skip
    """A Celery worker (`celery -A worker worker`) for queues (comma-separated; None: every queue): solo pool for
    one process, prefork for more; node names it (-n) when several run on one host."""
    pool = ["--pool", "solo"] if processes == 1 else ["--pool", "prefork", "--concurrency", str(processes)]
    args = python_module("celery", "-A", "worker", "worker", *pool, "--loglevel", "INFO")
    if queues:
        args += ["-Q", queues]
    if node:
        args += ["-n", node]
    return ManagedProcess(name, args, env, log_path, **options)

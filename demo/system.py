"""The processes the demo runs: the web app, a worker (warmed up), a gate client per gate and camera_ingest."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.redis_client import get_redis
from camera_ingest.sender import celery_sender
from demo.doors import door_settings
from demo.plan import gate_slug
from demo.processes import demo_child, echo_to_console, matches, say
from demo.site import GateAccess
from testkit.processes import ManagedProcess, celery_worker, web_app
from testkit.site import warm_up


def write_gate_config(path: Path, server_url: str, gate_id: int, token: str, voice: str) -> Path:
    """A gate client's TOML settings file (mode 0600: it holds the token), as on a Pi, with mock pins; plain HTTP on
    the loopback (allow_insecure), as the demo serves the web app."""
    folder = path.parent
    values = {
        "server_url": server_url,
        "allow_insecure": True,
        "gate_id": gate_id,
        "token": token,
        "open_seconds": 3,
        "cursor_file": str(folder / "cursor.json"),
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    folder.mkdir(parents=True, exist_ok=True)
    lines += ["[pins]", 'factory = "mock"', f"change_log = {json.dumps(str(folder / 'pins.jsonl'))}"]
    lines += door_settings(folder)
    lines += ["[voice]", f"mode = {json.dumps(voice)}", f"wav_dir = {json.dumps(str(folder / 'speech'))}"]
    folder.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def start_system(
    root: Path, port: int, workers: int, env: dict[str, str], access: list[GateAccess], face_photo: Path, voice: str,
    children: list[ManagedProcess],
) -> None:  # fmt: skip
    """Start the web app on port, `workers` worker processes, the event file writer, the gate clients and
    camera_ingest, with logs and gate settings under root, appending each process to children as it starts (so that
    all of them can be stopped)."""
    logs = root / "logs"
    problems = matches(" ERROR ", " CRITICAL ", "Traceback", "Error:")

    def start(child: ManagedProcess) -> ManagedProcess:
        children.append(child)
        child.start(timeout=None)
        return child

    say(f"starting the web app on http://127.0.0.1:{port}/")
    web = start(web_app(env, logs / "web.log", port, on_line=echo_to_console("web", problems), own_session=True))
    say("starting a Celery worker for all queues")
    worker_lines = echo_to_console("worker", lambda line: " ready." in line or problems(line))
    start(celery_worker(env, logs / "worker.log", workers, on_line=worker_lines, own_session=True))
    web.wait_ready(timeout=90)
    say("starting the event file writer (instance/demo/dataset/events/)")
    start(demo_child("events", ["flask", "--app", "wsgi", "events", "follow"], env, logs / "events.log", problems))
    for gate in access:
        config = write_gate_config(
            root / "gates" / gate_slug(gate.name) / "gate.toml", web.url, gate.gate_id, gate.token, voice
        )
        say(f"starting the gate client of {gate.name} (mock pins, voice: {voice})")
        log = logs / f"gate-{gate_slug(gate.name)}.log"
        start(demo_child(gate.name, ["gate_client", "--config", str(config)], env, log, not_espeak_chatter))
    say("the worker is loading the recognition models (a few seconds; it needs them for the first frame)")
    started = time.monotonic()
    redis_url = env["REDIS_URL"]
    warm_up(get_redis(redis_url), celery_sender(redis_url), access[0].gate_id, workers, face_photo)
    say(f"the worker is ready ({time.monotonic() - started:.0f} s)")
    say("starting camera_ingest (reads each gate's video in a loop, frames to the worker)")
    ingest_args = ["camera_ingest", "--loop", "--reload-s", "5"]
    start(demo_child("camera_ingest", ingest_args, env, logs / "camera_ingest.log", problems))


def not_espeak_chatter(line: str) -> bool:
    """Echo filter for the gate clients: everything but the speech engine's own 'Audio saved to' lines."""
    return not line.startswith("Audio saved to")

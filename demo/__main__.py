"""`python -m demo` (`make demo`): the whole of facegate on this machine, with no camera, no Pi and no MySQL.

It sets up a demo site under instance/demo (SQLite, its own Redis database), enrols three people and two gates from
a folder of face photos, and runs the web app, a worker, camera_ingest on generated looping videos and two gate
clients (mock pins, speech to WAV files) until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import cv2
import redis
from flask_migrate import upgrade

from app import create_app
from app.gates.connection import get_redis
from app.gates.in_flight import take_slot
from app.recognizers import live_classifier, recognizer_from_config
from bench.e2e import background, scene_frame, wait_drained
from camera_ingest.__main__ import celery_sender
from camera_ingest.reader import encode_jpeg
from demo.casting import cast_photos
from demo.enrol import DemoSetupError, GateAccess, set_up_site
from demo.faces import FacesError, choose_faces, faces_dir_from_env, find_faces_folder
from demo.plan import (
    ADMIN,
    GAP_S,
    GATES,
    SHOW_S,
    DemoGate,
    demo_people,
    expected_outcome,
    gate_slug,
    gate_video,
    plan_gates,
)
from demo.processes import REPO_ROOT, Child, matches, say, start_child, stop_children, wait_for_http

DEFAULT_ROOT = REPO_ROOT / "instance" / "demo"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--faces", type=Path, default=faces_dir_from_env(), help="photo folder, one sub-folder per person "
        "(default: FACEGATE_FACES_DIR, else ../shared/faces, else an earlier LFW download)",
    )  # fmt: skip
    parser.add_argument("--download-lfw", action="store_true", help="download LFW with scikit-learn if no photos")
    parser.add_argument("--reset", action="store_true", help="delete the demo site first and build it afresh")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where the demo site lives")
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="a Redis database the demo owns (emptied at each start)"
    )
    parser.add_argument("--port", type=int, default=5000, help="the web app's port on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (each loads the models once)")
    return parser.parse_args(argv)


def demo_environment(root: Path, redis_url: str) -> dict[str, str]:
    """The settings every demo process gets: everything under root, the demo's own Redis database."""
    return {
        "DATABASE_URL": f"sqlite:///{root / 'facegate.db'}",
        "REDIS_URL": redis_url,
        "FACEGATE_INSTANCE_DIR": str(root),
        "FACEGATE_DATA_DIR": str(root / "dataset"),
        "FACEGATE_MEDIA_DIR": str(root / "media"),
        "FACEGATE_MODEL_DIR": str(root / "models"),
        "PYTHONUNBUFFERED": "1",
    }


def check_services(redis_url: str, port: int) -> None:
    """SystemExit with a clear message when Redis does not answer or the web port is taken."""
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        sys.exit(f"demo: Redis does not answer at {redis_url} ({exc}); `scripts/services.sh redis` starts it")
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"demo: something already listens on 127.0.0.1:{port}; stop it or use --port")


def write_gate_config(path: Path, server_url: str, gate_id: int, token: str, voice: str) -> Path:
    """A gate client's TOML settings file (mode 0600: it holds the token), as on a Pi, with mock pins."""
    folder = path.parent
    values = {
        "server_url": server_url,
        "gate_id": gate_id,
        "token": token,
        "open_seconds": 3,
        "cursor_file": str(folder / "cursor.json"),
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    lines += ["[pins]", 'factory = "mock"', f"change_log = {json.dumps(str(folder / 'pins.jsonl'))}"]
    lines += ["[voice]", f"mode = {json.dumps(voice)}", f"wav_dir = {json.dumps(str(folder / 'speech'))}"]
    folder.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def set_up(args: argparse.Namespace) -> tuple[str, list[DemoGate], list[GateAccess]]:
    """Faces, database, admin, gates, people, model and the gates' videos; the admin password, gates and access."""
    folder = find_faces_folder(args.faces, args.download_lfw, sys.stdin.isatty())
    faces = choose_faces(folder)
    people = demo_people(faces)
    say(f"photos from {folder}: enrolling " + ", ".join(f"{sid} {p.name}" for sid, p in people.items()))
    videos = {name: gate_video(args.root / "videos", name) for name in GATES}
    flask_app = create_app()
    with flask_app.app_context():
        say(f"database {flask_app.config['SQLALCHEMY_DATABASE_URI']}: migrating")
        upgrade(directory=str(REPO_ROOT / "migrations"))
        password, access = set_up_site(people, videos, ADMIN, say)
        say("choosing held-out photos and strangers for the cameras (loading the models: a few seconds)")
        model = live_classifier(flask_app.config)
        cast = cast_photos(recognizer_from_config(flask_app.config), model, people, faces, len(GATES))
    if cast.passed_over:
        say(f"passed over {cast.passed_over} photos not recognised right in every frame (bench/e2e.py measures errors)")
    say("strangers at the gates (never enrolled): " + ", ".join(photo.parent.name for photo in cast.strangers))
    say("writing the gates' camera videos (people and a stranger come and go; they loop)")
    return password, plan_gates(cast, args.root / "videos"), access


def warm_up_worker(redis_url: str, gate_id: int, photo: Path, processes: int, timeout: float = 180) -> None:
    """Have each worker process load every model before the cameras start: send it a frame with photo's face, dated
    an hour back (one old frame decides nothing), and wait until it is processed."""
    client, send = get_redis(redis_url), celery_sender(redis_url)
    jpeg = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), 0), 85)
    for _ in range(processes):
        send(gate_id, take_slot(client, gate_id, 1000), time.time() - 3600, jpeg)
    if not wait_drained(client, gate_id, timeout):
        raise RuntimeError(f"the worker did not process a frame within {timeout:.0f} s")


def start_system(
    args: argparse.Namespace, env: dict[str, str], access: list, face_photo: Path, voice: str, children: list[Child]
) -> None:
    """Start the web app, a worker, the gate clients and camera_ingest, appending each to children as it starts."""
    logs = args.root / "logs"
    problems = matches(" ERROR ", " CRITICAL ", "Traceback", "Error:")
    say(f"starting the web app on http://127.0.0.1:{args.port}/")
    web = start_child(
        "web",
        ["-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(args.port), "--with-threads",
         "--no-reload"],
        env, logs / "web.log", problems,
    )  # fmt: skip
    children.append(web)
    pool = ["--pool", "solo"] if args.workers == 1 else ["--pool", "prefork", "--concurrency", str(args.workers)]
    say("starting a Celery worker for all queues")
    worker = start_child(
        "worker",
        ["-m", "celery", "-A", "worker", "worker", *pool, "--loglevel", "INFO"],
        env, logs / "worker.log", lambda line: " ready." in line or problems(line),
    )  # fmt: skip
    children.append(worker)
    wait_for_http(f"http://127.0.0.1:{args.port}/healthz", web, timeout=90)
    for gate in access:
        config = write_gate_config(
            args.root / "gates" / gate_slug(gate.name) / "gate.toml",
            f"http://127.0.0.1:{args.port}", gate.gate_id, gate.token, voice,
        )  # fmt: skip
        say(f"starting the gate client of {gate.name} (mock pins, voice: {voice})")
        children.append(
            start_child(gate.name, ["-m", "gate_client", "--config", str(config)], env,
                        logs / f"gate-{gate_slug(gate.name)}.log", not_espeak_chatter)
        )  # fmt: skip
    say("the worker is loading the recognition models (a few seconds; it needs them for the first frame)")
    started = time.monotonic()
    warm_up_worker(env["REDIS_URL"], access[0].gate_id, face_photo, args.workers)
    say(f"the worker is ready ({time.monotonic() - started:.0f} s)")
    say("starting camera_ingest (reads each gate's video in a loop, frames to the worker)")
    children.append(
        start_child("camera_ingest", ["-m", "camera_ingest", "--loop", "--reload-s", "5"], env,
                    logs / "camera_ingest.log", problems)
    )  # fmt: skip


def not_espeak_chatter(line: str) -> bool:
    """Echo filter for the gate clients: everything but the speech engine's own 'Audio saved to' lines."""
    return not line.startswith("Audio saved to")


def print_banner(args: argparse.Namespace, password: str, gates: list, setup_s: float) -> None:
    """What runs, where to look and what to expect."""
    base = f"http://127.0.0.1:{args.port}"
    lines = [
        f"facegate demo is running (set up in {setup_s:.0f} s).",
        f"  Admin:      {base}/login   user {ADMIN}   password {password}",
        f"  Live page:  {base}/admin/live/   (gate events and the in/out log, refreshing by itself)",
        f"  Files:      {args.root}  (logs/, gates/<gate>/speech/*.wav, videos/)",
    ]
    for gate in gates:
        walks = ", ".join(
            f"{p.staff_id or 'a stranger'} -> {expected_outcome(p.staff_id, gate.name)}" for p in gate.passes
        )
        lines.append(f"  {gate.name}: every {gate.passes[-1].end_s + GAP_S:.0f} s: {walks}")
    lines += [
        f"Each face stays {SHOW_S:.0f} s in view; a decision takes the worker a few frames (a few seconds).",
        "The gate clients print below what they would do at the door. Ctrl-C stops everything.",
    ]
    say("\n".join(lines))


def run(args: argparse.Namespace) -> int:
    """Set up, start everything, wait for Ctrl-C (or a process that fails), stop everything."""
    args.root = args.root.resolve()
    check_services(args.redis_url, args.port)
    if args.reset and args.root.exists():
        say(f"--reset: deleting {args.root}")
        shutil.rmtree(args.root)
    env = demo_environment(args.root, args.redis_url)
    os.environ.update(env)
    redis.Redis.from_url(args.redis_url).flushdb()  # no frames, windows or events left from an earlier run
    children: list[Child] = []
    status, started = 0, time.monotonic()
    try:
        password, gates, access = set_up(args)
        voice = "wav" if shutil.which("espeak-ng") or shutil.which("espeak") else "off"
        if voice == "off":
            say("espeak-ng is not installed (`make speech`): the gate clients will not render speech")
        stranger = next(p.photo for p in gates[0].passes if p.staff_id is None)
        start_system(args, {**os.environ, **env}, access, stranger, voice, children)
        print_banner(args, password, gates, time.monotonic() - started)
        while all(child.alive() for child in children):
            time.sleep(0.5)
        failed = next(child for child in children if not child.alive())
        say(f"{failed.name} exited unexpectedly; its log ({failed.log_path}) ends with:\n{failed.log_tail()}")
        status = 1
    except (FacesError, DemoSetupError) as exc:
        say(str(exc))
        status = 2
    except RuntimeError as exc:  # a process that did not come up
        say(f"cannot start the demo: {exc}")
        status = 1
    except KeyboardInterrupt:
        print()
        say("Ctrl-C: stopping everything")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the shutdown finish
        stop_children(children[::-1])  # camera_ingest first, the web app last
    return status


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the demo until Ctrl-C or SIGTERM; the exit status."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""`python -m demo` (`make demo`): the whole of facegate on this machine, with no camera, no Pi and no MySQL.

It sets up a demo site under instance/demo (SQLite, its own Redis database), enrols three people and two gates from
a folder of face photos, and runs the web app, a worker, camera_ingest on generated looping videos and two gate
clients (mock pins, speech to WAV files) until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import redis
from flask_migrate import upgrade

from app import create_app
from app.enrolment.model_store import live_classifier
from app.recognition.configured import recognizer_from_config
from demo.casting import cast_photos
from demo.doors import FIRST_PROP_S, HELD_OPEN_LIMIT_S, PROP_EVERY_S, PROP_FOR_S, PROPPED_GATE, DoorProp
from demo.faces import FacesError, choose_faces, faces_dir_from_env, find_faces_folder
from demo.mqtt import start_mqtt, watch_hint
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
from demo.processes import say, stop_children
from demo.site import DemoSetupError, GateAccess, set_up_site
from demo.system import start_system
from testkit.processes import REPO_ROOT, ManagedProcess

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
    parser.add_argument(
        "--mqtt-url", default="auto", help="publish the gates' events to this MQTT broker; auto (the default): "
        "127.0.0.1:1883, starting Mosquitto there when it is installed and not running; none: no MQTT",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def demo_environment(root: Path, redis_url: str) -> dict[str, str]:
    """The settings every demo process gets: everything under root, the demo's own Redis database."""
    return {
        "FACEGATE_DEMO": "true",
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


def print_banner(
    args: argparse.Namespace, password: str, gates: list[DemoGate], setup_s: float, mqtt_url: str | None
) -> None:
    """What runs, where to look and what to expect."""
    base = f"http://127.0.0.1:{args.port}"
    lines = [
        f"facegate demo is running (set up in {setup_s:.0f} s).",
        f"  Admin:      {base}/login   user {ADMIN}   password {password}",
        f"  Live page:  {base}/admin/live/   (gate events and the in/out log, refreshing by itself)",
        f"  Files:      {args.root}  (logs/, gates/<gate>/speech/*.wav, videos/)",
    ]
    if mqtt_url:
        lines.append(watch_hint(mqtt_url))
    for gate in gates:
        walks = ", ".join(
            f"{p.staff_id or 'a stranger'} -> {expected_outcome(p.staff_id, gate.name)}" for p in gate.passes
        )
        lines.append(f"  {gate.name}: every {gate.passes[-1].end_s + GAP_S:.0f} s: {walks}")
    lines.append(f"  {PROPPED_GATE}: propped open for {PROP_FOR_S:.0f} s every {PROP_EVERY_S:.0f} s (first in "
                 f"{FIRST_PROP_S:.0f} s): a door-held-open alarm (limit {HELD_OPEN_LIMIT_S} s), and door forced "
                 "open unless a face had just opened it (Alarms: acknowledge)")
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
    children: list[ManagedProcess] = []
    status, started, prop = 0, time.monotonic(), None
    try:
        password, gates, access = set_up(args)
        voice = "wav" if shutil.which("espeak-ng") or shutil.which("espeak") else "off"
        if voice == "off":
            say("espeak-ng is not installed (`make speech`): the gate clients will not render speech")
        stranger = next(p.photo for p in gates[0].passes if p.staff_id is None)
        start_system(args.root, args.port, args.workers, {**os.environ, **env}, access, stranger, voice, children)
        mqtt_url = start_mqtt(args.mqtt_url, args.root, {**os.environ, **env}, children)
        print_banner(args, password, gates, time.monotonic() - started, mqtt_url)
        prop = DoorProp(args.root / "gates" / gate_slug(PROPPED_GATE) / "inputs.jsonl").start()
        while all(child.alive() for child in children):
            time.sleep(0.5)
        failed = next(child for child in children if not child.alive())
        say(f"{failed.name} exited unexpectedly; its log ({failed.current_log}) ends with:\n{failed.log_tail()}")
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
        if prop is not None:
            prop.stop()
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

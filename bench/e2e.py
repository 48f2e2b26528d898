"""End-to-end benchmark of live recognition: video -> camera_ingest -> recognize workers -> gate endpoint.

`python -m bench.e2e --faces DIR [--json]` (DIR laid out like ../shared/faces: people/, strangers/). It builds a
scratch MariaDB database and uses a scratch Redis database, enrols a few people from their first photos, plays a
640x480 video in which held-out photos of them and of strangers pass the gate one at a time, and measures, with one
and with two recognition worker processes: latency from the first frame that shows the face to the event delivered
by the gate endpoint (p50, p95), frames processed per second, frames dropped, events lost/duplicated/wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import redis
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.gates.decide import pending_key, window_key
from app.gates.in_flight import in_flight_key, take_slot
from app.gates.stream import gate_stream_key
from app.recognition.configured import recognizer_from_config
from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer
from app.recognition.training import publish_classifier, train_from_vectors
from app.redis_client import get_redis
from camera_ingest.reader import FrameSender, GateReader, ReaderSettings, encode_jpeg
from camera_ingest.sender import celery_sender

REPO_ROOT = Path(__file__).resolve().parent.parent
FRAME_SIZE = (640, 480)
PHOTO_SIZE = 220
# Per-run counts that the summary adds up over the runs and the table shows.
EVENT_COUNTS = (
    "events_lost",
    "events_duplicated",
    "wrong_decisions",
    "stranger_passes",
    "stranger_granted",
    "other_face_events",
)


@dataclass(frozen=True)
class Pass:
    """One walk past the gate: who (staff ID, or None for a stranger), which photo, when it shows in the video."""

    staff_id: str | None
    photo: Path
    start_s: float
    end_s: float


# ---- the scene video -------------------------------------------------------------------------------------------


def background(size: tuple[int, int] = FRAME_SIZE, seed: int = 0) -> np.ndarray:
    """A fixed BGR 'corridor': a vertical gradient with mild texture, no faces."""
    width, height = size
    rng = np.random.default_rng(seed)
    ramp = np.linspace(70, 170, height, dtype=np.float32)[:, None, None]
    colour = np.array([1.0, 0.95, 0.85], dtype=np.float32)
    noise = rng.normal(0, 6, size=(height, width, 1)).astype(np.float32)
    return np.clip(ramp * colour + noise, 0, 255).astype(np.uint8)


def scene_frame(backdrop: np.ndarray, photo_bgr: np.ndarray | None, index: int) -> np.ndarray:
    """backdrop with photo_bgr (if any) pasted near the centre, drifting a few pixels per frame like a walker."""
    frame = backdrop.copy()
    if photo_bgr is None:
        return frame
    face = cv2.resize(photo_bgr, (PHOTO_SIZE, PHOTO_SIZE), interpolation=cv2.INTER_LINEAR)
    height, width = frame.shape[:2]
    x = (width - PHOTO_SIZE) // 2 + int(12 * np.sin(index / 6))
    y = (height - PHOTO_SIZE) // 2 + int(6 * np.cos(index / 9))
    frame[y : y + PHOTO_SIZE, x : x + PHOTO_SIZE] = face
    return frame


def one_face(recognizer: Recognizer, photo: Path) -> bool:
    """Whether the photo, as the gate's camera shows it, holds exactly one face good enough to vote."""
    frame = scene_frame(background(), cv2.imread(str(photo)), 0)
    faces = recognizer.analyse(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return len(faces) == 1 and faces[0].rejection is None


def write_scene(path: Path, passes: list[Pass], total_s: float, fps: float) -> Path:
    """Write the video: background throughout, each pass's photo on screen from its start_s to end_s."""
    backdrop = background()
    photos = {p.photo: cv2.imread(str(p.photo)) for p in passes}
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, FRAME_SIZE)
    for index in range(int(total_s * fps)):
        t = index / fps
        showing = next((p for p in passes if p.start_s <= t < p.end_s), None)
        writer.write(scene_frame(backdrop, photos[showing.photo] if showing else None, index))
    writer.release()
    return path


def plan_passes(
    people: dict[str, list[Path]], strangers: list[Path], count: int, show_s: float, gap_s: float, every: int = 4
) -> list[Pass]:
    """count passes, gap_s of nobody before each: every `every`-th a stranger, the others cycling through the people
    who have photos left."""
    passes, t, names = [], gap_s, sorted(name for name, photos in people.items() if photos)
    for i in range(count):
        if i % every == every - 1:
            staff_id, photo = None, strangers[(i // every) % len(strangers)]
        else:
            staff_id = names[i % len(names)]
            photo = people[staff_id][(i // len(names)) % len(people[staff_id])]
        passes.append(Pass(staff_id, photo, t, t + show_s))
        t += show_s + gap_s
    return passes


# ---- processes ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_process(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start args from the repo root with env, output to log_path."""
    log = log_path.open("w")
    return subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> int:
    """SIGTERM proc and wait for it (SIGKILL after timeout); its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def start_web(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """The web app (threaded werkzeug server) on a free port; the process and its base URL, once it answers."""
    port = free_port()
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload", "--with-threads"]
    proc = start_process(args, env, log_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the web app exited; see {log_path}")
        try:
            requests.get(f"{base}/healthz", timeout=2)
            return proc, base
        except requests.ConnectionError:
            time.sleep(0.3)
    stop_process(proc)
    raise RuntimeError(f"the web app did not answer within 90 s; see {log_path}")


def start_worker(env: dict[str, str], log_path: Path, processes: int = 1) -> subprocess.Popen:
    """A recognize worker: solo pool for one process, prefork for more."""
    pool = ["--pool", "solo"] if processes == 1 else ["--pool", "prefork", "--concurrency", str(processes)]
    args = [sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", "recognize", *pool, "--loglevel", "INFO"]
    return start_process(args, env, log_path)


@dataclass
class GatePoller:
    """A gate's HTTP client: long-polls the endpoint from cursor, recording each event with its arrival time."""

    base_url: str
    gate_id: int
    token: str
    cursor: str = "0"
    received: list[tuple[float, dict]] = field(default_factory=list)
    # Failed polls (server restarting, 5xx, timeouts): retried after half a second, as a gate client would.
    errors: int = 0
    last_ok: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> GatePoller:
        """Begin polling in a background thread."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        url = f"{self.base_url}/api/gates/{self.gate_id}/events"
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self._stop.is_set():
            try:
                response = requests.get(url, params={"after": self.cursor, "wait": 1}, headers=headers, timeout=10)
                response.raise_for_status()
                body = response.json()
            except (requests.RequestException, ValueError):
                self.errors += 1
                self._stop.wait(0.5)
                continue
            now = self.last_ok = time.time()
            self.received.extend((now, event) for event in body["events"])
            self.cursor = body["cursor"]

    def stop(self) -> list[tuple[float, dict]]:
        """Stop polling; everything received."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        return self.received


# ---- scoring -----------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of values, or None when there are none."""
    return float(np.percentile(values, q)) if values else None


def score_run(passes: list[Pass], playback_t0: float, received: list[tuple[float, dict]]) -> dict:
    """Match the events received to the passes (by the deciding frame's time) and count what went right and wrong."""
    starts = [p.start_s for p in passes]
    by_pass: dict[int, list[tuple[float, dict]]] = {i: [] for i in range(len(passes))}
    ids = [event["id"] for _at, event in received]
    spurious = 0
    for arrived, event in received:
        offset = datetime_seconds(event["timestamp"]) - playback_t0
        index = int(np.searchsorted(starts, offset, side="right")) - 1
        if index < 0:
            spurious += 1
        else:
            by_pass[index].append((arrived, event))
    latencies, lost, duplicated, wrong, stranger_granted, other_faces = [], 0, len(ids) - len(set(ids)), spurious, 0, 0
    mistakes = []
    for index, walk in enumerate(passes):
        events = by_pass[index]
        expected = ("granted", walk.staff_id) if walk.staff_id else ("stranger", None)
        outcomes = [(e["type"], e["staff_id"]) for _a, e in events]
        if outcomes != [expected]:
            got = [
                (*outcome, round(datetime_seconds(e["timestamp"]) - playback_t0, 2))
                for outcome, (_a, e) in zip(outcomes, events, strict=True)
            ]
            mistakes.append({"pass": index, "photo": walk.photo.name, "start_s": walk.start_s, "got": got})
        if walk.staff_id is None and any(kind == "granted" for kind, _staff in outcomes):
            stranger_granted += 1
        if not events:
            lost += 1
            continue
        matching = [arrived for (arrived, _e), outcome in zip(events, outcomes, strict=True) if outcome == expected]
        duplicated += max(0, len(matching) - 1)
        if not matching:
            wrong += 1
            continue
        # Other people in the same photo (LFW photos show some) are tracked and decided on their own.
        other_faces += len(events) - len(matching)
        latencies.append(matching[0] - (playback_t0 + walk.start_s))
    return {
        "passes": len(passes),
        "events": len(received),
        "latencies": latencies,
        "events_lost": lost,
        "events_duplicated": duplicated,
        "wrong_decisions": wrong,
        "stranger_passes": sum(1 for p in passes if p.staff_id is None),
        "stranger_granted": stranger_granted,
        "other_face_events": other_faces,
        "mistakes": mistakes,
    }


def datetime_seconds(iso: str) -> float:
    """Unix seconds of an ISO 8601 timestamp."""
    return datetime.fromisoformat(iso).timestamp()


# ---- the run -------------------------------------------------------------------------------------------------------


def scratch_environment(mysql_url: str, redis_url: str, root: Path) -> dict[str, str]:
    """Environment variables for a scratch database (created here) on mysql_url, redis_url and folders under root."""
    name = f"facegate_bench_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return {
        "DATABASE_URL": f"{mysql_url}/{name}?charset=utf8mb4",
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex,
        "FACEGATE_INSTANCE_DIR": str(root / "instance"),
        "FACEGATE_DATA_DIR": str(root / "dataset"),
        "FACEGATE_MEDIA_DIR": str(root / "media"),
        "FACEGATE_MODEL_DIR": str(root / "models"),
        "FACEGATE_BENCH_DATABASE": name,
    }


def drop_scratch(mysql_url: str, env: dict[str, str]) -> None:
    """Drop the scratch database scratch_environment created."""
    server = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{env['FACEGATE_BENCH_DATABASE']}`"))
    server.dispose()


def pick_people(faces_dir: Path, count: int, enroll: int) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """The count people with the most photos: {name: first `enroll` photos}, {name: the held-out rest}."""
    folders = sorted((faces_dir / "people").iterdir(), key=lambda d: (-len(list(d.glob("*.jpg"))), d.name))
    enrolled, held_out = {}, {}
    for folder in folders[:count]:
        photos = sorted(folder.glob("*.jpg"))
        enrolled[folder.name], held_out[folder.name] = photos[:enroll], photos[enroll:]
    return enrolled, held_out


def enroll_people(recognizer: Recognizer, enrolled: dict[str, list[Path]], model_dir: Path) -> int:
    """Train a model through the recognition core on each label's photos and publish it in model_dir; its version."""
    vectors, labels = [], []
    for label, photos in enrolled.items():
        for photo in photos:
            vector, _face = recognizer.enrolment_vector(read_image(photo))
            if len(vector):
                vectors.append(vector)
                labels.append(label)
    return publish_classifier(model_dir, train_from_vectors(np.stack(vectors), np.array(labels)))


def wait_drained(client: redis.Redis, gate_id: int, timeout: float) -> bool:
    """Wait until no frame of gate_id is in flight and no decision pending; whether that happened in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.zcard(in_flight_key(gate_id)) == 0 and client.hlen(pending_key(gate_id)) == 0:
            return True
        time.sleep(0.1)
    return False


def warm_up(client: redis.Redis, send: FrameSender, gate_id: int, processes: int, photo: Path) -> None:
    """Send a few frames showing photo, an hour in the past, so every worker process has loaded every model (the
    embedders load at the first face) before the clock starts."""
    jpeg = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), 0), 85)
    for _ in range(4 * processes):
        seq = take_slot(client, gate_id, 1000)
        send(gate_id, seq, time.time() - 3600, jpeg)
    if not wait_drained(client, gate_id, 300):
        raise RuntimeError("the workers did not process the warm-up frames")


def run_workers(
    processes: int,
    env: dict[str, str],
    gate_id: int,
    token: str,
    base_url: str,
    video: Path,
    passes: list[Pass],
    warm_up_photo: Path,
    args: argparse.Namespace,
    logs: Path,
) -> dict:
    """One measured run with `processes` worker processes: play the video through camera_ingest's reader, score it."""
    client = get_redis(env["REDIS_URL"])
    client.delete(window_key(gate_id), pending_key(gate_id))
    send = celery_sender(env["REDIS_URL"])
    worker = start_worker(env, logs / f"worker-{processes}.log", processes)
    try:
        warm_up(client, send, gate_id, processes, warm_up_photo)
        latest = client.xrevrange(gate_stream_key(gate_id), count=1)
        poller = GatePoller(base_url, gate_id, token, cursor=latest[0][0] if latest else "0").start()
        settings = ReaderSettings(fps=args.fps, max_in_flight=args.in_flight_per_worker * processes)
        reader = GateReader(gate_id, str(video), settings, client, send)
        started = time.monotonic()
        reader.start()
        reader.join()
        drained = wait_drained(client, gate_id, 120)
        elapsed = time.monotonic() - started
        time.sleep(2.0)
        received = poller.stop()
    finally:
        stop_process(worker)
    result = score_run(passes, reader.playback_started_at, received)
    result.update(
        workers=processes,
        frames_sent=reader.stats.sent,
        frames_dropped=reader.stats.dropped,
        frames_per_s=reader.stats.sent / elapsed,
        drained=drained,
    )
    return result


def run_bench(args: argparse.Namespace, env: dict[str, str], root: Path) -> tuple[dict, dict]:
    """Set up the scratch site (schema, gate, staff, model), play the scene once per worker count; summary, settings."""

    enrolled, held_out = pick_people(args.faces, args.people, args.enroll)
    strangers = sorted((args.faces / "strangers").glob("*/*.jpg"))
    passes = plan_passes(held_out, strangers, args.passes, args.show_s, args.gap_s)
    video = write_scene(root / "scene.avi", passes, passes[-1].end_s + args.gap_s, fps=25.0)
    flask_app = create_app()
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        gate, token = create_gate("Bench", str(video))
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=["Bench"])
        gate_id = gate.id
    enroll_people(recognizer_from_config(flask_app.config), enrolled, Path(env["FACEGATE_MODEL_DIR"]))
    web, base_url = start_web(env, root / "web.log")
    try:
        runs = [
            run_workers(
                int(n), env, gate_id, token, base_url, video, passes, next(iter(enrolled.values()))[0], args, root
            )
            for n in args.workers.split(",")
        ]
    finally:
        stop_process(web)
    settings = {
        "people": len(enrolled),
        "enrolled_per_person": args.enroll,
        "fps": args.fps,
        "in_flight_per_worker": args.in_flight_per_worker,
        "show_s": args.show_s,
        "gap_s": args.gap_s,
        "window_frames": flask_app.config["WINDOW_FRAMES"],
        "min_votes": flask_app.config["MIN_VOTES"],
        "pooling": flask_app.config["POOL_EMBEDDINGS"],
        "detector": flask_app.config["DETECTOR"],
        "embedder": flask_app.config["EMBEDDER"],
    }
    return summarize(runs), settings


def summarize(runs: list[dict]) -> dict:
    """The benchmark's JSON object: latency over all runs, correctness counts summed, frames/s per worker count."""
    latencies = [value for run in runs for value in run["latencies"]]
    summary = {
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "frames_per_s": runs[0]["frames_per_s"],
        "frames_per_s_by_workers": {str(run["workers"]): run["frames_per_s"] for run in runs},
        "frames_dropped": sum(run["frames_dropped"] for run in runs),
        "passes": sum(run["passes"] for run in runs),
    }
    for key in EVENT_COUNTS:
        summary[key] = sum(run[key] for run in runs)
    summary["runs"] = [
        {key: value for key, value in run.items() if key != "latencies"}
        | {"latency_p50_s": percentile(run["latencies"], 50), "latency_p95_s": percentile(run["latencies"], 95)}
        for run in runs
    ]
    return summary


def print_table(summary: dict, settings: dict) -> None:
    """The runs as a table, then the settings."""
    columns = (
        "workers",
        "passes",
        "latency_p50_s",
        "latency_p95_s",
        "frames_per_s",
        "frames_sent",
        "frames_dropped",
        *EVENT_COUNTS,
    )
    print(" | ".join(columns))
    for run in summary["runs"]:
        print(" | ".join(f"{run[c]:.3f}" if isinstance(run[c], float) else str(run[c]) for c in columns))
    for run in summary["runs"]:
        for mistake in run["mistakes"]:
            print(f"workers={run['workers']} mistake: {mistake}")
    print("settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/ and strangers/")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--passes", type=int, default=20, help="walks past the gate per run (at least 20)")
    parser.add_argument("--people", type=int, default=40, help="enrolled people (few people make loose thresholds)")
    parser.add_argument("--enroll", type=int, default=10, help="photos enrolled per person")
    parser.add_argument("--workers", default="1,2", help="worker process counts to run, comma-separated")
    parser.add_argument("--fps", type=float, default=25.0, help="frames camera_ingest samples per second")
    parser.add_argument("--in-flight-per-worker", type=int, default=2, help="camera_ingest's K, per worker process")
    parser.add_argument("--show-s", type=float, default=3.0, help="seconds each face is in view")
    parser.add_argument("--gap-s", type=float, default=3.0, help="seconds of nobody between faces")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    if args.passes < 1 or not (args.faces / "people").is_dir():
        sys.exit("need --passes >= 1 and a --faces folder with people/ and strangers/")
    redis.Redis.from_url(args.redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        root = Path(tmp)
        env = scratch_environment(args.mysql_url, args.redis_url, root)
        # Repeated people come back well after the cooldown; a face gone for gap_s ends its track.
        env |= {"FACEGATE_COOLDOWN_S": str(args.gap_s), "FACEGATE_TRACK_GAP_S": str(min(2.0, args.gap_s * 0.6))}
        os.environ.update(env)
        env = {**os.environ, **env}
        try:
            summary, settings = run_bench(args, env, root)
        finally:
            drop_scratch(args.mysql_url, env)
            redis.Redis.from_url(args.redis_url).flushdb()
    if args.json:
        print(json.dumps(summary | {"settings": settings}))
    else:
        print_table(summary, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

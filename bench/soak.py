"""Fault-injection soak: live gates while a worker, Redis, MariaDB and camera_ingest fail at known moments.

`python -m bench.soak --minutes M [--json]` starts its own Redis (AOF on, as production should run it) and its own
MariaDB on free loopback ports (never the shared servers), enrols people, serves one live MJPEG camera per gate
(the scene follows the wall clock, like a real camera, so restarting camera_ingest does not rewind it), runs the
web app, two recognize workers and camera_ingest, and long-polls every gate. At fixed fractions of the run it
SIGKILLs a worker (restarted a second later, as systemd would), restarts Redis, restarts MariaDB and restarts
camera_ingest, and measures how long until every gate is back to normal: a frame captured after the restart
processed, no decision left pending, the gate endpoint answering. Afterwards it compares the gate events and the
log rows with the scenes' ground truth (who passed which gate when).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import redis
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.extensions import db
from app.gates.decide import pending_key
from app.models import Gate, Log, Staff
from app.observability.metrics import LAST_FRAME_KEY, read_counter
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from bench.e2e import (
    REPO_ROOT,
    GatePoller,
    Pass,
    background,
    enroll_people,
    free_port,
    one_face,
    percentile,
    pick_people,
    plan_passes,
    scene_frame,
    score_run,
    scratch_environment,
    start_process,
    start_web,
    stop_process,
)
from gate_client.stream import FrameHub, make_handler

FAULTS = ("worker", "redis", "mariadb", "ingest")
# When each fault strikes, as a fraction of the run.
FAULT_AT = {"worker": 0.15, "redis": 0.35, "mariadb": 0.55, "ingest": 0.75}
# A gate not back to normal this long after a fault counts as not recovered.
RECOVERY_LIMIT_S = 90.0
CAMERA_FPS = 10.0
# Held-out photos per person checked for a single face (more than a run uses).
PHOTOS_TRIED = 6


# ---- processes and private servers -------------------------------------------------------------------------------


def wait_until(check: Callable[[], bool], timeout: float, every: float = 0.1) -> float | None:
    """Call check until it is true; the time.time() it became true, or None after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return time.time()
        except Exception:
            # A server that is still starting answers with all sorts of errors.
            pass
        time.sleep(every)
    return None


@dataclass
class Managed:
    """A process the soak starts, stops, kills and restarts: its command line, environment, log and readiness."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    ready: Callable[[], bool] = lambda: True
    proc: subprocess.Popen | None = None
    starts: int = 0

    def start(self, timeout: float = 120.0) -> float:
        """Start the process and wait until it is ready; the time it became ready."""
        log_path = self.log_path.with_name(f"{self.log_path.stem}-{self.starts}{self.log_path.suffix}")
        self.proc = start_process(self.args, self.env, log_path)
        self.starts += 1
        became_ready = wait_until(lambda: self.proc.poll() is None and self.ready(), timeout)
        if became_ready is None:
            raise RuntimeError(f"{self.name} did not become ready within {timeout:.0f} s; see {log_path}")
        return became_ready

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM and wait (SIGKILL after timeout)."""
        if self.proc is not None:
            stop_process(self.proc, timeout)

    def kill(self) -> None:
        """SIGKILL, no chance to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def private_redis(root: Path, port: int) -> Managed:
    """A Redis of our own on port, appending every write to its AOF in root so that a restart keeps the data."""
    root.mkdir(parents=True, exist_ok=True)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"]
    args += ["--appendfsync", "everysec", "--dir", str(root), "--daemonize", "no"]
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    return Managed("redis", args, dict(os.environ), root / "redis.log", ready=lambda: bool(client.ping()))


def private_mariadb(root: Path, port: int) -> Managed:
    """A MariaDB of our own on port with a fresh data directory under root (root@127.0.0.1, no password)."""
    datadir = root / "data"
    install = [
        "mariadb-install-db",
        "--no-defaults",
        f"--datadir={datadir}",
        "--auth-root-authentication-method=normal",
    ]
    subprocess.run(install, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    args = [server, "--no-defaults", f"--datadir={datadir}", f"--port={port}", "--bind-address=127.0.0.1"]
    args += [f"--socket={root / 'mysqld.sock'}", "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=1"]
    if os.geteuid() == 0:
        args.append("--user=root")
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:{port}", poolclass=sa.pool.NullPool)

    def ready() -> bool:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar() == 1

    return Managed("mariadb", args, dict(os.environ), root / "mariadb.log", ready=ready)


# ---- live cameras ------------------------------------------------------------------------------------------------


@dataclass
class SceneCamera:
    """A camera whose picture follows the wall clock: each pass's photo is in view from t0 + start_s to t0 + end_s."""

    passes: list[Pass]
    t0: float | None = None
    _index: int = 0
    _backdrop: np.ndarray = field(default_factory=background)
    _photos: dict[Path, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._photos = {walk.photo: cv2.imread(str(walk.photo)) for walk in self.passes}

    def read_jpeg(self, quality: int) -> bytes:
        """The picture of this instant as JPEG bytes (the gate_client.stream camera interface)."""
        showing = None
        if self.t0 is not None:
            t = time.time() - self.t0
            showing = next((walk for walk in self.passes if walk.start_s <= t < walk.end_s), None)
        self._index += 1
        frame = scene_frame(self._backdrop, self._photos[showing.photo] if showing else None, self._index)
        ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return buffer.tobytes()

    def close(self) -> None:
        """Nothing to release."""


def serve_camera(camera: SceneCamera) -> tuple[ThreadingHTTPServer, FrameHub, str]:
    """Serve camera as MJPEG on a free loopback port (gate_client.stream's server); the server, hub and URL."""
    hub = FrameHub(camera, CAMERA_FPS, 80)
    hub.start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hub, f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"


# ---- the system under test ---------------------------------------------------------------------------------------


@dataclass
class Site:
    """Everything the soak runs: servers, processes, cameras, gate pollers, and the ground truth per gate."""

    env: dict[str, str]
    redis_server: Managed
    mariadb: Managed
    gate_ids: list[int]
    tokens: dict[int, str]
    passes: dict[int, list[Pass]]
    cameras: dict[int, SceneCamera]
    workers: list[Managed] = field(default_factory=list)
    ingest: Managed | None = None
    pollers: dict[int, GatePoller] = field(default_factory=dict)

    @property
    def client(self) -> redis.Redis:
        """The soak's own Redis client (str replies)."""
        return get_redis(self.env["REDIS_URL"])

    def gates_normal_since(self, since: float) -> bool:
        """Whether every gate processed a frame captured after since, has nothing pending and answered a poll."""
        last_frames = self.client.hgetall(LAST_FRAME_KEY)
        for gate_id in self.gate_ids:
            if float(last_frames.get(str(gate_id), 0)) <= since or self.client.hlen(pending_key(gate_id)):
                return False
            if self.pollers[gate_id].last_ok <= since:
                return False
        return True

    def inject(self, fault: str) -> float:
        """Break one component and bring it back as production would; the time it was back."""
        if fault == "worker":
            self.workers[0].kill()
            time.sleep(1.0)
            return self.workers[0].start()
        if fault == "redis":
            self.redis_server.stop()
            return self.redis_server.start()
        if fault == "mariadb":
            self.mariadb.stop()
            return self.mariadb.start()
        if fault == "ingest":
            self.ingest.stop()
            return self.ingest.start()
        raise ValueError(f"unknown fault {fault!r}")


def set_up_site(args: argparse.Namespace, root: Path, env: dict[str, str]) -> tuple[list[int], dict, dict]:
    """Schema, gates (camera URLs filled in later), staff cleared everywhere, the model; gate ids, tokens, passes."""
    enrolled, held_out = pick_people(args.faces, args.people, args.enroll)
    flask_app = create_app()
    recognizer = recognizer_from_config(flask_app.config)
    per_pass = args.show_s + args.gap_s
    count = max(1, int(args.minutes * 60 // per_pass))
    # Photos with a second face in the background would rightly give a second decision; keep the truth simple.
    held_out = {
        name: [p for p in photos[:PHOTOS_TRIED] if one_face(recognizer, p)] for name, photos in held_out.items()
    }
    strangers = sorted((args.faces / "strangers").glob("*/*.jpg"))[: count * args.gates]
    strangers = [photo for photo in strangers if one_face(recognizer, photo)]
    names = sorted(name for name, photos in held_out.items() if photos)
    passes = {}
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        gates = [create_gate(f"Soak {index + 1}", "") for index in range(args.gates)]
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=[gate.name for gate, _token in gates])
        gate_ids = [gate.id for gate, _token in gates]
        tokens = {gate.id: token for gate, token in gates}
    for index, gate_id in enumerate(gate_ids):
        # Each gate sees its own people and strangers, so a person comes back to a gate only after the cooldown.
        people = {name: held_out[name] for name in names[index :: args.gates]}
        passes[gate_id] = plan_passes(people, strangers[index :: args.gates], count, args.show_s, args.gap_s)
    enroll_people(recognizer, enrolled, Path(env["FACEGATE_MODEL_DIR"]))
    return gate_ids, tokens, passes


def point_gates_at_cameras(urls: dict[int, str]) -> None:
    """Give each gate its camera URL (camera_ingest reads the gates' camera sources from the database)."""
    flask_app = create_app()
    with flask_app.app_context():
        for gate_id, url in urls.items():
            db.session.get(Gate, gate_id).camera_source = url
        db.session.commit()
        db.engine.dispose()


def start_system(site: Site, args: argparse.Namespace, root: Path, base_url: str) -> None:
    """The recognize workers, camera_ingest and a poller per gate; wait until every gate's frames are processed."""
    worker_args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker",
        "worker",
        "-Q",
        "recognize",
        "--pool",
        "solo",
        "-l",
        "INFO",
    ]
    site.workers = [
        Managed(f"worker{i}", [*worker_args, "-n", f"soak{i}@%h"], site.env, root / f"worker{i}.log")
        for i in range(args.workers)
    ]
    for worker in site.workers:
        worker.start()
    ingest_args = [sys.executable, "-m", "camera_ingest", "--fps", str(CAMERA_FPS), "--reload-s", "2"]
    site.ingest = Managed(
        "camera_ingest", [*ingest_args, "--max-in-flight", str(args.max_in_flight)], site.env, root / "ingest.log"
    )
    site.ingest.start()
    site.pollers = {gate_id: GatePoller(base_url, gate_id, site.tokens[gate_id]).start() for gate_id in site.gate_ids}
    # Every worker loads its models on its first frame; the clock starts once every gate is being processed.
    if wait_until(lambda: site.gates_normal_since(time.time() - 5), timeout=600, every=0.5) is None:
        raise RuntimeError(f"the gates were not processed within 10 minutes; see the logs in {root}")


def run_faults(site: Site, t0: float, duration_s: float) -> list[dict]:
    """Inject each fault at its moment, measure recovery, and let the scenes play to their end; the fault records."""
    records = []
    for fault in FAULTS:
        time.sleep(max(0.0, t0 + FAULT_AT[fault] * duration_s - time.time()))
        injected = time.time()
        back = site.inject(fault)
        normal = wait_until(lambda back=back: site.gates_normal_since(back), RECOVERY_LIMIT_S, every=0.1)
        records.append(
            {
                "fault": fault,
                "at_s": round(injected - t0, 2),
                "component_back_s": round(back - injected, 2),
                "recovery_s": None if normal is None else round(normal - injected, 2),
                "window": (injected, normal or injected + RECOVERY_LIMIT_S),
            }
        )
    time.sleep(max(0.0, t0 + duration_s - time.time()))
    return records


def scrape_metrics(base_url: str, token: str, path: Path) -> int:
    """Read /metrics as a Prometheus scraper would, keep the text at path; how many facegate samples it held."""
    response = requests.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    path.write_text(response.text)
    return sum(1 for line in response.text.splitlines() if line.startswith("facegate_"))


def wait_drained(site: Site, timeout: float = 120.0) -> bool:
    """Wait until no frame is queued or in flight and no decision is pending anywhere."""

    def drained() -> bool:
        client = site.client
        return client.llen("recognize") == 0 and all(client.hlen(pending_key(g)) == 0 for g in site.gate_ids)

    return wait_until(drained, timeout, every=0.5) is not None


# ---- scoring -----------------------------------------------------------------------------------------------------


def overlaps(walk: Pass, t0: float, windows: list[tuple[float, float]]) -> bool:
    """Whether the pass was in view during any fault window (from the fault until its gate was normal again)."""
    start, end = t0 + walk.start_s, t0 + walk.end_s
    return any(start < w_end and w_start < end for w_start, w_end in windows)


def pass_index(passes: list[Pass], t0: float, when: float) -> int | None:
    """The pass a moment belongs to: the latest that started at or before it (None before the first)."""
    starts = [t0 + walk.start_s for walk in passes]
    index = int(np.searchsorted(starts, when, side="right")) - 1
    return None if index < 0 else index


def read_rows(database_url: str) -> list[dict]:
    """Every log row with its gate, person, direction, time and decision id."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    query = sa.select(Log.gate_id, Staff.staff_id, Log.status, Log.timestamp, Log.decision_id).join(Staff)
    with engine.connect() as conn:
        rows = [row._asdict() for row in conn.execute(query.order_by(Log.timestamp, Log.id))]
    engine.dispose()
    return rows


def direction_errors(rows: list[dict]) -> int:
    """Rows whose direction is not the opposite of the same person's previous row (the first must be 'in')."""
    errors, last = 0, {}
    for row in rows:
        expected = "out" if last.get(row["staff_id"]) == "in" else "in"
        errors += row["status"] != expected
        last[row["staff_id"]] = row["status"]
    return errors


def event_file_ids(events_dir: Path) -> Counter:
    """How many times each event id appears in the JSON-lines event files."""
    ids: Counter = Counter()
    for path in events_dir.glob("events-*.jsonl"):
        ids.update(json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip())
    return ids


def score_soak(site: Site, t0: float, faults: list[dict], rows: list[dict], file_ids: Counter) -> dict:
    """Compare events, rows and event file with the passes: made, missed, lost, duplicated, wrong."""
    windows = [record["window"] for record in faults]
    received = {gate_id: poller.received for gate_id, poller in site.pollers.items()}
    events = {event["id"]: event for got in received.values() for _at, event in got}
    row_ids = Counter(row["decision_id"] for row in rows)
    totals = Counter()
    latencies, mistakes = [], []
    for gate_id in site.gate_ids:
        passes = site.passes[gate_id]
        scored = score_run(passes, t0, received[gate_id])
        latencies += scored["latencies"]
        totals.update({key: scored[key] for key in ("events_duplicated", "wrong_decisions", "stranger_granted")})
        for mistake in scored["mistakes"]:
            walk = passes[mistake["pass"]]
            disturbed = overlaps(walk, t0, windows)
            mistakes.append(mistake | {"gate": gate_id, "expected": walk.staff_id or "stranger", "fault": disturbed})
            if not mistake["got"]:
                totals["missed_during_faults" if disturbed else "decisions_missed"] += 1
        totals["decisions_expected"] += len(passes)
        totals["rows_expected"] += sum(1 for walk in passes if walk.staff_id)
        per_pass = Counter(
            pass_index(passes, t0, row["timestamp"].timestamp()) for row in rows if row["gate_id"] == gate_id
        )
        totals["rows_duplicated"] += sum(count - 1 for index, count in per_pass.items() if index is not None)
        totals["rows_outside_passes"] += per_pass.get(None, 0)
    granted = [event for event in events.values() if event["type"] == "granted"]
    return {
        "decisions_expected": totals["decisions_expected"],
        "decisions_made": len(events),
        "decisions_missed": totals["decisions_missed"],
        "missed_during_faults": totals["missed_during_faults"],
        "events_duplicated": totals["events_duplicated"]
        + sum(len(got) - len({e["id"] for _a, e in got}) for got in received.values()),
        "rows_expected": totals["rows_expected"],
        "rows_written": len(rows),
        "rows_lost": sum(1 for event in granted if event["id"] not in row_ids),
        "rows_duplicated": totals["rows_duplicated"] + totals["rows_outside_passes"],
        "rows_without_event": sum(1 for decision_id in row_ids if decision_id not in events),
        "direction_errors": direction_errors(rows),
        "event_file_missing": sum(1 for event_id in events if event_id not in file_ids),
        "event_file_duplicated": sum(count - 1 for count in file_ids.values()),
        "wrong_decisions": totals["wrong_decisions"],
        "stranger_granted": totals["stranger_granted"],
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "max_recovery_s": max(
            (r["recovery_s"] if r["recovery_s"] is not None else float("inf") for r in faults), default=None
        ),
        "faults": [{key: value for key, value in r.items() if key != "window"} for r in faults],
        "mistakes": mistakes,
    }


# ---- the run -------------------------------------------------------------------------------------------------------


def run_soak(args: argparse.Namespace, root: Path) -> dict:
    """Start everything, play the scenes with the faults, score; the soak's JSON object."""
    redis_port, mysql_port = args.redis_port or free_port(), args.mysql_port or free_port()
    redis_server = private_redis(root / "redis", redis_port)
    mariadb = private_mariadb(root / "mariadb", mysql_port)
    redis_server.start()
    mariadb.start()
    cameras, servers = {}, []
    site = None
    try:
        env = scratch_environment(
            f"mysql+pymysql://root@127.0.0.1:{mysql_port}", f"redis://127.0.0.1:{redis_port}/0", root
        )
        env |= {
            "FACEGATE_COOLDOWN_S": str(args.cooldown_s),
            "FACEGATE_METRICS_TOKEN": uuid.uuid4().hex,
            "FACEGATE_TRACK_GAP_S": str(args.track_gap_s),
            "FACEGATE_INGEST_MAX_IN_FLIGHT": str(args.max_in_flight),
        }
        os.environ.update(env)
        env = {**os.environ, **env}
        gate_ids, tokens, passes = set_up_site(args, root, env)
        urls = {}
        for gate_id in gate_ids:
            cameras[gate_id] = SceneCamera(passes[gate_id])
            server, hub, urls[gate_id] = serve_camera(cameras[gate_id])
            servers.append((server, hub))
        point_gates_at_cameras(urls)
        site = Site(env, redis_server, mariadb, gate_ids, tokens, passes, cameras)
        web, base_url = start_web(env, root / "web.log")
        try:
            start_system(site, args, root, base_url)
            t0 = time.time() + 1.0
            for camera in cameras.values():
                camera.t0 = t0
            duration = max(walk.end_s for walks in passes.values() for walk in walks) + args.gap_s
            faults = run_faults(site, t0, duration)
            scraped = scrape_metrics(base_url, env["FACEGATE_METRICS_TOKEN"], root / "metrics.txt")
            # No new frames from here on: what is queued or pending must now be finished.
            site.ingest.stop()
            drained = wait_drained(site)
            time.sleep(3.0)
            for poller in site.pollers.values():
                poller.stop()
            counters = {
                name: sum(read_counter(site.client, name).values())
                for name in (
                    "frames_received",
                    "frames_dropped",
                    "frames_sent",
                    "frame_send_errors",
                    "frames_processed",
                    "decisions",
                )
            }
        finally:
            for managed in [*(site.workers if site else []), *([site.ingest] if site and site.ingest else [])]:
                managed.stop()
            stop_process(web)
        rows = read_rows(env["DATABASE_URL"])
        result = score_soak(site, t0, faults, rows, event_file_ids(Path(env["FACEGATE_DATA_DIR"]) / "events"))
    finally:
        for server, hub in servers:
            server.shutdown()
            hub.stop()
        mariadb.stop()
        redis_server.stop()
    return result | {
        "minutes": round(duration / 60, 2),
        "gates": len(gate_ids),
        "drained": drained,
        "metrics_samples": scraped,
        "poll_errors": sum(poller.errors for poller in site.pollers.values()),
        "frames": counters,
        "settings": {
            key: getattr(args, key)
            for key in ("people", "enroll", "workers", "max_in_flight", "show_s", "gap_s", "cooldown_s", "track_gap_s")
        },
    }


def print_table(result: dict) -> None:
    """The soak's result as a short table: correctness, then each fault's recovery."""
    keys = [
        "decisions_expected",
        "decisions_made",
        "decisions_missed",
        "missed_during_faults",
        "events_duplicated",
        "rows_expected",
        "rows_written",
        "rows_lost",
        "rows_duplicated",
        "rows_without_event",
        "direction_errors",
        "event_file_missing",
        "event_file_duplicated",
        "wrong_decisions",
        "stranger_granted",
        "latency_p50_s",
        "latency_p95_s",
        "max_recovery_s",
        "poll_errors",
        "drained",
    ]
    for key in keys:
        value = result[key]
        print(f"{key:24} {value:.2f}" if isinstance(value, float) else f"{key:24} {value}")
    print("fault    at_s    component_back_s  recovery_s")
    for fault in result["faults"]:
        print(f"{fault['fault']:8} {fault['at_s']:7.1f} {fault['component_back_s']:17.2f}  {fault['recovery_s']}")
    print("frames: " + ", ".join(f"{k}={v:.0f}" for k, v in result["frames"].items()))
    for mistake in result["mistakes"]:
        print(f"mistake: {mistake}")
    print("settings: " + ", ".join(f"{k}={v}" for k, v in result["settings"].items()))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the scenes (the faults scale with it)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    default_faces = Path(os.environ.get("FACEGATE_FACES_DIR", REPO_ROOT.parent / "shared" / "faces"))
    parser.add_argument("--faces", type=Path, default=default_faces, help="folder with people/ and strangers/")
    parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--people", type=int, default=12, help="enrolled people, shared out among the gates")
    parser.add_argument("--enroll", type=int, default=8, help="photos enrolled per person")
    parser.add_argument("--workers", type=int, default=2, help="recognize worker processes (the first is killed)")
    parser.add_argument("--max-in-flight", type=int, default=2, help="camera_ingest's K per gate")
    parser.add_argument("--show-s", type=float, default=12.0, help="seconds each face is in view")
    parser.add_argument("--gap-s", type=float, default=5.0, help="seconds of nobody between faces")
    parser.add_argument("--cooldown-s", type=float, default=20.0, help="FACEGATE_COOLDOWN_S for the run")
    parser.add_argument(
        "--track-gap-s", type=float, default=3.5, help="FACEGATE_TRACK_GAP_S (below --gap-s, so walks stay apart)"
    )
    parser.add_argument("--redis-port", type=int, default=0, help="port of the soak's own Redis (default: a free one)")
    parser.add_argument("--mysql-port", type=int, default=0, help="port of the soak's own MariaDB (default: free)")
    parser.add_argument("--logs", type=Path, help="keep the logs and data here (an empty folder) instead of a temp dir")
    args = parser.parse_args(argv)
    if args.workers < 2 or args.people < 3 * args.gates or not (args.faces / "people").is_dir():
        parser.error("need --workers >= 2, --people >= 3 per gate and a --faces folder with people/ and strangers/")
    if not 0 < args.track_gap_s < args.gap_s:
        parser.error("need 0 < --track-gap-s < --gap-s (else two walks merge into one track)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its table or JSON."""
    args = parse_args(argv)
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
        result = run_soak(args, args.logs)
    else:
        with tempfile.TemporaryDirectory(prefix="facegate-soak-") as tmp:
            result = run_soak(args, Path(tmp))
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

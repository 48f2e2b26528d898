"""Fault-injection soak: live gates while a worker, Redis, MariaDB and camera_ingest fail at known moments.

`python -m bench.soak --minutes M [--json]` starts its own Redis (AOF on, as production should run it) and its own
MariaDB on free loopback ports (never the shared servers), enrols people through the enrolment service, serves one
live MJPEG camera per gate (the scene follows the wall clock, like a real camera, so restarting camera_ingest does
not rewind it), runs the web app, two recognize workers and camera_ingest, and long-polls every gate. At fixed
fractions of the run it SIGKILLs a worker (restarted a second later, as systemd would), restarts Redis, restarts
MariaDB and restarts camera_ingest, and measures how long until every gate is back to normal: a frame captured after
the restart processed, no decision left pending, the gate endpoint answering. Afterwards it compares the gate events
and the log rows with the scenes' ground truth (who passed which gate when). The servers, cameras, processes, gate
pollers and scoring are the test kit's (testkit/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.extensions import db
from app.gates.decide import pending_key
from app.models import Gate
from app.observability.metrics import LAST_FRAME_KEY, read_counter
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from testkit.cameras import SceneCamera, serve_camera
from testkit.gate_poller import GatePoller
from testkit.processes import REPO_ROOT, ManagedProcess, celery_worker, free_port, python_module, wait_until, web_app
from testkit.scenes import Pass, one_face, plan_passes
from testkit.scoring import event_file_ids, read_rows, score_soak
from testkit.servers import private_mariadb, private_redis
from testkit.site import enrol_and_train, pick_people, scratch_environment

FAULTS = ("worker", "redis", "mariadb", "ingest")
# When each fault strikes, as a fraction of the run.
FAULT_AT = {"worker": 0.15, "redis": 0.35, "mariadb": 0.55, "ingest": 0.75}
# A gate not back to normal this long after a fault counts as not recovered.
RECOVERY_LIMIT_S = 90.0
CAMERA_FPS = 10.0
# Held-out photos per person checked for a single face (more than a run uses).
PHOTOS_TRIED = 6
# How long Redis and MariaDB get to shut down cleanly before they are killed.
SERVER_STOP_S = 60.0


# ---- the system under test ---------------------------------------------------------------------------------------


@dataclass
class Site:
    """Everything the soak runs: servers, processes, cameras, gate pollers, and the ground truth per gate."""

    env: dict[str, str]
    redis_server: ManagedProcess
    mariadb: ManagedProcess
    gate_ids: list[int]
    tokens: dict[int, str]
    passes: dict[int, list[Pass]]
    cameras: dict[int, SceneCamera]
    workers: list[ManagedProcess] = field(default_factory=list)
    ingest: ManagedProcess | None = None
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
            self.redis_server.stop(SERVER_STOP_S)
            return self.redis_server.start()
        if fault == "mariadb":
            self.mariadb.stop(SERVER_STOP_S)
            return self.mariadb.start()
        if fault == "ingest":
            self.ingest.stop()
            return self.ingest.start()
        raise ValueError(f"unknown fault {fault!r}")


def set_up_site(args: argparse.Namespace, root: Path, env: dict[str, str]) -> tuple[list[int], dict, dict]:
    """Schema, gates (camera URLs filled in later), staff cleared everywhere and enrolled through the enrolment
    service, the model; gate ids, tokens, passes."""
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
        # Composited photos: liveness off, so the soak measures recognition and delivery (docs/liveness.md).
        gates = [create_gate(f"Soak {index + 1}", "", liveness="off") for index in range(args.gates)]
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=[gate.name for gate, _token in gates])
        gate_ids = [gate.id for gate, _token in gates]
        tokens = {gate.id: token for gate, token in gates}
        enrol_and_train(enrolled)
    for index, gate_id in enumerate(gate_ids):
        # Each gate sees its own people and strangers, so a person comes back to a gate only after the cooldown.
        people = {name: held_out[name] for name in names[index :: args.gates]}
        passes[gate_id] = plan_passes(people, strangers[index :: args.gates], count, args.show_s, args.gap_s)
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
    site.workers = [
        celery_worker(site.env, root / f"worker{i}.log", queues="recognize", node=f"soak{i}@%h", name=f"worker{i}")
        for i in range(args.workers)
    ]
    for worker in site.workers:
        worker.start()
    ingest_args = ["--fps", str(CAMERA_FPS), "--reload-s", "2", "--max-in-flight", str(args.max_in_flight)]
    site.ingest = ManagedProcess(
        "camera_ingest", python_module("camera_ingest", *ingest_args), site.env, root / "ingest.log"
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


def wait_recognize_queue_drained(site: Site, timeout: float = 120.0) -> bool:
    """Wait until the recognize queue is empty and no gate has a decision pending; whether that happened in time."""

    def drained() -> bool:
        client = site.client
        return client.llen("recognize") == 0 and all(client.hlen(pending_key(g)) == 0 for g in site.gate_ids)

    return wait_until(drained, timeout, every=0.5) is not None


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
            server, hub, urls[gate_id] = serve_camera(cameras[gate_id], CAMERA_FPS)
            servers.append((server, hub))
        point_gates_at_cameras(urls)
        site = Site(env, redis_server, mariadb, gate_ids, tokens, passes, cameras)
        web = web_app(env, root / "web.log")
        web.start(timeout=90)
        writer = ManagedProcess("events", python_module("flask", "--app", "wsgi", "events", "follow"), env,
                                root / "events.log")  # fmt: skip
        writer.start()
        try:
            start_system(site, args, root, web.url)
            t0 = time.time() + 1.0
            for camera in cameras.values():
                camera.t0 = t0
            duration = max(walk.end_s for walks in passes.values() for walk in walks) + args.gap_s
            faults = run_faults(site, t0, duration)
            scraped = scrape_metrics(web.url, env["FACEGATE_METRICS_TOKEN"], root / "metrics.txt")
            # No new frames from here on: what is queued or pending must now be finished.
            site.ingest.stop()
            drained = wait_recognize_queue_drained(site)
            time.sleep(3.0)
            for poller in site.pollers.values():
                poller.stop()
            writer.stop()  # it writes what was published, then stops
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
            writer.stop()
            web.stop()
        received = {gate_id: poller.received for gate_id, poller in site.pollers.items()}
        file_ids = event_file_ids(Path(env["FACEGATE_DATA_DIR"]) / "events")
        windows = [record["window"] for record in faults]
        result = score_soak(passes, received, t0, windows, read_rows(env["DATABASE_URL"]), file_ids)
    finally:
        for server, hub in servers:
            server.shutdown()
            hub.stop()
        mariadb.stop(SERVER_STOP_S)
        redis_server.stop(SERVER_STOP_S)
    recoveries = [r["recovery_s"] if r["recovery_s"] is not None else float("inf") for r in faults]
    return result | {
        "max_recovery_s": max(recoveries, default=None),
        "faults": [{key: value for key, value in r.items() if key != "window"} for r in faults],
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

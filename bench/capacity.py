"""Capacity benchmark: how many gates one box serves. N simulated gates, real workers, real gate clients.

`python -m bench.capacity --faces DIR [--gates 1,2,4,6,8,10,12] [--json]` builds a scratch site (MariaDB database,
Redis database it may flush), enrols people through the enrolment service, and renders one scene video per gate at
10 frames/s: people arriving, lingering 2-10 s and leaving, some two at a time, strangers among them, a few seconds
of nobody between visits (each gate its own random plan), a webcam's sensor noise on every frame. For each N in turn
it plays N of these videos through camera_ingest's reader at --fps each (pacing, backpressure and drops as in
production; --no-pacing sends every frame) into the recognize workers, while one gate client per gate long-polls the
gate endpoint; it stops raising N once the decision latency p50 exceeds --max-p50-s or an event is lost. Per N:
frames/s offered and processed, paced (not sent: pacing), dropped, latency from the person's first frame to the
event at the gate client (p50, p95), CPU % of the workers, of camera_ingest + gate clients (this process) and of the
web app (100 % = one core), the core's mean ms per processed frame and the workers' CPU ms per processed frame
(waiting for a busy CPU inflates the first, not the second), events lost, duplicated and wrong. The headline,
`max_gates`, is the largest N with p50 <= --max-p50-s and nothing lost; with --peer, `peer` holds bench.peer's race
with face_recognition (its frames/s ratio first), when that package is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import redis
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.gates.decide import pending_key, window_key
from app.gates.stream import gate_stream_key
from app.observability.metrics import read_histogram
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from camera_ingest.reader import GateReader, ReaderSettings
from camera_ingest.sender import celery_sender
from testkit.gate_poller import GatePoller
from testkit.processes import REPO_ROOT, ManagedProcess, celery_worker, web_app
from testkit.scenes import FRAME_SIZE, Pass, background, one_face, paste_walker
from testkit.scoring import datetime_seconds, percentile
from testkit.site import enrol_and_train, pick_people, scratch_site, wait_gate_idle, warm_up

# Where a visitor stands: alone in the middle, or two side by side.
CENTRE, LEFT, RIGHT = 320, 160, 480
STAGES = ("detect", "align", "embed", "classify")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A webcam's sensor noise, in grey levels (standard deviation per pixel and frame).
SENSOR_NOISE = 3.0


@dataclass(frozen=True)
class Visit:
    """One person in view of a gate's camera: the ground truth (a Pass) and where they stand in the picture."""

    walk: Pass
    centre_x: int


def plan_gate(rng: random.Random, people: dict[str, list[Path]], strangers: list[Path], duration_s: float,
              pair_share: float = 0.25, stranger_share: float = 0.25) -> list[Visit]:  # fmt: skip
    """A gate's visits over duration_s: 3-5 s of nobody, then one person (or two side by side, the second 0-1 s
    later) lingering 2-10 s each; a quarter of them strangers. Nobody comes back within the run."""
    names, faces = rng.sample(sorted(people), len(people)), rng.sample(strangers, len(strangers))
    visits, t = [], 0.0
    while True:
        t += rng.uniform(3.0, 5.0)
        group = 2 if rng.random() < pair_share else 1
        slots = [CENTRE] if group == 1 else [LEFT, RIGHT]
        walks = []
        for i, centre_x in enumerate(slots):
            start = t + (rng.uniform(0.0, 1.0) if i else 0.0)
            end = start + rng.uniform(2.0, 10.0)
            if rng.random() < stranger_share and faces:
                walks.append(Visit(Pass(None, faces.pop(), start, end), centre_x))
            elif names:
                name = names.pop()
                walks.append(Visit(Pass(name, rng.choice(people[name]), start, end), centre_x))
        if not walks or max(v.walk.end_s for v in walks) > duration_s:
            return visits
        visits += walks
        t = max(v.walk.end_s for v in walks)


def write_gate_scene(path: Path, visits: list[Visit], total_s: float, fps: float, seed: int) -> Path:
    """The gate's camera as a video file: the corridor, every visitor in view at their place, and a camera sensor's
    noise (a new draw each frame, sigma SENSOR_NOISE grey levels), so that no two frames of an empty corridor are
    the same."""
    backdrop = background()
    photos = {v.walk.photo: cv2.imread(str(v.walk.photo)) for v in visits}
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, FRAME_SIZE)
    for index in range(int(total_s * fps)):
        frame = backdrop.copy()
        for visit in visits:
            if visit.walk.start_s <= index / fps < visit.walk.end_s:
                paste_walker(frame, photos[visit.walk.photo], index, visit.centre_x)
        noise = rng.normal(0.0, SENSOR_NOISE, size=frame.shape).astype(np.float32)
        writer.write(np.clip(frame + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


def score_gate(visits: list[Visit], t0: float, received: list[tuple[float, dict]], slack_s: float) -> dict:
    """Match a gate's events to its visits: an event belongs to a visit in view (up to slack_s after it left) of the
    same person, or of a stranger for a stranger event; unmatched visits are lost, unmatched events wrong, further
    events of a matched visit duplicates. Latency: arrival at the gate client minus the visitor's first frame."""
    arrivals: dict[int, list[float]] = {i: [] for i in range(len(visits))}
    wrong = []
    for arrived, event in sorted(received, key=lambda item: item[0]):
        when = datetime_seconds(event["timestamp"]) - t0
        # Everyone is cleared for every gate: a person is granted, a stranger announced, nothing else is right.
        expected = {"granted": event["staff_id"], "stranger": None}.get(event["type"], "")
        candidates = [
            i for i, v in enumerate(visits)
            if v.walk.staff_id == expected and v.walk.start_s <= when <= v.walk.end_s + slack_s
        ]  # fmt: skip
        if not candidates:
            wrong.append({"type": event["type"], "staff_id": event["staff_id"], "at_s": round(when, 2)})
            continue
        # Two strangers in view at once: the one not yet announced.
        index = min(candidates, key=lambda i: (len(arrivals[i]) > 0, visits[i].walk.start_s))
        arrivals[index].append(arrived)
    lost = [v.walk for i, v in enumerate(visits) if not arrivals[i]]
    return {
        "latencies": [min(times) - (t0 + visits[i].walk.start_s) for i, times in arrivals.items() if times],
        "visits": len(visits),
        "lost": len(lost),
        "duplicated": sum(max(0, len(times) - 1) for times in arrivals.values()),
        "wrong": len(wrong),
        "mistakes": wrong + [{"lost": walk.staff_id or "stranger", "photo": walk.photo.name} for walk in lost],
    }


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live children, from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def stage_totals(client: redis.Redis) -> dict[str, tuple[float, float]]:
    """{stage: (seconds, frames)} the workers have reported so far (the recognition_stage_seconds histogram)."""
    totals = {}
    for labels, (buckets, seconds) in read_histogram(client, "recognition_stage_seconds").items():
        totals[labels[0]] = (seconds, buckets[-1][1])
    return totals


@dataclass
class Site:
    """The scratch site the runs share: gates, tokens, scenes, web app, workers."""

    env: dict[str, str]
    gates: list[tuple[int, str, Path, list[Visit]]]
    web: ManagedProcess
    workers: ManagedProcess


def run_gates(site: Site, n: int, args: argparse.Namespace) -> dict:
    """Play the first n gates' scenes at once; one table row."""
    client = get_redis(site.env["REDIS_URL"])
    gates = site.gates[:n]
    for gate_id, *_ in gates:
        client.delete(window_key(gate_id), pending_key(gate_id))
    send = celery_sender(site.env["REDIS_URL"])
    pollers = {}
    for gate_id, token, _video, _visits in gates:
        latest = client.xrevrange(gate_stream_key(gate_id), count=1)
        pollers[gate_id] = GatePoller(site.web.url, gate_id, token, cursor=latest[0][0] if latest else "0").start()
    # camera_ingest's own pacing (FACEGATE_INGEST_DECIDED_FPS, _IDLE_FPS, as `python -m camera_ingest` applies them).
    paced = {} if args.no_pacing else {"decided_fps": args.decided_fps, "idle_fps": args.idle_fps}
    settings = ReaderSettings(fps=args.fps, max_in_flight=args.in_flight, **paced)
    readers = [GateReader(gate_id, str(video), settings, client, send) for gate_id, _t, video, _v in gates]
    stages_before = stage_totals(client)
    cpu_before = cpu_seconds(site)
    started = time.monotonic()
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    played = time.monotonic() - started
    cpu = {f"cpu_{name}_pct": 100 * (used - cpu_before[name]) / played for name, used in cpu_seconds(site).items()}
    load = os.getloadavg()[0]
    drained = all(wait_gate_idle(client, gate_id, 60) for gate_id, *_ in gates)
    time.sleep(2.0)
    scores = [
        score_gate(visits, reader.playback_started_at, pollers[gate_id].stop(), args.slack_s)
        for (gate_id, _t, _video, visits), reader in zip(gates, readers, strict=True)
    ]
    stages_after = stage_totals(client)
    frames = stages_after["detect"][1] - stages_before.get("detect", (0.0, 0.0))[1]
    core_ms = sum(stages_after[s][0] - stages_before.get(s, (0.0, 0.0))[0] for s in STAGES) * 1000 / max(frames, 1)
    latencies = [value for score in scores for value in score["latencies"]]
    sent, dropped = sum(r.stats.sent for r in readers), sum(r.stats.dropped for r in readers)
    paced = sum(r.stats.paced for r in readers)
    return {
        "gates": n,
        "visits": sum(s["visits"] for s in scores),
        "offered_fps": round((sent + dropped + paced) / played, 1),
        "processed_fps": round(frames / played, 1),
        "paced": paced,
        "dropped": dropped,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "core_ms_per_frame": round(core_ms, 1),
        # CPU time, not wall time: on a busy machine the core's wall time also counts waiting for a CPU.
        "worker_cpu_ms_per_frame": round(10 * cpu["cpu_workers_pct"] / max(frames / played, 1e-9), 1),
        **{key: round(value, 1) for key, value in cpu.items()},
        "lost": sum(s["lost"] for s in scores),
        "duplicated": sum(s["duplicated"] for s in scores),
        "wrong": sum(s["wrong"] for s in scores),
        "load_avg_1m": round(load, 2),
        "drained": drained,
        "mistakes": [m | {"gate": gate[0]} for gate, s in zip(gates, scores, strict=True) for m in s["mistakes"]],
    }


def cpu_seconds(site: Site) -> dict[str, float]:
    """CPU seconds used so far by the workers (with their children), the web app (with its children) and this
    process alone, not its children (camera_ingest's readers and the gate clients)."""
    return {
        "workers": tree_cpu_seconds(site.workers.proc.pid),
        "web": tree_cpu_seconds(site.web.proc.pid),
        "ingest_and_clients": time.process_time(),
    }


def build_site(args: argparse.Namespace, env: dict[str, str], root: Path) -> tuple[Site, Path]:
    """The scratch site: people enrolled, one gate per scene (every person cleared for every gate); the site and a
    warm-up photo. The web app and workers are created, not started."""
    enrolled, held_out = pick_people(args.faces, args.people, args.enroll)
    flask_app = create_app()
    recognizer = recognizer_from_config(flask_app.config)
    rng = random.Random(args.seed)
    people = {name: [p for p in photos[: args.photos_tried] if one_face(recognizer, p)]
              for name, photos in held_out.items()}  # fmt: skip
    people = {name: photos for name, photos in people.items() if photos}
    strangers = sorted((args.faces / "strangers").glob("*/*.jpg"))
    strangers = [p for p in rng.sample(strangers, min(len(strangers), args.strangers)) if one_face(recognizer, p)]
    gates = []
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        for index in range(max(args.gate_counts)):
            visits = plan_gate(random.Random(args.seed * 1000 + index), people, strangers, args.duration_s)
            video = write_gate_scene(root / f"gate-{index}.avi", visits, args.duration_s, args.fps, args.seed + index)
            gate, token = create_gate(f"Capacity {index}", str(video))
            gates.append((gate.id, token, video, visits))
        names = [f"Capacity {index}" for index in range(len(gates))]
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=names)
        enrol_and_train(enrolled)
    web = web_app(env, root / "web.log")
    workers = celery_worker(env, root / "worker.log", args.workers, queues="recognize")
    return Site(env, gates, web, workers), next(iter(enrolled.values()))[0]


def peer_race(args: argparse.Namespace) -> dict | None:
    """bench.peer's race on the same faces (its own process: it pins itself to one CPU), or None when the
    face_recognition package is not installed: the frames/s ratio and both sides' figures."""
    command = [sys.executable, "-m", "bench.peer", "--faces", str(args.faces), "--frames", "20", "--json"]
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    if not report.get("frames"):
        return None
    return {"frames_per_s_ratio": report["frames"]["frames_per_s_ratio"]} | report


def passes(row: dict, max_p50_s: float) -> bool:
    """Whether a gate count kept the goal: decisions made with latency p50 <= max_p50_s, and none lost."""
    return row["latency_p50_s"] is not None and row["latency_p50_s"] <= max_p50_s and not row["lost"]


def run_bench(args: argparse.Namespace, env: dict[str, str], root: Path) -> dict:
    """Build the site, then raise N until the latency or a lost event says stop; the JSON summary."""
    site, warm_photo = build_site(args, env, root)
    site.web.start(timeout=90)
    site.workers.start()
    rows = []
    try:
        client = get_redis(env["REDIS_URL"])
        warm_up(client, celery_sender(env["REDIS_URL"]), site.gates[0][0], args.workers, warm_photo)
        for n in args.gate_counts:
            rows.append(run_gates(site, n, args))
            print(format_row(rows[-1]), file=sys.stderr, flush=True)
            if not args.keep_going and not passes(rows[-1], args.max_p50_s):
                break
    finally:
        site.workers.stop()
        site.web.stop()
    passing = [row["gates"] for row in rows if passes(row, args.max_p50_s)]
    return {
        "max_gates": max(passing, default=0),
        "per_n": rows,
        "peer": peer_race(args) if args.peer else None,
        "settings": {
            "fps_per_gate": args.fps, "in_flight_per_gate": args.in_flight,
            "pacing": None if args.no_pacing else {"decided_fps": args.decided_fps, "idle_fps": args.idle_fps},
            "worker_processes": args.workers,
            "people": args.people, "duration_s": args.duration_s, "max_p50_s": args.max_p50_s, "cpus": os.cpu_count(),
        },
    }  # fmt: skip


COLUMNS = ("gates", "visits", "offered_fps", "processed_fps", "paced", "dropped", "latency_p50_s", "latency_p95_s",
           "core_ms_per_frame", "worker_cpu_ms_per_frame", "cpu_workers_pct", "cpu_ingest_and_clients_pct",
           "cpu_web_pct", "lost", "duplicated", "wrong", "load_avg_1m")  # fmt: skip


def format_row(row: dict) -> str:
    """One table row."""
    return " | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in COLUMNS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/ and strangers/")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--gates", default="1,2,4,6,8,10,12", help="gate counts to try, in order")
    parser.add_argument("--duration-s", type=float, default=45.0, help="seconds of scene per gate and run")
    parser.add_argument("--fps", type=float, default=10.0, help="frames per second each gate's camera offers")
    parser.add_argument("--in-flight", type=int, default=4, help="camera_ingest's K: frames in flight per gate")
    parser.add_argument("--decided-fps", type=float, default=5.0, help="FACEGATE_INGEST_DECIDED_FPS (its default)")
    parser.add_argument("--idle-fps", type=float, default=2.0, help="FACEGATE_INGEST_IDLE_FPS (its default)")
    parser.add_argument("--no-pacing", action="store_true", help="camera_ingest's pacing off: send every frame")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="recognize worker processes")
    parser.add_argument("--people", type=int, default=12, help="people enrolled (first --enroll photos each)")
    parser.add_argument("--enroll", type=int, default=10, help="photos enrolled per person")
    parser.add_argument("--photos-tried", type=int, default=3, help="held-out photos per person checked for one face")
    parser.add_argument("--strangers", type=int, default=40, help="stranger photos checked for one face")
    parser.add_argument("--max-p50-s", type=float, default=1.0, help="the latency p50 a gate count must keep")
    parser.add_argument("--slack-s", type=float, default=3.0, help="an event this long after a visit still counts")
    parser.add_argument("--peer", action="store_true", help="also run bench.peer's race (minutes) for `peer`")
    parser.add_argument("--keep-going", action="store_true", help="run every gate count, even past the limit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    args = parser.parse_args(argv)
    args.gate_counts = [int(n) for n in args.gates.split(",")]
    args.decided_fps, args.idle_fps = min(args.decided_fps, args.fps), min(args.idle_fps, args.fps)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    if not (args.faces / "people").is_dir() or min(args.gate_counts) < 1:
        sys.exit("need a --faces folder with people/ and strangers/ and gate counts >= 1")
    with scratch_site(args.mysql_url, args.redis_url) as (env, root):
        summary = run_bench(args, env, root)
    if args.json:
        print(json.dumps(summary))
        return 0
    print(" | ".join(COLUMNS))
    for row in summary["per_n"]:
        print(format_row(row))
        for mistake in row["mistakes"]:
            print(f"  gates={row['gates']} mistake: {mistake}")
    print(f"max_gates={summary['max_gates']} (latency p50 <= {args.max_p50_s} s, nothing lost)")
    print("settings: " + ", ".join(f"{k}={v}" for k, v in summary["settings"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

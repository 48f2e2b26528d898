"""Model switch-over: how soon after a model version is published on one host a recognize worker on another host
(its own folders; only MariaDB and Redis shared) recognises with it.

python -m bench.model_switch --faces ../shared/faces [--switches 5] [--redis-url URL] [--mysql-url URL] [--json]

A scratch site enrols two people through the enrolment service (host A: this process). A recognize worker is
started as host B (its own FACEGATE_DATA_DIR, FACEGATE_MODEL_DIR, FACEGATE_MEDIA_DIR and instance folder) and
warmed up. Then, --switches times, this process publishes a new model version in the database and sends B a
frame every 0.1 s; the switch-over time is from the publication's commit until B reports (in the shared metrics)
a frame processed with the new version. It includes loading the new version from the database and one frame's
processing; FACEGATE_MODEL_CHECK_S (1 s by default) bounds how long B waits before it asks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import redis
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.enrolment.model_store import model_chunks, publish_model
from app.extensions import db
from app.gates.in_flight import take_slot
from app.models import ModelVersion
from app.observability.metrics import WORKERS_KEY, read_stamps
from app.redis_client import get_redis
from camera_ingest.reader import encode_jpeg
from camera_ingest.sender import celery_sender
from testkit.processes import REPO_ROOT, celery_worker
from testkit.scenes import background, scene_frame
from testkit.site import drop_scratch, enrol_and_train, pick_people, scratch_environment, warm_up

FRAME_EVERY_S = 0.1
TIMEOUT_S = 60.0


def worker_version(client: redis.Redis) -> tuple[float, str] | None:
    """When the (one) worker last processed a frame and with which model version."""
    stamps = read_stamps(client, WORKERS_KEY)
    return max(stamps.values()) if stamps else None


def one_switch(client: redis.Redis, gate_id: int, frame: bytes, data: bytes, send) -> float:
    """Publish data as a new version, send frames until the worker used it; seconds from the commit to that frame."""
    version = publish_model(data, kind="full", embedder="bench-switch").version
    published = time.time()
    while time.time() - published < TIMEOUT_S:
        send(gate_id, take_slot(client, gate_id, 1000), time.time(), frame)
        time.sleep(FRAME_EVERY_S)
        seen = worker_version(client)
        if seen is not None and seen[1] == str(version):
            return seen[0] - published
    raise RuntimeError(f"the worker did not switch to version {version} within {TIMEOUT_S} s")


def run_bench(args: argparse.Namespace, env: dict[str, str], root: Path) -> dict:
    """Enrol, start host B's worker, time the switches; the result."""
    enrolled, _held_out = pick_people(args.faces, 2, 4)
    flask_app = create_app()
    host_b = {**env, **{f"FACEGATE_{name}": str(root / "host-b" / name.lower())
                        for name in ("INSTANCE_DIR", "DATA_DIR", "MODEL_DIR", "MEDIA_DIR")}}  # fmt: skip
    photo = next(iter(enrolled.values()))[0]
    frame = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), 0), 85)
    client, send = get_redis(env["REDIS_URL"]), celery_sender(env["REDIS_URL"])
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        gate, _token = create_gate("Switch", "")
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=["Switch"])
        data = b"".join(model_chunks(enrol_and_train(enrolled)))
        worker = celery_worker(host_b, root / "worker-b.log", queues="recognize")
        worker.start()
        try:
            warm_up(client, send, gate.id, 1, photo)
            seconds = [one_switch(client, gate.id, frame, data, send) for _ in range(args.switches)]
        finally:
            worker.stop()
        model_bytes = db.session.scalar(db.select(ModelVersion.size).order_by(ModelVersion.version.desc()))
    return {
        "switches": len(seconds),
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "model_bytes": model_bytes,
        "model_check_s": flask_app.config["MODEL_CHECK_S"],
        "host_b_files": sorted(str(p.relative_to(root)) for p in (root / "host-b").rglob("*") if p.is_file()),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m bench.model_switch", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/")
    parser.add_argument("--switches", type=int, default=5, help="new versions to publish")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    redis.Redis.from_url(args.redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        root = Path(tmp)
        env = scratch_environment(args.mysql_url, args.redis_url, root / "host-a")
        os.environ.update(env)
        try:
            result = run_bench(args, {**os.environ, **env}, root)
        finally:
            drop_scratch(args.mysql_url, env)
            redis.Redis.from_url(args.redis_url).flushdb()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"model switch-over on a second host's worker ({result['switches']} new versions of a "
          f"{result['model_bytes'] / 1e6:.1f} MB model, FACEGATE_MODEL_CHECK_S={result['model_check_s']})")  # fmt: skip
    print(f"{'median s':>9s} {'max s':>7s}  runs")
    print(f"{result['median_s']:9.2f} {result['max_s']:7.2f}  {result['runs_s']}")
    print(f"files on host B's disk: {result['host_b_files'] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

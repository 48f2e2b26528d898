"""What snapshots and the live camera view cost the recognition path, per decision and per frame.

`python -m bench.snapshots --faces DIR [--decisions 200] [--json]`. Real 640x480 scene frames with a face from DIR
(people/), their faces found by the product's detector (not timed), a scratch MariaDB database and the given Redis.
It times, each many times: the snapshot work of one decision (crop and JPEG of the face, the Redis stash, taking
it at delivery and the DecisionFace row with its crop) against the same delivery without a crop, also with the
whole frame kept (FACEGATE_SNAPSHOT_FRAMES); and the live view's work per processed frame with a face (keep_frame:
the frame's base64 JPEG and boxes written to Redis as the live view and as the latest face frame, one round trip).
A frame that decides nothing crops, encodes and stores nothing: the recognize task stashes only for new decisions.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate
from app.enrolment.site_faces import record_decision_face
from app.gates.camera_view import keep_frame
from app.gates.decide import GateDecision
from app.gates.decision_faces import forget_stash, stash_decision_faces, take_stash
from app.recognition.configured import recognizer_from_config
from app.recognition.images import decode_image
from app.recognition.pipeline import FaceResult, Recognizer
from app.redis_client import get_redis
from camera_ingest.reader import encode_jpeg
from testkit.processes import REPO_ROOT
from testkit.scenes import background, scene_frame
from testkit.site import scratch_site


def timed(work: Callable[[int], None], count: int) -> list[float]:
    """Milliseconds each of count calls of work(i) took."""
    spent = []
    for i in range(count):
        started = time.perf_counter()
        work(i)
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def summary(name: str, spent: list[float]) -> dict:
    """Median, 95th percentile and count of one measurement."""
    ordered = sorted(spent)
    return {"measure": name, "n": len(spent), "median_ms": statistics.median(ordered),
            "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]}  # fmt: skip


def scene(faces_dir: Path, count: int, recognizer: Recognizer) -> list[tuple[str, np.ndarray, FaceResult]]:
    """count frames (base64 JPEG as camera_ingest sends them, decoded RGB, the one face found) of people from
    faces_dir."""
    photos = sorted((faces_dir / "people").glob("*/*.jpg"))
    frames, backdrop, index = [], background(), 0
    while len(frames) < count and index < 10 * count:
        jpeg = encode_jpeg(scene_frame(backdrop, cv2.imread(str(photos[index % len(photos)])), index), 85)
        rgb = decode_image(jpeg)
        found, _ = recognizer.check_faces(rgb)
        if len(found) == 1:
            frames.append((base64.b64encode(jpeg).decode(), rgb, found[0]))
        index += 1
    return frames


def measure(args: argparse.Namespace) -> list[dict]:
    """Every measurement, on a scratch site (the app context is open)."""
    client = get_redis(os.environ["REDIS_URL"])
    recognizer = recognizer_from_config(create_app().config)
    frames = scene(args.faces, min(args.decisions, 60), recognizer)
    gate, _ = create_gate("Bench", "")

    def decision(i: int) -> GateDecision:
        face = frames[i % len(frames)][2].face
        return GateDecision(uuid.uuid4().hex, gate.id, None, i, time.time(), tuple(face.box), None)

    def deliver(dec: GateDecision, with_crop: bool) -> None:
        stash = take_stash(client, dec)
        record_decision_face(dec.id, gate.id, "stranger", None, datetime.now(UTC), stash.vector, "bench",
                             stash.crop if with_crop else None, stash.frame)  # fmt: skip
        forget_stash(client, dec)

    def snapshot(whole_frame: bool) -> Callable[[int], None]:
        def work(i: int) -> None:
            b64, rgb, found = frames[i % len(frames)]
            dec = decision(i)
            stash_decision_faces(client, recognizer, rgb, [dec], [found.face], b64 if whole_frame else None)
            deliver(dec, True)

        return work

    def no_snapshot(i: int) -> None:
        deliver(decision(i), False)

    def live_view(i: int) -> None:
        b64, _, found = frames[i % len(frames)]
        keep_frame(client, gate.id, i, time.time(), b64, [found], True)

    results = []
    for name, work in [("delivery without a snapshot (baseline)", no_snapshot),
                       ("delivery with its snapshot (crop)", snapshot(False)),
                       ("delivery with crop and whole frame", snapshot(True)),
                       ("live view per processed frame", live_view)]:  # fmt: skip
        work(0)  # warm up
        results.append(summary(name, timed(work, args.decisions)))
    base = results[0]["median_ms"]
    for row in results[1:3]:
        row["added_ms"] = row["median_ms"] - base
    results[-1]["frame_kb"] = round(statistics.mean(len(f[0]) for f in frames) / 1024, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the measurements on a scratch site; print a table or JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.snapshots", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/")
    parser.add_argument("--decisions", type=int, default=200, help="repetitions of each measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    args = parser.parse_args(argv)
    if args.decisions < 1 or not (args.faces / "people").is_dir():
        sys.exit("need --decisions >= 1 and a --faces folder with people/")
    with scratch_site(args.mysql_url, args.redis_url):
        flask_app = create_app()
        with flask_app.app_context():
            upgrade(directory=str(REPO_ROOT / "migrations"))
            results = measure(args)
    if args.json:
        print(json.dumps({"measurements": results}))
    else:
        print("measure | n | median_ms | p95_ms | added_ms")
        for row in results:
            added = f"{row['added_ms']:.2f}" if "added_ms" in row else ""
            print(f"{row['measure']} | {row['n']} | {row['median_ms']:.2f} | {row['p95_ms']:.2f} | {added}")
        print(f"frame (base64 JPEG) {results[-1]['frame_kb']} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

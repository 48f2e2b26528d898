"""End-to-end benchmark of live recognition: video -> camera_ingest -> recognize workers -> gate endpoint.

`python -m bench.e2e --faces DIR [--json]` (DIR laid out like ../shared/faces: people/, strangers/). It builds a
scratch MariaDB database and uses a scratch Redis database, enrols people from their first photos through the
enrolment service (stored as raw photos, preprocessed, trained), plays a 640x480 video in which held-out photos of
them and of strangers pass the gate one at a time, and measures, with one and with two recognition worker processes:
latency from the first frame that shows the face to the event delivered by the gate endpoint (p50, p95), frames
processed per second, frames dropped, events lost/duplicated/wrong. With --with-mqtt each run is repeated while the
MQTT publisher runs (a private Mosquitto) and other gates make events, so the table shows the recognition path's
latency before and after in one run. The scenes, processes, gate poller and scoring are the test kit's (testkit/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.gates.decide import pending_key, window_key
from app.recognition.configured import recognizer_from_config
from app.redis_client import get_redis
from bench.mqtt import add_gates, broker_and_publisher
from camera_ingest.reader import ReaderSettings
from testkit.mqtt import EventLoad
from testkit.playback import play_at_gate
from testkit.processes import REPO_ROOT, web_app
from testkit.scenes import Pass, one_face, plan_passes, write_scene
from testkit.scoring import percentile, score_run
from testkit.site import enrol_and_train, pick_people, scratch_site

# Per-run counts that the summary adds up over the runs and the table shows.
EVENT_COUNTS = (
    "events_lost",
    "events_duplicated",
    "wrong_decisions",
    "stranger_passes",
    "stranger_granted",
    "staff_as_stranger",
    "other_face_events",
)


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
    live_view: bool = True,
) -> dict:
    """One measured run with `processes` worker processes (the live camera view on or off): play the video through
    camera_ingest's reader, score it."""
    get_redis(env["REDIS_URL"]).delete(window_key(gate_id), pending_key(gate_id))
    worker_env = {**env, "FACEGATE_LIVE_VIEW": "true" if live_view else "false"}
    log_name = f"worker-{processes}-view-{'on' if live_view else 'off'}.log"
    settings = ReaderSettings(fps=args.fps, max_in_flight=args.in_flight_per_worker * processes)
    run = play_at_gate(worker_env, gate_id, token, base_url, video, settings, processes, warm_up_photo, logs / log_name)
    result = score_run(passes, run.playback_started_at, run.received)
    result.update(
        workers=processes,
        frames_sent=run.frames_sent,
        frames_dropped=run.frames_dropped,
        frames_per_s=run.frames_per_s,
        drained=run.drained,
        live_view=live_view,
    )
    return result


def run_bench(args: argparse.Namespace, env: dict[str, str], root: Path) -> tuple[dict, dict]:
    """Set up the scratch site (schema, gate, staff enrolled through the enrolment service, model), play the scene
    once per worker count; summary, settings."""
    enrolled, held_out = pick_people(args.faces, args.people, args.enroll)
    flask_app = create_app()
    # One person per pass, so that every event can be scored: photos that show a second person are left out.
    recognizer = recognizer_from_config(flask_app.config)
    held_out = {name: [p for p in photos if one_face(recognizer, p)] for name, photos in held_out.items()}
    strangers = [p for p in sorted((args.faces / "strangers").glob("*/*.jpg")) if one_face(recognizer, p)]
    passes = plan_passes(held_out, strangers, args.passes, args.show_s, args.gap_s)
    video = write_scene(root / "scene.avi", passes, passes[-1].end_s + args.gap_s, fps=25.0)
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        # Composited photos: liveness off, so these figures measure recognition as before (docs/liveness.md).
        gate, token = create_gate("Bench", str(video), liveness="off")
        for name in enrolled:
            first, _, last = name.partition("_")
            create_staff(name, first, last or first, gate_names=["Bench"])
        gate_id = gate.id
        enrol_and_train(enrolled)
        mqtt_gates = add_gates(args.mqtt_gates) if args.with_mqtt else []
    web = web_app(env, root / "web.log")
    web.start(timeout=90)
    photo = next(iter(enrolled.values()))[0]

    def run(processes: int, live_view: bool = True) -> dict:
        return run_workers(processes, env, gate_id, token, web.url, video, passes, photo, args, root, live_view)

    runs = []
    try:
        for n in (int(count) for count in args.workers.split(",")):
            for view in {"on": [True], "off": [False], "both": [False, True]}[args.live_view]:
                runs.append(run(n, view) | {"mqtt": "off"})
            if args.with_mqtt:
                # The same run again while the MQTT publisher follows every gate and other gates make events.
                with broker_and_publisher(env, root / f"mqtt-{n}"):
                    others = [other for other in mqtt_gates if other != gate_id]
                    load = EventLoad(get_redis(env["REDIS_URL"]), others, args.mqtt_rate).start()
                    try:
                        runs.append(run(n) | {"mqtt": "on"})
                    finally:
                        load.stop()
    finally:
        web.stop()
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
        "mqtt_gates": args.mqtt_gates if args.with_mqtt else 0,
        "mqtt_rate_per_s": args.mqtt_rate if args.with_mqtt else 0,
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
    for label in sorted({run["mqtt"] for run in runs}):
        chosen = [value for run in runs if run["mqtt"] == label for value in run["latencies"]]
        summary[f"latency_p50_s_mqtt_{label}"] = percentile(chosen, 50)
        summary[f"latency_p95_s_mqtt_{label}"] = percentile(chosen, 95)
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
        "mqtt",
        "live_view",
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
    parser.add_argument("--with-mqtt", action="store_true", help="run each worker count again with the MQTT publisher "
                        "running (a private Mosquitto) and events on --mqtt-gates other gates at --mqtt-rate per s")
    parser.add_argument("--mqtt-gates", type=int, default=200, help="gates the publisher follows with --with-mqtt")
    parser.add_argument("--mqtt-rate", type=float, default=10.0, help="events per second on those gates, in total")
    parser.add_argument("--live-view", choices=("on", "off", "both"), default="on",
                        help="the workers keep the live camera view (FACEGATE_LIVE_VIEW); both: off, then on, per "
                             "worker count, to compare the load it adds")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    if args.passes < 1 or not (args.faces / "people").is_dir():
        sys.exit("need --passes >= 1 and a --faces folder with people/ and strangers/")
    # Repeated people come back well after the cooldown; a face gone for gap_s ends its track.
    timing = {"FACEGATE_COOLDOWN_S": str(args.gap_s), "FACEGATE_TRACK_GAP_S": str(min(2.0, args.gap_s * 0.6))}
    with scratch_site(args.mysql_url, args.redis_url, timing) as (env, root):
        summary, settings = run_bench(args, env, root)
    if args.json:
        print(json.dumps(summary | {"settings": settings}))
    else:
        print_table(summary, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

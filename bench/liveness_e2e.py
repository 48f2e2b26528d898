"""End to end on real camera frames: does a printed photo open the door? Does a live person still get in?

`python -m bench.liveness_e2e --frames ../shared/liveness [--json]` (live/<subject>/<session>/, print/...: NUAA's
webcam clips of live people and of hand-held printed photos of them; no screen replay, no mask). It builds a scratch
MariaDB database and uses a scratch Redis database, enrols each subject through the enrolment service from the
first ENROL frames of their first live session, then plays one video through camera_ingest's reader, a recognize
worker process and the gate endpoint (polled as a gate client does): for each subject, their other live session
(or, with one live session, the rest of it: expect `granted`) and each of their printed-photo sessions (expect
`spoof`), with nobody in view between clips. The same video is played twice: at a gate whose liveness is
`enforce`, and at one whose liveness is `off` (how many photos would have opened the door without it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import cv2
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate, create_staff
from app.recognition.liveness_eval import natural_key
from camera_ingest.reader import ReaderSettings
from testkit.playback import play_at_gate
from testkit.processes import REPO_ROOT, web_app
from testkit.scenes import Pass, background
from testkit.scoring import datetime_seconds, pass_index
from testkit.site import enrol_and_train, scratch_site

MODES = ("enforce", "off")


def clips(frames_dir: Path, enrol: int) -> tuple[dict[str, list[Path]], list[tuple[str, str, list[Path]]]]:
    """Per subject the frames to enrol, and the clips to play: (subject, "live" or "print", frames)."""
    enrolled, played = {}, []
    for subject_dir in sorted((frames_dir / "live").iterdir()):
        subject = subject_dir.name
        sessions = [sorted(s.glob("*.jpg"), key=natural_key) for s in sorted(subject_dir.iterdir()) if s.is_dir()]
        enrolled[f"S{subject}"] = sessions[0][:enrol]
        played.append((subject, "live", sessions[1] if len(sessions) > 1 else sessions[0][enrol:]))
        for session in sorted((frames_dir / "print" / subject).iterdir()):
            played.append((subject, "print", sorted(session.glob("*.jpg"), key=natural_key)))
    return enrolled, played


def write_video(path: Path, played: list, fps: float, gap_s: float) -> list[Pass]:
    """The clips one after another, `gap_s` of an empty room between them, as an MJPG video; the passes."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    empty, passes, t = background(), [], 0.0
    for subject, kind, frames in played:
        for _ in range(round(gap_s * fps)):
            writer.write(empty)
        t += round(gap_s * fps) / fps
        for frame in frames:
            writer.write(cv2.resize(cv2.imread(str(frame)), (640, 480)))
        passes.append(Pass(f"S{subject}" if kind == "live" else None, frames[0], t, t + len(frames) / fps))
        t += len(frames) / fps
    for _ in range(round(gap_s * fps)):
        writer.write(empty)
    writer.release()
    return passes


def score(passes: list[Pass], played: list, t0: float, received: list[tuple[float, dict]]) -> dict:
    """Each clip's events (by the deciding frame's time): live clips granted to their subject, photos refused."""
    by_clip: dict[int, list[dict]] = {i: [] for i in range(len(passes))}
    spurious = 0
    for _arrived, event in received:
        index = pass_index(passes, t0, datetime_seconds(event["timestamp"]))
        if index is None:
            spurious += 1
        else:
            by_clip[index].append(event)
    ids = [event["id"] for _at, event in received]
    counts = {"live_clips": 0, "live_granted": 0, "live_refused": 0, "print_clips": 0, "print_granted": 0,
              "print_spoof": 0, "print_other_refusal": 0, "clips_without_event": 0, "clips_with_several_events": 0,
              "events_duplicated": len(ids) - len(set(ids)), "events_outside_clips": spurious}  # fmt: skip
    clips_out = []
    for index, (subject, kind, frames) in enumerate(played):
        outcomes = [(e["type"], e["staff_id"]) for e in by_clip[index]]
        counts["clips_without_event"] += not outcomes
        counts["clips_with_several_events"] += len(outcomes) > 1
        granted = any(kind_ == "granted" for kind_, _staff in outcomes)
        if kind == "live":
            counts["live_clips"] += 1
            ok = ("granted", f"S{subject}") in outcomes
            counts["live_granted" if ok else "live_refused"] += 1
        else:
            counts["print_clips"] += 1
            counts["print_granted"] += granted
            counts["print_spoof"] += any(kind_ == "spoof" for kind_, _staff in outcomes)
            counts["print_other_refusal"] += bool(outcomes) and not granted and all(k != "spoof" for k, _ in outcomes)
        clips_out.append({"subject": subject, "kind": kind, "frames": len(frames), "session": frames[0].parent.name,
                          "events": outcomes})  # fmt: skip
    return counts | {"clips": clips_out}


def play(env: dict, gate_id: int, token: str, base_url: str, video: Path, passes: list[Pass], played: list,
         warm_photo: Path, args: argparse.Namespace, logs: Path) -> dict:  # fmt: skip
    """Play the video once at the gate through camera_ingest's reader and a worker; the scored clips."""
    settings = ReaderSettings(fps=args.fps, max_in_flight=args.in_flight)
    run = play_at_gate(env, gate_id, token, base_url, video, settings, 1, warm_photo, logs / f"worker-{gate_id}.log")
    return score(passes, played, run.playback_started_at, run.received) | {
        "frames_sent": run.frames_sent, "frames_dropped": run.frames_dropped,
        "frames_per_s": round(run.frames_per_s, 2), "drained": run.drained,
    }  # fmt: skip


def run_bench(args: argparse.Namespace, env: dict, root: Path) -> dict:
    """Set up the scratch site (subjects enrolled through the enrolment service, one gate per mode), play the video
    at each gate; the results by mode."""
    enrolled, played = clips(args.frames, args.enrol)
    passes = write_video(root / "clips.avi", played, args.fps, args.gap_s)
    flask_app = create_app()
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        gates = {}
        for mode in MODES:
            gate, token = create_gate(f"Liveness {mode}", "", liveness=mode)
            gates[mode] = (gate.id, token)
        for staff_id in enrolled:
            create_staff(staff_id, "Subject", staff_id[1:], gate_names=[f"Liveness {mode}" for mode in MODES])
        enrol_and_train(enrolled)
        settings = {key: flask_app.config[key] for key in ("LIVENESS_THRESHOLD", "LIVENESS_FRAMES", "MIN_VOTES",
                                                           "STRANGER_VOTES", "COOLDOWN_S", "TRACK_GAP_S")}  # fmt: skip
    web = web_app(env, root / "web.log")
    web.start(timeout=90)
    warm_photo = next(iter(enrolled.values()))[0]
    try:
        results = {mode: play(env, gate_id, token, web.url, root / "clips.avi", passes, played, warm_photo, args, root)
                   for mode, (gate_id, token) in gates.items()}  # fmt: skip
    finally:
        web.stop()
    return {"subjects": len(enrolled), "enrolled_frames": args.enrol, "fps": args.fps, "gap_s": args.gap_s,
            "settings": settings, "modes": results}  # fmt: skip


def print_table(report: dict) -> None:
    """One line per mode, then the clips whose outcome was not the expected one."""
    columns = ("live_clips", "live_granted", "live_refused", "print_clips", "print_granted", "print_spoof",
               "print_other_refusal", "clips_without_event", "clips_with_several_events", "events_duplicated",
               "events_outside_clips", "frames_sent", "frames_dropped", "frames_per_s")  # fmt: skip
    print("liveness | " + " | ".join(columns))
    for mode, result in report["modes"].items():
        print(f"{mode} | " + " | ".join(str(result[c]) for c in columns))
        for clip in result["clips"]:
            expected = ("granted" if clip["kind"] == "live" else "spoof", f"S{clip['subject']}")
            if clip["events"] != [expected]:
                print(f"  {mode}: {clip['kind']} {clip['subject']}/{clip['session']} ({clip['frames']} frames): "
                      f"{clip['events']}")  # fmt: skip
    print("settings: " + ", ".join(f"{k}={v}" for k, v in report["settings"].items())
          + f", subjects={report['subjects']}, enrolled_frames={report['enrolled_frames']}, fps={report['fps']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.liveness_e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, default=Path("../shared/liveness"), help="folder with live/, print/")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--enrol", type=int, default=20, help="frames of the first live session enrolled")
    parser.add_argument("--fps", type=float, default=8.0, help="frames per second the clips play (and are sampled) at")
    parser.add_argument("--in-flight", type=int, default=2, help="camera_ingest's K")
    parser.add_argument("--gap-s", type=float, default=3.0, help="seconds of an empty room between clips")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    if not (args.frames / "live").is_dir() or not (args.frames / "print").is_dir():
        sys.exit("need a --frames folder with live/ and print/")
    # A subject's clips follow each other: a face gone for the gap ends its track, and the cooldown is shorter.
    settings = {"FACEGATE_COOLDOWN_S": str(args.gap_s), "FACEGATE_TRACK_GAP_S": str(min(2.0, args.gap_s * 0.6))}
    with scratch_site(args.mysql_url, args.redis_url, settings) as (env, root):
        report = run_bench(args, env, root)
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

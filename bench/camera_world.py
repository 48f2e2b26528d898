"""Stranger rejection in one camera's world: office webcam frames instead of news photos.

`python -m bench.camera_world --live ../shared/liveness/live [--json]` (a folder of subjects, each with one
sub-folder per webcam session). Subjects with two sessions are enrolled from 10 frames of their first session and
identified on every frame of their other session. One rotation per two-session subject and protocol:

- `other subject`: that subject's frames are the strangers, the other two-session subjects are enrolled, and the
  one-session subjects are the site strangers (faces the gates saw before; calibration only);
- `one-session subjects`: the one-session subjects' frames are the strangers and the rotated subject is the site
  stranger.

Each protocol runs without and with the site strangers. Thresholds never see the strangers they are scored on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from app.recognition.cohort import SHIPPED_COHORT, load_cohort
from app.recognition.evaluate import VectorCache, evaluate, image_files
from app.recognition.pipeline import Recognizer
from bench.galleries import linked

PROTOCOLS = ("other subject", "one-session subjects")


def sessions(subject: Path) -> list[Path]:
    """The subject's session folders that hold frames."""
    return sorted(p for p in subject.iterdir() if p.is_dir() and image_files(p))


def rotation(live: Path, held_out: Path, protocol: str, use_site: bool, cache: VectorCache, root: Path) -> dict:
    """One evaluation: enrol the two-session subjects but held_out, score the protocol's strangers."""
    subjects = sorted(p for p in live.iterdir() if p.is_dir())
    two = [s for s in subjects if len(sessions(s)) >= 2]
    one = [s for s in subjects if len(sessions(s)) == 1]
    strangers, site = ([held_out], one) if protocol == PROTOCOLS[0] else (one, [held_out])
    tag = f"{held_out.name}-{PROTOCOLS.index(protocol)}-{int(use_site)}"
    people = linked(root, f"people-{tag}", [s for s in two if s != held_out])
    result = evaluate(
        cache.recognizer, people, linked(root, f"strangers-{tag}", strangers), 10,
        load_cohort(SHIPPED_COHORT, cache.recognizer.embedding_name)[0],
        site_strangers_dir=linked(root, f"site-{tag}", site) if use_site else None, cache=cache, timed=False,
    )  # fmt: skip
    return {
        "protocol": protocol,
        "held_out": held_out.name,
        "site_strangers": use_site,
        "probes": result["probe_images"],
        "correct": round(result["top1_accuracy"] * result["probe_images"]),
        "strangers": result["stranger_images"],
        "accepted": round(result["stranger_false_accept_rate"] * result["stranger_images"]),
        "site_faces": result["site_stranger_faces"],
    }


def summarize(rows: list[dict]) -> list[dict]:
    """Per protocol and site-stranger setting: top-1 and stranger false-accept rate over all rotations."""
    table = []
    for protocol in PROTOCOLS:
        for use_site in (False, True):
            chosen = [r for r in rows if r["protocol"] == protocol and r["site_strangers"] == use_site]
            probes, strangers = sum(r["probes"] for r in chosen), sum(r["strangers"] for r in chosen)
            table.append(
                {
                    "protocol": protocol,
                    "site_strangers": use_site,
                    "rotations": len(chosen),
                    "top1": round(sum(r["correct"] for r in chosen) / max(probes, 1), 4),
                    "far": round(sum(r["accepted"] for r in chosen) / max(strangers, 1), 4),
                    "accepted": sum(r["accepted"] for r in chosen),
                    "strangers": strangers,
                    "probes": probes,
                }
            )
    return table


def main(argv: list[str] | None = None) -> int:
    """Run every rotation and print the table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m bench.camera_world", description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=Path, required=True, help="subjects/sessions/frames (../shared/liveness/live)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    subjects = sorted(p for p in args.live.iterdir() if p.is_dir()) if args.live.is_dir() else []
    two = [s for s in subjects if len(sessions(s)) >= 2]
    if len(two) < 3 or len(two) == len(subjects):
        sys.exit("need at least three subjects with two sessions and one with a single session")
    cache = VectorCache(Recognizer())
    with tempfile.TemporaryDirectory(prefix="facegate-camera-world-") as tmp:
        rows = [
            rotation(args.live, held_out, protocol, use_site, cache, Path(tmp))
            for protocol in PROTOCOLS
            for held_out in two
            for use_site in (False, True)
        ]
    table = summarize(rows)
    if args.json:
        print(json.dumps({"summary": table, "rotations": rows, "no_face": cache.no_face()}))
        return 0
    print("protocol | site strangers | rotations | top-1 | stranger FAR (accepted/strangers) | probes")
    for row in table:
        print(
            f"{row['protocol']} | {'yes' if row['site_strangers'] else 'no'} | {row['rotations']} | {row['top1']:.3f}"
            f" | {row['far']:.4f} ({row['accepted']}/{row['strangers']}) | {row['probes']}"
        )
    print(f"frames without a usable face: {cache.no_face()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

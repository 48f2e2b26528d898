"""The race with the peer: facegate and the face_recognition package on the same images, in one run, on one core.

`python -m bench.peer --faces DIR [--json]` (DIR laid out like ../shared/faces: people/, strangers/) installs
nothing: when the optional `face_recognition` package is importable (see docs/capacity.md for installing it beside
facegate), it pins this process to one CPU and runs both on the same photos and camera frames:

- accuracy on photos: every person's first --enroll photos enrolled, the rest probed, every stranger photo tried;
  facegate with its open-set rule (`flask faces evaluate`'s code), face_recognition the way its README compares
  faces (the nearest enrolled encoding, accepted when its distance is at most the tolerance) at its default
  tolerance 0.6 and at 0.5; top-1 (named correctly) and stranger false-accept rate (named as anybody);
- time: per photo (the most central face: detect, embed, decide) and per 640x480 camera frame with one face
  (testkit's scene), the two alternately, medians of wall and CPU time; frames/s on the one core and their ratio
  from the CPU time, which waiting for a CPU on a busy machine does not inflate.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from app.recognition.cohort import SHIPPED_COHORT, cohort_images, load_cohort
from app.recognition.evaluate import PersonPhotos, VectorCache, evaluate, person_photos, train_gallery
from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer
from testkit.scenes import background, scene_frame

TOLERANCES = (0.6, 0.5)


def central(locations: list[tuple[int, int, int, int]], width: int, height: int) -> tuple[int, int, int, int] | None:
    """face_recognition's (top, right, bottom, left) box nearest the image centre (facegate's face rule)."""
    if not locations:
        return None
    return min(locations, key=lambda b: ((b[1] + b[3]) / 2 - width / 2) ** 2 + ((b[0] + b[2]) / 2 - height / 2) ** 2)


class Peer:
    """face_recognition as its README uses it: HOG face locations, 128-d encodings, nearest known encoding."""

    def __init__(self) -> None:
        import face_recognition

        self.fr = face_recognition

    def encode(self, rgb: np.ndarray) -> np.ndarray | None:
        """The encoding of the most central face, or None when it finds no face."""
        box = central(self.fr.face_locations(rgb), rgb.shape[1], rgb.shape[0])
        return None if box is None else self.fr.face_encodings(rgb, [box])[0]

    def frame(self, rgb: np.ndarray, known: np.ndarray, names: np.ndarray, tolerance: float) -> list[str | None]:
        """Every face of a camera frame named (None: unknown), as a live loop with face_recognition would."""
        encodings = self.fr.face_encodings(rgb, self.fr.face_locations(rgb))
        return [name_of(self.fr.face_distance(known, e), names, tolerance) for e in encodings]


def name_of(distances: np.ndarray, names: np.ndarray, tolerance: float) -> str | None:
    """The nearest known face's name if it is within tolerance, else None."""
    best = int(np.argmin(distances))
    return str(names[best]) if distances[best] <= tolerance else None


def timed(function, *args) -> tuple[float, float, object]:
    """Wall and CPU milliseconds one call took, and what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall and CPU milliseconds of (wall, cpu) samples."""
    wall, cpu = np.median(np.array(samples), axis=0)
    return round(float(wall), 1), round(float(cpu), 1)


def photo_race(peer: Peer, recognizer: Recognizer, model, people: list[PersonPhotos], strangers: list[Path]) -> dict:
    """Every photo through both, alternately (each its most central face): ms per photo of each, and
    face_recognition's top-1 and stranger false-accept rate at each tolerance."""
    ours, theirs, encodings = [], [], {}
    for path in [p for person in people for p in person.enrol + person.probes] + strangers:
        rgb = read_image(path)
        ours.append(timed(recognizer.identify, rgb, model, True)[:2])
        *elapsed, encodings[path] = timed(peer.encode, rgb)
        theirs.append(tuple(elapsed))
    known = [(person.name, encodings[p]) for person in people for p in person.enrol if encodings[p] is not None]
    names, vectors = np.array([n for n, _ in known]), np.stack([v for _, v in known])
    probes = [(p, person.name) for person in people for p in person.probes]
    (our_wall, our_cpu), (their_wall, their_cpu) = medians(ours), medians(theirs)
    result = {"facegate_ms_per_image": our_wall, "facegate_cpu_ms_per_image": our_cpu,
              "peer_ms_per_image": their_wall, "peer_cpu_ms_per_image": their_cpu}  # fmt: skip
    for tolerance in TOLERANCES:

        def label(path: Path, tol: float = tolerance) -> str | None:
            vector = encodings[path]
            return None if vector is None else name_of(peer.fr.face_distance(vectors, vector), names, tol)

        result[f"peer_top1_at_{tolerance}"] = round(np.mean([label(p) == truth for p, truth in probes]), 4)
        result[f"peer_stranger_far_at_{tolerance}"] = round(np.mean([label(p) is not None for p in strangers]), 4)
    return result | {"known_encodings": len(known), "vectors": vectors, "names": names}


def race_frames(peer: Peer, recognizer: Recognizer, model, known: dict, frames: list[np.ndarray]) -> dict:
    """Median ms per camera frame of each, alternating frame by frame so that both see the same machine; frames/s on
    one core from the CPU time (which waiting for a busy CPU does not inflate), and their ratio."""
    ours, theirs = [], []
    recognizer.identify(frames[0], model)
    peer.frame(frames[0], known["vectors"], known["names"], TOLERANCES[0])
    for rgb in frames:
        ours.append(timed(recognizer.identify, rgb, model)[:2])
        theirs.append(timed(peer.frame, rgb, known["vectors"], known["names"], TOLERANCES[0])[:2])
    (our_wall, our_cpu), (their_wall, their_cpu) = medians(ours), medians(theirs)
    return {
        "facegate_ms_per_frame": our_wall,
        "facegate_cpu_ms_per_frame": our_cpu,
        "peer_ms_per_frame": their_wall,
        "peer_cpu_ms_per_frame": their_cpu,
        "facegate_frames_per_s": round(1000 / our_cpu, 1),
        "peer_frames_per_s": round(1000 / their_cpu, 1),
        "frames_per_s_ratio": round(their_cpu / our_cpu, 2),
        "wall_time_ratio": round(their_wall / our_wall, 2),
    }


def run(args: argparse.Namespace) -> dict:
    """Both systems on the same photos and frames, on one core; the report."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    recognizer = Recognizer()
    cohort = load_cohort(SHIPPED_COHORT, recognizer.embedding_name)[0]
    people_dir, strangers_dir = args.faces / "people", args.faces / "strangers"
    cache = VectorCache(recognizer)
    ours = evaluate(recognizer, people_dir, strangers_dir, args.enroll, cohort, limit_people=args.people, cache=cache,
                    timed=False)  # fmt: skip
    folders = sorted(p for p in people_dir.iterdir() if p.is_dir())[: args.people]
    people = [person_photos(folder, args.enroll) for folder in folders]
    model = train_gallery(cache, [p for p in people if any(cache.get(x) is not None for x in p.enrol)], cohort)
    peer = Peer()
    theirs = photo_race(peer, recognizer, model, people, cohort_images(strangers_dir))
    known = {"vectors": theirs.pop("vectors"), "names": theirs.pop("names")}
    probes = [path for person in people for path in person.probes][:: max(1, ours["probe_images"] // args.frames)]
    frames = [cv2.cvtColor(scene_frame(background(), cv2.imread(str(p)), i), cv2.COLOR_BGR2RGB)
              for i, p in enumerate(probes[: args.frames])]  # fmt: skip
    return {
        "facegate": {key: ours[key] for key in ("top1_accuracy", "stranger_false_accept_rate")},
        "face_recognition": theirs,
        "frames": race_frames(peer, recognizer, model, known, frames) | {"frames": len(frames)},
        "probes": ours["probe_images"],
        "strangers": ours["stranger_images"],
        "cpus_used": 1,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def print_report(report: dict) -> None:
    """The race as a table: one row per system (and tolerance), then the ratio."""
    ours, theirs, frames = report["facegate"], report["face_recognition"], report["frames"]
    print("system | ms/photo (CPU) | ms/frame (CPU) | frames/s on one core | top-1 | stranger false accept")
    print(f"facegate | {theirs['facegate_ms_per_image']} ({theirs['facegate_cpu_ms_per_image']})"
          f" | {frames['facegate_ms_per_frame']} ({frames['facegate_cpu_ms_per_frame']})"
          f" | {frames['facegate_frames_per_s']} | {ours['top1_accuracy']} | {ours['stranger_false_accept_rate']}")
    for tolerance in TOLERANCES:
        print(f"face_recognition, tolerance {tolerance} | {theirs['peer_ms_per_image']}"
              f" ({theirs['peer_cpu_ms_per_image']}) | {frames['peer_ms_per_frame']}"
              f" ({frames['peer_cpu_ms_per_frame']})"
              f" | {frames['peer_frames_per_s']}"
              f" | {theirs[f'peer_top1_at_{tolerance}']} | {theirs[f'peer_stranger_far_at_{tolerance}']}")
    print(f"frames/s ratio facegate / face_recognition: {frames['frames_per_s_ratio']} (CPU time; wall time "
          f"{frames['wall_time_ratio']}; {frames['frames']} frames, {report['probes']} probes, {report['strangers']} "
          f"strangers, load average {report['load_avg_1m']})")


def main(argv: list[str] | None = None) -> int:
    """Run the race and print its table or JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/ and strangers/")
    parser.add_argument("--enroll", type=int, default=10, help="photos enrolled per person")
    parser.add_argument("--people", type=int, default=None, help="only the first N people (default: all)")
    parser.add_argument("--frames", type=int, default=40, help="camera frames timed")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("face_recognition") is None:
        print(json.dumps({"available": False}) if args.json else "face_recognition is not installed: no race")
        return 0
    report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

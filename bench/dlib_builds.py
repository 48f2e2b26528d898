"""Two builds of dlib, the second embedder, side by side: the same descriptors? how many ms a face?

`python -m bench.dlib_builds --faces DIR --other SITE_DIR [--json]`: SITE_DIR is a folder holding another build of
the `dlib` module (e.g. the prebuilt dlib-bin wheel unpacked: `pip download --no-deps dlib-bin -d W && python -m
zipfile -e W/dlib_bin-*.whl SITE_DIR`). One child process per build (the installed one, then SITE_DIR's first on
its path) embeds the most central face of the first photo of each person under DIR/people with facegate's dlib
embedder; the table gives each build's BLAS flag and median CPU ms per face, and the largest difference between the
two builds' descriptors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def embed_here(faces: Path, out: Path) -> dict:
    """In this process: descriptors of the photos' central faces (saved to out) and CPU ms per face."""
    import dlib

    from app.recognition.dlib_embed import get_dlib_embedder
    from app.recognition.images import read_image
    from app.recognition.pipeline import Recognizer

    recognizer, embedder, vectors, cpu_ms = Recognizer(), get_dlib_embedder(), [], []
    for photo in sorted((faces / "people").glob("*/*_0001.jpg")):
        rgb = read_image(photo)
        found = recognizer.analyse(rgb, central_only=True)
        if not found:
            continue
        started = time.process_time()
        vectors.append(embedder.embed(rgb, [found[0].face])[0])
        cpu_ms.append((time.process_time() - started) * 1000)
    np.save(out, np.stack(vectors))
    return {"module": dlib.__file__, "blas": bool(getattr(dlib, "DLIB_USE_BLAS", False)), "faces": len(vectors),
            "cpu_ms_per_face": round(float(np.median(cpu_ms)), 1)}  # fmt: skip


def run_build(faces: Path, out: Path, site: Path | None) -> dict:
    """embed_here in a child process, with site (if any) first on its module path."""
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(Path.cwd()), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "bench.dlib_builds", "--faces", str(faces), "--child", str(out)]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Compare the installed dlib with the one under --other; print a table or JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.dlib_builds", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/")
    parser.add_argument("--other", type=Path, help="a folder holding another build's dlib module")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(embed_here(args.faces, args.child)))
        return 0
    if args.other is None or not (args.other / "dlib").is_dir():
        sys.exit("need --other: a folder with another build's dlib module in it")
    with tempfile.TemporaryDirectory() as tmp:
        builds = [run_build(args.faces, Path(tmp) / f"{i}.npy", site) for i, site in enumerate((None, args.other))]
        first, second = (np.load(Path(tmp) / f"{i}.npy") for i in range(2))
    report = {"builds": builds, "max_abs_difference": float(np.abs(first - second).max()),
              "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return 0
    print("dlib module | BLAS | faces | CPU ms per face (median)")
    for build in builds:
        print(f"{build['module']} | {build['blas']} | {build['faces']} | {build['cpu_ms_per_face']}")
    print(f"largest difference between the descriptors: {report['max_abs_difference']:.2g} "
          f"(load average {report['load_avg_1m']})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

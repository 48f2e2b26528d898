"""Stranger rejection for sites of every size: random galleries of 1 to 40 people, with and without site strangers.

`python -m bench.galleries --faces ../shared/faces [--draws 8] [--half A|B] [--json]`. For each gallery size the
product's evaluation (`flask faces evaluate --people N --draws D`) enrols D random galleries of N people (first 10
photos each), identifies their other photos and all strangers, and reports mean and worst top-1 and stranger
false-accept rate. "With site strangers" splits the strangers in two by name: each half is evaluated while the other
half is given as the faces the site's gates already saw (calibration only), and the two results are pooled.

`--half A` or `--half B` keeps only the people and strangers whose name hashes to that half (sha256 of the name,
even = A): the rule was chosen on half A and checked on half B and the whole.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from app.recognition.cohort import SHIPPED_COHORT, load_cohort
from app.recognition.evaluate import VectorCache, evaluate
from app.recognition.pipeline import Recognizer

SIZES = (1, 3, 5, 10, 20, 40)


def half_of(name: str) -> str:
    """The design half a person or stranger belongs to: A or B."""
    return "AB"[int(hashlib.sha256(name.encode()).hexdigest(), 16) % 2]


def linked(root: Path, name: str, folders: list[Path]) -> Path:
    """A folder named name under root holding a link to each of folders."""
    target = root / name
    target.mkdir()
    for folder in folders:
        os.symlink(folder.resolve(), target / folder.name, target_is_directory=True)
    return target


def run_size(args, cache: VectorCache, people: Path, strangers: list[Path], size: int, root: Path, site: bool) -> dict:
    """One gallery size, without site strangers, or pooled over the two stranger halves with the other as site."""
    cohort = load_cohort(SHIPPED_COHORT, cache.recognizer.embedding_name)[0]
    draws = 1 if size >= len(list(people.iterdir())) else args.draws
    splits = [(strangers, None)]
    if site:
        first, second = strangers[::2], strangers[1::2]
        splits = [(first, second), (second, first)]
    results = []
    for index, (scored, seen) in enumerate(splits):
        tag = f"{size}-{int(site)}-{index}"
        results.append(
            evaluate(
                cache.recognizer, people, linked(root, f"strangers-{tag}", scored), 10, cohort,
                people=min(size, len(list(people.iterdir()))), draws=draws, seed=args.seed,
                site_strangers_dir=None if seen is None else linked(root, f"site-{tag}", seen), cache=cache,
                timed=False,
            )  # fmt: skip
        )
    top1 = [r for r in results if r["top1_mean"] is not None]
    return {
        "people": results[0]["identities"],
        "draws": draws,
        "site_strangers": site,
        "top1_mean": round(sum(r["top1_mean"] for r in top1) / len(top1), 4) if top1 else None,
        "top1_worst": min(r["top1_worst"] for r in top1) if top1 else None,
        "far_mean": round(sum(r["far_mean"] for r in results) / len(results), 4),
        "far_worst": max(r["far_worst"] for r in results),
        "stranger_images": sum(r["stranger_images"] for r in results) // len(results),
    }


def main(argv: list[str] | None = None) -> int:
    """Run every size with and without site strangers; print a table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m bench.galleries", description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, required=True, help="folder with people/ and strangers/")
    parser.add_argument("--draws", type=int, default=8, help="random galleries per size (at least 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random galleries")
    parser.add_argument("--half", choices=("A", "B"), help="only the people and strangers of this design half")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.draws < 1 or not (args.faces / "people").is_dir() or not (args.faces / "strangers").is_dir():
        sys.exit("need --draws >= 1 and a --faces folder with people/ and strangers/")
    keep = (lambda folder: half_of(folder.name) == args.half) if args.half else (lambda folder: True)
    people = [p for p in sorted((args.faces / "people").iterdir()) if p.is_dir() and keep(p)]
    strangers = [p for p in sorted((args.faces / "strangers").iterdir()) if p.is_dir() and keep(p)]
    cache = VectorCache(Recognizer())
    with tempfile.TemporaryDirectory(prefix="facegate-galleries-") as tmp:
        root = Path(tmp)
        people_dir = linked(root, "people", people)
        sizes = sorted({min(size, len(people)) for size in SIZES})
        rows = [run_size(args, cache, people_dir, strangers, n, root, site) for site in (False, True) for n in sizes]
    if args.json:
        print(json.dumps({"half": args.half or "whole", "rows": rows}))
        return 0
    print(f"{args.half or 'whole'} set: {len(people)} people, {len(strangers)} strangers (identities)")
    print("people | draws | site strangers | top-1 mean | top-1 worst | FAR mean | FAR worst | stranger photos")
    for r in rows:
        print(
            f"{r['people']} | {r['draws']} | {'yes' if r['site_strangers'] else 'no'} | {r['top1_mean']} | "
            f"{r['top1_worst']} | {r['far_mean']:.4f} | {r['far_worst']:.3f} | {r['stranger_images']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

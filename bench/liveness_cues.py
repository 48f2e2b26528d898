"""Does a cue independent of the liveness network help? Measured on a folder of live/ and print/ (replay/) frames.

The cue: how much of the face's spectral energy lies at high spatial frequencies (a printed photo, re-imaged by the
camera, loses fine detail; a screen adds moire at fixed frequencies). It needs no training: like the network, its
threshold is chosen on live frames only. Fusion: each score becomes its percentile among the chosen live frames,
the fused score is the lower of the two (a face must look live to both), and its threshold is again chosen on live
frames only. Every threshold is chosen on one half of the subjects and measured on the other half (both ways), so
no figure comes from the frames it was tuned on; the whole set is shown beside them for reference.

    python -m bench.liveness_cues --frames ../shared/liveness [--json]

On ../shared/liveness (NUAA) there are printed photos only: no screen replay, no mask.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from app.recognition.images import ImageError, read_image
from app.recognition.liveness_eval import (
    LIVE,
    FrameScore,
    error_rates,
    labelled_images,
    pooled_samples,
    subject_halves,
    threshold_at_bpcer,
)
from app.recognition.pipeline import Recognizer

CUE_SIZE = 128
CUE_RADIUS = 32  # cycles per crop: the upper half of the spectrum's radius


def high_frequency_ratio(rgb: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """The share of the face crop's spectral magnitude beyond CUE_RADIUS (grey, 128x128, mean removed)."""
    x, y, w, h = (int(round(v)) for v in box)
    x, y = max(x, 0), max(y, 0)
    grey = cv2.cvtColor(cv2.resize(rgb[y : y + h, x : x + w], (CUE_SIZE, CUE_SIZE)), cv2.COLOR_RGB2GRAY)
    grey = grey.astype(np.float32) - grey.mean()
    magnitude = np.abs(np.fft.fftshift(np.fft.fft2(grey)))
    yy, xx = np.mgrid[-CUE_SIZE // 2 : CUE_SIZE // 2, -CUE_SIZE // 2 : CUE_SIZE // 2]
    return float(magnitude[np.hypot(yy, xx) > CUE_RADIUS].sum() / max(magnitude.sum(), 1e-9))


def score_frames(folder: Path) -> tuple[list[FrameScore], list[FrameScore], float]:
    """The network's and the cue's score of each frame's presenting face; the cue's ms per face."""
    recognizer = Recognizer(second="none")
    network, cue, cue_ms, faces = [], [], 0.0, 0
    for kind, subject, clip, path in labelled_images(folder):
        try:
            rgb = read_image(path)
        except ImageError:
            continue
        results, _ = recognizer.check_faces(rgb)
        recognizer.score_liveness(rgb, results)
        scored = [r for r in results if r.liveness is not None]
        face = max(scored, key=lambda r: r.face.box[2] * r.face.box[3], default=None)
        cue_score = None
        if face is not None:
            start = time.perf_counter()
            cue_score = high_frequency_ratio(rgb, face.face.box)
            cue_ms, faces = cue_ms + (time.perf_counter() - start) * 1000, faces + 1
        network.append(FrameScore(kind, subject, clip, str(path), None if face is None else face.liveness))
        cue.append(FrameScore(kind, subject, clip, str(path), cue_score))
    return network, cue, cue_ms / max(faces, 1)


def live_percentiles(frames: list[FrameScore], reference: np.ndarray) -> list[FrameScore]:
    """Each score replaced by the share of the reference live scores below it (0-1)."""
    ordered = np.sort(reference)
    return [
        FrameScore(f.kind, f.subject, f.clip, f.path,
                   None if f.score is None else float(np.searchsorted(ordered, f.score) / len(ordered)))
        for f in frames
    ]  # fmt: skip


def fused(network: list[FrameScore], cue: list[FrameScore], chosen_on: set[str]) -> list[FrameScore]:
    """The lower of the two live percentiles (each against the chosen subjects' live frames)."""

    def live(frames: list[FrameScore]) -> np.ndarray:
        return np.array([f.score for f in frames if f.kind == LIVE and f.subject in chosen_on and f.score is not None])

    a, b = live_percentiles(network, live(network)), live_percentiles(cue, live(cue))
    return [
        FrameScore(x.kind, x.subject, x.clip, x.path, None if None in (x.score, y.score) else min(x.score, y.score))
        for x, y in zip(a, b, strict=True)
    ]


def measure(methods: dict, chosen_on: set[str], measured_on: set[str], target: float, k: int) -> dict:
    """Per method: the threshold chosen on chosen_on's live frames, its error rates on measured_on, per frame and
    pooled over K frames."""
    out = {}
    for name, frames in methods.items():
        live = np.array([f.score for f in frames if f.kind == LIVE and f.subject in chosen_on and f.score is not None])
        threshold = threshold_at_bpcer(live, target)
        probe = [f for f in frames if f.subject in measured_on]
        frame_rates, pooled = error_rates(probe, threshold), error_rates(pooled_samples(probe, k), threshold)
        out[name] = {
            "threshold": round(threshold, 5),
            "bpcer": frame_rates["bpcer"], "apcer": frame_rates["apcer"],
            "pooled_bpcer": pooled["bpcer"], "pooled_apcer": pooled["apcer"],
            "apcer_at_bpcer_5pct": frame_rates["apcer_at_bpcer_5pct"],
        }  # fmt: skip
    return out


def run(folder: Path, target: float, k: int) -> dict:
    """Score the folder, then measure network, cue and fusion on each held-out half and on the whole."""
    network, cue, cue_ms = score_frames(folder)
    first, second = subject_halves(network)
    everyone = first | second
    report = {"frames": len(network), "target_bpcer": target, "k": k, "cue_ms_per_face": round(cue_ms, 2),
              "attack_kinds": sorted({f.kind for f in network if f.kind != LIVE}), "splits": []}  # fmt: skip
    splits = ((first, second, "A->B"), (second, first, "B->A"), (everyone, everyone, "whole"))
    for chosen_on, measured_on, label in splits:
        methods = {"network": network, "cue": cue, "fused": fused(network, cue, chosen_on)}
        report["splits"].append({"split": label, "chosen_on": sorted(chosen_on), "measured_on": sorted(measured_on),
                                 **measure(methods, chosen_on, measured_on, target, k)})  # fmt: skip
    return report


def print_table(report: dict) -> None:
    """The report as a table: one line per split and method."""
    print(f"target BPCER {report['target_bpcer']:.0%}, pooled over {report['k']} frames; attacks: "
          f"{', '.join(report['attack_kinds'])} (no screen replay unless listed); "
          f"cue {report['cue_ms_per_face']} ms/face")  # fmt: skip
    print(f"{'split':6s} {'method':8s} {'thresh':>8s} {'BPCER':>7s} {'APCER':>7s} {'pBPCER':>7s} {'pAPCER':>7s} "
          f"{'APCER@5%':>8s}")  # fmt: skip
    for split in report["splits"]:
        for method in ("network", "cue", "fused"):
            m = split[method]
            print(f"{split['split']:6s} {method:8s} {m['threshold']:8.4f} {m['bpcer']:7.4f} {m['apcer']:7.4f} "
                  f"{m['pooled_bpcer']:7.4f} {m['pooled_apcer']:7.4f} {m['apcer_at_bpcer_5pct']:8.4f}")  # fmt: skip


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=Path, default=Path("../shared/liveness"), help="folder with live/, print/")
    parser.add_argument("--target-bpcer", type=float, default=0.01)
    parser.add_argument("--k", type=int, default=5, help="frames a simulated track pools")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = run(args.frames, args.target_bpcer, args.k)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()

"""LFW-protocol pair verification: ten folds, each fold's threshold (and fusion weight) chosen on the other nine."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from app.recognition.images import ImageError, read_image
from app.recognition.pipeline import Recognizer


def read_pairs(pairs_file: Path, image_root: Path) -> list[tuple[int, bool, Path, Path]]:
    """(fold, same, path1, path2) from LFW's pairs.txt or a pairs_subset.tsv-style file."""
    root = Path(image_root)

    def lfw_path(name: str, number: str) -> Path:
        return root / name / f"{name}_{int(number):04d}.jpg"

    lines = Path(pairs_file).read_text().splitlines()
    if lines and lines[0].startswith("fold\t"):
        rows = csv.DictReader(lines, delimiter="\t")
        return [
            (
                int(r["fold"]),
                r["same"] == "1",
                root / r["path1"] if r.get("path1") else lfw_path(r["name1"], r["imagenum1"]),
                root / r["path2"] if r.get("path2") else lfw_path(r["name2"], r["imagenum2"]),
            )
            for r in rows
        ]
    folds, per_fold = (int(v) for v in lines[0].split())
    pairs = []
    for i, line in enumerate(lines[1 : 1 + folds * 2 * per_fold]):
        parts = line.split()
        fold = i // (2 * per_fold)
        if len(parts) == 3:
            pairs.append((fold, True, lfw_path(parts[0], parts[1]), lfw_path(parts[0], parts[2])))
        else:
            pairs.append((fold, False, lfw_path(parts[0], parts[1]), lfw_path(parts[2], parts[3])))
    return pairs


def best_threshold(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """The similarity threshold with the highest accuracy on these pairs, and that accuracy.

    Candidates lie halfway between neighbouring scores (the widest margin to both); among equally accurate
    ones the middle is taken.
    """
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1e-6], (values[1:] + values[:-1]) / 2, [values[-1] + 1e-6]])
    accuracy = np.array([np.mean((scores >= t) == same) for t in candidates])
    best = np.flatnonzero(accuracy == accuracy.max())
    return float(candidates[best[len(best) // 2]]), float(accuracy.max())


def fold_accuracies(folds: np.ndarray, same: np.ndarray, scores: np.ndarray) -> list[float]:
    """LFW protocol: each fold is scored with the threshold that is best on the other folds."""
    accuracies = []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(scores[~test], same[~test])[0] if (~test).any() else 0.5
        accuracies.append(float(np.mean((scores[test] >= threshold) == same[test])))
    return accuracies


FUSION_WEIGHTS = np.linspace(0.0, 1.0, 11)


def fused_fold_accuracies(folds: np.ndarray, same: np.ndarray, first: np.ndarray, second: np.ndarray) -> list[float]:
    """LFW protocol for the score (1 - w) * first + w * second: w and the threshold are chosen on the other folds.

    Among equally accurate weights the middle one is taken.
    """
    accuracies = []
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        choices = []
        for weight in FUSION_WEIGHTS:
            threshold, accuracy = best_threshold((1 - weight) * first[train] + weight * second[train], same[train])
            choices.append((accuracy, weight, threshold))
        top = max(accuracy for accuracy, _, _ in choices)
        tied = [(weight, threshold) for accuracy, weight, threshold in choices if accuracy == top]
        weight, threshold = tied[len(tied) // 2]
        fused = (1 - weight) * first[test] + weight * second[test]
        accuracies.append(float(np.mean((fused >= threshold) == same[test])))
    return accuracies


def verify_pairs(recognizer: Recognizer, pairs_file: Path, image_root: Path) -> dict:
    """LFW-protocol verification with the configured pipeline: FaceNet, fused with the second embedder if any.

    With a second embedder, `accuracy` is the fused score's (its weight chosen, like the threshold, on the other
    nine folds); `facenet_accuracy` and `second_embedder_accuracy` give each network alone on the same faces.
    """
    pairs = read_pairs(pairs_file, image_root)
    cache: dict[Path, tuple[np.ndarray, np.ndarray | None] | None] = {}

    def embeddings(path: Path) -> tuple[np.ndarray, np.ndarray | None] | None:
        if path not in cache:
            cache[path] = None
            try:
                rgb = read_image(path)
            except ImageError:
                return None
            results = recognizer.analyse(rgb, central_only=True)
            if results and results[0].embedding is not None:
                second = recognizer.second_embeddings(rgb, [results[0].face])
                cache[path] = (results[0].embedding, None if second is None else second[0])
        return cache[path]

    folds, same, scores, second_scores, no_face = [], [], [], [], 0
    for fold, is_same, path1, path2 in pairs:
        a, b = embeddings(path1), embeddings(path2)
        if a is None or b is None:
            no_face += 1
            continue
        folds.append(fold)
        same.append(is_same)
        scores.append(float(a[0] @ b[0]))
        if a[1] is not None:
            second_scores.append(float(a[1] @ b[1]))
    folds_a, same_a = np.array(folds), np.array(same)
    facenet = fold_accuracies(folds_a, same_a, np.array(scores))
    accuracies = facenet
    if second_scores:
        accuracies = fused_fold_accuracies(folds_a, same_a, np.array(scores), np.array(second_scores))
    result = {
        "pairs": len(pairs),
        "accuracy": round(float(np.mean(accuracies)), 4),
        "accuracy_std": round(float(np.std(accuracies)), 4),
        "no_face": no_face,
        "folds": len(accuracies),
        "detector": recognizer.detector,
        "embedder": recognizer.embedder,
    }
    if second_scores:
        result["facenet_accuracy"] = round(float(np.mean(facenet)), 4)
        second_accuracies = fold_accuracies(folds_a, same_a, np.array(second_scores))
        result["second_embedder_accuracy"] = round(float(np.mean(second_accuracies)), 4)
    return result

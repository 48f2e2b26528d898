"""The open-set classifier: the SVM proposes, distance confirms; strangers are rejected; training is incremental."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.recognition.calibrate import class_centroids, impostor_threshold, leave_one_out_scores
from app.recognition.classify import (
    Thresholds,
    classifier_from_arrays,
    classifier_to_arrays,
    train_classifier,
)
from app.recognition.enrol import train_from_cache, update_cache
from app.recognition.evaluate import evaluate
from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer


def clusters(people: int, per_person: int, dim: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic unit embeddings around one random centre per person (cosine to the centre about 0.7)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = np.repeat(centres, per_person, axis=0) + rng.normal(scale=0.045, size=(people * per_person, dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32), np.repeat([f"staff-{i}" for i in range(people)], per_person)


def test_leave_one_out_scores_exclude_the_image_itself() -> None:
    embeddings, labels = clusters(3, 4)
    classes = np.unique(labels)
    genuine, impostor = leave_one_out_scores(embeddings, labels, classes)
    own = class_centroids(np.delete(embeddings, 0, axis=0), np.delete(labels, 0), classes)[0]
    assert genuine[0] == pytest.approx(float(embeddings[0] @ own), abs=1e-5)
    assert genuine.min() > impostor.max()
    assert impostor_threshold(impostor, 0.0) == pytest.approx(impostor.max())


def test_members_are_recognised_and_strangers_rejected() -> None:
    embeddings, labels = clusters(40, 10)
    model = train_classifier(embeddings[::2], labels[::2])
    members = model.decide(embeddings[1::2])
    assert [d.label for d in members] == list(labels[1::2])
    strangers, _ = clusters(400, 1, seed=99)
    # Strangers are drawn like the enrolled impostors, so about target_far (1%) of them may pass.
    assert np.mean([d.label is not None for d in model.decide(strangers)]) <= 0.03


def test_unsure_faces_ask_the_second_embedder_and_sure_ones_do_not() -> None:
    embeddings, labels = clusters(4, 6)
    second, _ = clusters(4, 6, dim=128, seed=1)
    model = train_classifier(embeddings, labels, second)
    probe = embeddings[:2].copy()
    asked: list[list[int]] = []
    unsure = Thresholds(sure=2.0, unsure=-2.0, primary=0.0, second=model.thresholds.second)

    def second_opinion(indices: np.ndarray) -> np.ndarray:
        asked.append(indices.tolist())
        return np.stack([second[0], -second[0]])

    model = type(model)(model.svm, model.centroids, model.second_centroids, unsure)
    decisions = model.decide(probe, second_opinion)
    assert asked == [[0, 1]]
    assert decisions[0].label == labels[0] and decisions[0].reason == "confirmed by second embedder"
    assert decisions[1].label is None and decisions[1].candidate == labels[0]


def test_classifier_round_trips_through_arrays() -> None:
    embeddings, labels = clusters(5, 4)
    model = train_classifier(embeddings, labels)
    again = classifier_from_arrays(*classifier_to_arrays(model))
    assert [d.label for d in again.decide(embeddings)] == [d.label for d in model.decide(embeddings)]


def test_one_person_is_not_enough_to_calibrate() -> None:
    embeddings, labels = clusters(1, 5)
    with pytest.raises(ValueError, match="at least two"):
        train_classifier(embeddings, labels)


@pytest.mark.slow
def test_incremental_training_equals_full_training(faces_dir: Path) -> None:
    people = ["Alvaro_Uribe", "Halle_Berry", "Jacques_Chirac", "Anna_Kournikova"]
    paths = {f"{name}/{i}": faces_dir / "people" / name / f"{name}_{i:04d}.jpg" for name in people for i in (1, 2, 3)}
    images = {key: (lambda p=path: read_image(p)) for key, path in paths.items()}
    label_of = {key: key.split("/")[0] for key in paths}
    recognizer = Recognizer()

    cache: dict[str, np.ndarray] = {}
    first = {k: v for k, v in images.items() if not k.startswith("Anna")}
    assert len(update_cache(recognizer, cache, first)) == 9
    assert update_cache(recognizer, cache, images) == ["Anna_Kournikova/1", "Anna_Kournikova/2", "Anna_Kournikova/3"]
    incremental = train_from_cache(cache, label_of)

    full_cache: dict[str, np.ndarray] = {}
    assert len(update_cache(recognizer, full_cache, images, recompute=True)) == 12
    full = train_from_cache(full_cache, label_of)
    for a, b in zip(classifier_to_arrays(incremental)[0].values(), classifier_to_arrays(full)[0].values(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert incremental.thresholds == full.thresholds


@pytest.mark.slow
def test_evaluate_on_a_subset_rejects_strangers(faces_dir: Path, tmp_path: Path) -> None:
    # A subset keeps this test short; the benchmark evaluates everything.
    strangers = tmp_path / "strangers"
    strangers.mkdir()
    for folder in sorted((faces_dir / "strangers").iterdir())[::3]:
        (strangers / folder.name).symlink_to(folder, target_is_directory=True)
    result = evaluate(Recognizer(), faces_dir / "people", strangers, enroll=10, limit_people=6)
    assert result["identities"] == 6 and result["stranger_images"] == 47
    assert result["errors"] == []
    assert result["top1_accuracy"] >= 0.95
    assert result["stranger_false_accept_rate"] <= 0.02

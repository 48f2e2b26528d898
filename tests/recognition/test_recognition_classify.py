"""The open-set classifier: the SVM proposes, distance confirms; strangers are rejected; models round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.recognition.calibrate import (
    class_centroids,
    gumbel_threshold,
    impostor_threshold,
    leave_one_out_matrix,
    leave_one_out_scores,
)
from app.recognition.classify import (
    Fusion,
    ModelFormatError,
    Thresholds,
    calibrate_fusion,
    classifier_from_arrays,
    classifier_to_arrays,
    train_classifier,
)
from app.recognition.evaluate import best_threshold, evaluate
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


def test_a_person_with_one_photo_has_no_genuine_score() -> None:
    embeddings, labels = clusters(3, 3)
    embeddings, labels = embeddings[2:], labels[2:]  # staff-0 keeps one photo
    matrix = leave_one_out_matrix(embeddings, labels, np.unique(labels))
    assert np.isnan(matrix[0, 0]) and not np.isnan(matrix[1:]).any()
    genuine, impostor = leave_one_out_scores(embeddings, labels, np.unique(labels))
    assert len(genuine) == 6 and len(impostor) == 7


def test_gumbel_threshold_matches_the_tail_of_a_gumbel_sample() -> None:
    sample = np.random.default_rng(3).gumbel(loc=0.4, scale=0.05, size=20000)
    for far in (0.01, 0.001):
        true_quantile = 0.4 - 0.05 * np.log(-np.log1p(-far))
        assert gumbel_threshold(sample, far) == pytest.approx(true_quantile, abs=0.01)
        assert np.mean(sample >= gumbel_threshold(sample, far)) == pytest.approx(far, abs=far / 2)
    assert gumbel_threshold(sample, 0.001) > gumbel_threshold(sample, 0.01)


def test_fusion_weighs_the_embedder_that_separates_people() -> None:
    sharp, labels = clusters(12, 6)
    rng = np.random.default_rng(5)
    blurred = sharp[:, :128] + rng.normal(scale=0.2, size=(len(sharp), 128))
    blurred /= np.linalg.norm(blurred, axis=1, keepdims=True)
    classes = np.unique(labels)
    matrices = leave_one_out_matrix(sharp, labels, classes), leave_one_out_matrix(blurred, labels, classes)
    assert calibrate_fusion(matrices[0], matrices[1], labels, classes).weight < 0.5
    assert calibrate_fusion(matrices[1], matrices[0], labels, classes).weight > 0.5


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
    fused = Fusion(weight=0.5, mean=0.0, std=1.0, second_mean=0.0, second_std=1.0, threshold=0.5)
    unsure = Thresholds(sure=2.0, unsure=-2.0, primary=0.0, fusion=fused)

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


def test_a_model_file_of_another_format_asks_for_a_retrain() -> None:
    embeddings, labels = clusters(3, 4)
    arrays, _ = classifier_to_arrays(train_classifier(embeddings, labels))
    old_meta = {"thresholds": {"sure": 0.6, "unsure": 0.4, "primary": 0.5, "second": None}}
    with pytest.raises(ModelFormatError, match="flask faces train"):
        classifier_from_arrays(arrays, old_meta)


def test_pair_threshold_lies_halfway_between_the_classes() -> None:
    threshold, accuracy = best_threshold(np.array([0.1, 0.2, 0.8, 0.9]), np.array([False, False, True, True]))
    assert threshold == pytest.approx(0.5) and accuracy == 1.0


def test_one_person_is_not_enough_to_calibrate() -> None:
    embeddings, labels = clusters(1, 5)
    with pytest.raises(ValueError, match="at least two"):
        train_classifier(embeddings, labels)


@pytest.mark.slow
def test_evaluate_on_a_subset_rejects_strangers(faces_dir: Path, tmp_path: Path) -> None:
    # A subset keeps this test short; the benchmark evaluates everything. Ten people, because calibration from
    # fewer is imprecise (docs/recognition.md, "Small galleries").
    strangers = tmp_path / "strangers"
    strangers.mkdir()
    for folder in sorted((faces_dir / "strangers").iterdir())[::3]:
        (strangers / folder.name).symlink_to(folder, target_is_directory=True)
    result = evaluate(Recognizer(), faces_dir / "people", strangers, enroll=10, limit_people=10)
    assert result["identities"] == 10 and result["stranger_images"] == 47
    assert result["errors"] == []
    assert result["top1_accuracy"] >= 0.95
    assert result["stranger_false_accept_rate"] <= 0.02

"""The open-set classifier: the SVM proposes, cohort-normalised similarity confirms; strangers are rejected for any
gallery size, and the site's strangers and an admin's "not X" tighten it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.recognition.calibrate import ScoreNorm, leave_one_out_genuine, top_n_stats, upper_quantile
from app.recognition.classify import (
    TARGET_FAR,
    ModelFormatError,
    classifier_from_arrays,
    classifier_to_arrays,
    train_classifier,
)
from app.recognition.cohort import SITE_GROUP_PREFIX, Cohort, load_cohort, save_cohort
from app.recognition.evaluate import evaluate, person_photos
from app.recognition.pairs import best_threshold
from app.recognition.pipeline import Recognizer


def clusters(
    people: int, per_person: int, dim: int = 512, seed: int = 0, spread: float = 0.045
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic unit embeddings around one random centre per person (cosine to the centre about 0.7)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = np.repeat(centres, per_person, axis=0) + rng.normal(scale=spread, size=(people * per_person, dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32), np.repeat([f"staff-{i}" for i in range(people)], per_person)


def synthetic_cohort(faces: int = 600, seed: int = 7, second: bool = False) -> Cohort:
    """Faces of `faces` people who are never enrolled, one each."""
    first, groups = clusters(faces, 1, seed=seed)
    vectors = np.hstack([first, clusters(faces, 1, dim=128, seed=seed + 1)[0]]) if second else first
    return Cohort.from_vectors(vectors, groups)


def test_top_n_statistics_use_only_the_most_similar_cohort_faces() -> None:
    scores = np.array([[0.9, 0.1, 0.8, 0.2]])
    mean, std = top_n_stats(scores, 2)
    assert mean[0] == pytest.approx(0.85) and std[0] == pytest.approx(0.05)
    mean, _ = top_n_stats(scores, 2, excluded=np.array([[True, False, False, False]]))
    assert mean[0] == pytest.approx(0.5)


def test_a_cohort_face_is_normalised_without_its_own_group() -> None:
    centroids, _ = clusters(1, 1, seed=1)
    cohort, groups = clusters(50, 2, seed=2)
    norm = ScoreNorm.fit(centroids, cohort, groups, top_n=10)
    face, index = cohort[:1], np.zeros(1, int)
    # Left out: exactly the normalisation against a cohort without its group (itself and its twin).
    without = ScoreNorm(centroids, cohort[2:], groups[2:], norm.z_mean, norm.z_std, top_n=10)
    assert norm.normalise(face, index, own_groups=groups[:1])[0] == pytest.approx(without.normalise(face, index)[0])
    # Kept in, its own face (cosine 1) and its twin sit in its top 10, so the score differs.
    assert norm.normalise(face, index)[0] != pytest.approx(without.normalise(face, index)[0])


def test_leave_one_out_genuine_scores_exclude_the_image_itself() -> None:
    embeddings, labels = clusters(3, 4)
    genuine = leave_one_out_genuine(embeddings, labels, np.unique(labels))
    rest = embeddings[1:4].sum(axis=0)
    assert genuine[0] == pytest.approx(float(embeddings[0] @ rest / np.linalg.norm(rest)), abs=1e-5)
    one_photo = leave_one_out_genuine(embeddings[3:], labels[3:], np.unique(labels))
    assert np.isnan(one_photo[0]) and not np.isnan(one_photo[1:]).any()


def test_members_are_recognised_and_strangers_rejected() -> None:
    embeddings, labels = clusters(40, 10)
    model = train_classifier(embeddings[::2], labels[::2], synthetic_cohort())
    assert [v.label for v in model.decide(embeddings[1::2])] == list(labels[1::2])
    strangers, _ = clusters(1000, 1, seed=99)
    # New strangers are drawn like the cohort, so about TARGET_FAR of them may pass.
    assert np.mean([v.label is not None for v in model.decide(strangers)]) <= 5 * TARGET_FAR


@pytest.mark.parametrize("people", [1, 2, 3])
def test_small_galleries_from_one_person_up_reject_strangers(people: int) -> None:
    embeddings, labels = clusters(people, 10, seed=people)
    model = train_classifier(embeddings, labels, synthetic_cohort())
    assert list(model.classes) == sorted(set(labels))
    probes, _ = clusters(people, 10, seed=people)  # the same people, other photos (same seed: same centres)
    assert all(v.label is not None for v in model.decide(probes))
    strangers, _ = clusters(1000, 1, seed=123)
    assert np.mean([v.label is not None for v in model.decide(strangers)]) <= 5 * TARGET_FAR


def test_site_strangers_from_the_gates_camera_raise_the_threshold() -> None:
    # The site's camera makes everyone look alike: its strangers lie closer to the staff than the shipped cohort.
    staff, labels = clusters(3, 10, seed=5)
    rng = np.random.default_rng(6)
    camera = rng.normal(size=512)

    def at_the_site(vectors: np.ndarray) -> np.ndarray:
        moved = vectors + 0.08 * camera / np.linalg.norm(camera) * np.sqrt(512) / 10
        return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)

    staff = at_the_site(staff)
    seen, _ = clusters(300, 1, seed=8)
    site = Cohort.from_vectors(at_the_site(seen), [f"{SITE_GROUP_PREFIX}{i}" for i in range(300)])
    plain = train_classifier(staff, labels, synthetic_cohort())
    with_site = train_classifier(staff, labels, synthetic_cohort().join(site))
    assert with_site.thresholds.site_faces == 300 and plain.thresholds.site_faces == 0
    assert with_site.thresholds.primary > plain.thresholds.primary
    strangers = at_the_site(clusters(500, 1, seed=9)[0])
    assert np.mean([v.label is not None for v in with_site.decide(strangers)]) <= 5 * TARGET_FAR


def test_unsure_faces_ask_the_second_embedder_and_sure_ones_do_not() -> None:
    embeddings, labels = clusters(4, 6)
    second, _ = clusters(4, 6, dim=128, seed=1)
    model = train_classifier(embeddings, labels, synthetic_cohort(second=True), second)
    t = model.thresholds
    assert t.unsure < t.accept and t.unsure < t.sure
    asked: list[list[int]] = []

    def second_opinion(indices: np.ndarray) -> np.ndarray:
        asked.append(indices.tolist())
        return second[indices]

    sure = embeddings[:1]
    # A blend of a member and a stranger that FaceNet is unsure about.
    stranger = clusters(1, 1, seed=77)[0]
    blends = [embeddings[6:7] * a + stranger * (1 - a) for a in np.linspace(0.0, 1.0, 201)]
    blends = np.vstack([b / np.linalg.norm(b) for b in blends])
    scores = model.facenet.normalise(blends, model.svm.predict_index(blends))
    unsure = blends[np.flatnonzero((scores >= t.unsure) & (scores < t.sure))[:1]]
    assert len(unsure) == 1
    verdicts = model.decide(np.vstack([sure, unsure]), second_opinion)
    assert asked == [[1]]
    assert verdicts[0].reason == "facenet sure" and verdicts[0].second_score is None
    assert verdicts[1].second_score is not None


def test_a_face_marked_not_x_is_no_longer_taken_for_x() -> None:
    embeddings, labels = clusters(5, 8)
    cohort = synthetic_cohort()
    look_alike = embeddings[:1] * 0.8 + clusters(1, 1, seed=55)[0] * 0.2
    look_alike /= np.linalg.norm(look_alike)
    before = train_classifier(embeddings, labels, cohort)
    assert before.decide(look_alike)[0].label == "staff-0"
    after = train_classifier(embeddings, labels, cohort, hard_negatives={"staff-0": look_alike})
    assert after.decide(look_alike)[0].label is None
    assert [v.label for v in after.decide(embeddings)] == list(labels)


def test_classifier_round_trips_through_arrays() -> None:
    embeddings, labels = clusters(5, 4)
    second, _ = clusters(5, 4, dim=128, seed=3)
    model = train_classifier(embeddings, labels, synthetic_cohort(second=True), second)
    again = classifier_from_arrays(*classifier_to_arrays(model))
    assert again.thresholds == model.thresholds
    opinion = lambda idx: second[idx]  # noqa: E731
    assert again.decide(embeddings, opinion) == model.decide(embeddings, opinion)


def test_a_model_file_of_another_format_asks_for_a_retrain() -> None:
    embeddings, labels = clusters(3, 4)
    arrays, _ = classifier_to_arrays(train_classifier(embeddings, labels, synthetic_cohort()))
    old_meta = {"format": 2, "thresholds": {"sure": 0.6, "unsure": 0.4, "primary": 0.5, "fusion": None}}
    with pytest.raises(ModelFormatError, match="flask faces train"):
        classifier_from_arrays(arrays, old_meta)


def test_training_needs_someone_and_a_cohort() -> None:
    embeddings, labels = clusters(2, 3)
    with pytest.raises(ValueError, match="at least one"):
        train_classifier(embeddings[:0], labels[:0], synthetic_cohort())
    with pytest.raises(ValueError, match="cohort"):
        train_classifier(embeddings, labels, synthetic_cohort(faces=1))


def test_cohort_files_round_trip_and_name_their_embedder(tmp_path: Path) -> None:
    cohort = synthetic_cohort(faces=20, second=True)
    save_cohort(tmp_path / "c.npz", cohort, {"embedding": "facenet-20180408+dlib-resnet-v1", "source": "test"})
    again, meta = load_cohort(tmp_path / "c.npz", "facenet-20180408+dlib-resnet-v1")
    np.testing.assert_array_equal(again.vectors(), cohort.vectors())
    assert meta["faces"] == 20 and meta["source"] == "test"
    facenet_only, _ = load_cohort(tmp_path / "c.npz", "facenet-20180408")
    assert facenet_only.second is None
    with pytest.raises(ValueError, match="build-cohort"):
        load_cohort(tmp_path / "c.npz", "another-embedder")


def test_upper_quantile_is_a_sample_score() -> None:
    scores = np.arange(1000, dtype=float)
    assert upper_quantile(scores, 0.002) == 998.0


def test_pair_threshold_lies_halfway_between_the_classes() -> None:
    threshold, accuracy = best_threshold(np.array([0.1, 0.2, 0.8, 0.9]), np.array([False, False, True, True]))
    assert threshold == pytest.approx(0.5) and accuracy == 1.0


def test_session_folders_enrol_from_the_first_session_and_probe_the_others(tmp_path: Path) -> None:
    for session, count in (("session01", 12), ("session02", 5)):
        (tmp_path / "p" / session).mkdir(parents=True)
        for i in range(count):
            (tmp_path / "p" / session / f"{i:02d}.jpg").write_bytes(b"")
    photos = person_photos(tmp_path / "p", 10)
    assert [p.parent.name for p in photos.enrol] == ["session01"] * 10
    assert [p.parent.name for p in photos.probes] == ["session02"] * 5


@pytest.mark.slow
def test_evaluate_random_small_galleries_reject_strangers(faces_dir: Path, shipped_cohort: Cohort) -> None:
    # Twelve people and every third stranger keep this test short; the benchmark evaluates everything.
    result = evaluate(
        Recognizer(), faces_dir / "people", faces_dir / "strangers", enroll=10, cohort=shipped_cohort,
        people=3, draws=3, seed=1, limit_people=12,
    )  # fmt: skip
    assert result["identities"] == 3 and result["draws"] == 3 and result["stranger_images"] == 120
    assert result["errors"] == []
    assert result["top1_mean"] >= 0.95 and result["far_mean"] <= 0.02 and result["far_worst"] <= 0.05
    assert result["thresholds"]["cohort_faces"] == len(shipped_cohort)

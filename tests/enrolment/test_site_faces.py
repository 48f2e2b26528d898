"""What the gates teach training, on the real MariaDB: strangers join the site cohort, "not X" becomes a hard negative
for X, an admin's review and the retention rules decide what stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from app.accounts import create_gate, create_staff
from app.enrolment.site_faces import (
    hard_negatives,
    purge_decision_faces,
    record_decision_face,
    review_face,
    site_cohort,
)
from app.models import DecisionFace
from app.recognition.cohort import SITE_GROUP_PREFIX

EMBEDDER = "facenet-20180408+dlib-resnet-v1"
NOW = datetime.now(UTC)


def vector(seed: int, length: int = 640) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=length).astype(np.float32)
    return v / np.linalg.norm(v)


def decided(
    gate, kind: str, staff_id: str | None, days_ago: float, seed: int, length: int = 640, frame: bytes | None = None
) -> DecisionFace:
    decision_id = uuid.uuid4().hex
    when = NOW - timedelta(days=days_ago)
    record_decision_face(decision_id, gate.id, kind, staff_id, when, vector(seed, length), EMBEDDER, b"\xff\xd8jpeg",
                         frame)  # fmt: skip
    return DecisionFace.query.filter_by(decision_id=decision_id).one()


@pytest.fixture()
def site(db):
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("E1", "Ada", "Lovelace", gate_names=["Front"])
    return gate, staff


def test_a_decision_face_is_recorded_once(db, site) -> None:
    gate, _ = site
    record_decision_face("d" * 32, gate.id, "stranger", None, NOW, vector(1), EMBEDDER, None)
    record_decision_face("d" * 32, gate.id, "stranger", None, NOW, vector(2), EMBEDDER, None)
    [face] = db.session.scalars(select(DecisionFace)).all()
    np.testing.assert_array_equal(face.embedding_vector(), vector(1))


def test_strangers_form_the_site_cohort_newest_first_within_the_limits(db, site) -> None:
    gate, _ = site
    recent = [decided(gate, "stranger", None, days, seed=days) for days in (1, 2, 3)]
    decided(gate, "stranger", None, 100, seed=100)  # older than the cohort's days
    decided(gate, "granted", "E1", 1, seed=7)  # not a stranger
    decided(gate, "stranger", None, 1, seed=8, length=512)  # FaceNet part only: another layout
    review_face(recent[2], "was_staff", None)  # an admin said it was a member of staff
    cohort = site_cohort(EMBEDDER, max_faces=10, days=90)
    assert list(cohort.groups) == [f"{SITE_GROUP_PREFIX}{recent[0].id}", f"{SITE_GROUP_PREFIX}{recent[1].id}"]
    np.testing.assert_allclose(cohort.vectors(), np.stack([vector(1), vector(2)]), atol=1e-7)
    assert len(site_cohort(EMBEDDER, max_faces=1, days=90)) == 1
    assert site_cohort("another-embedder", 10, 90) is None
    # The FaceNet-only face was recorded under FaceNet's own name.
    assert site_cohort("facenet-20180408", 10, 90).vectors().shape == (1, 512)


def test_a_grant_marked_not_this_person_is_a_hard_negative_for_them(db, site) -> None:
    gate, staff = site
    wrong = decided(gate, "granted", "E1", 1, seed=11)
    right = decided(gate, "granted", "E1", 1, seed=12)
    assert hard_negatives(EMBEDDER) == {}
    review_face(wrong, "wrong_person", None)
    review_face(right, "correct", None)
    negatives = hard_negatives(EMBEDDER)
    assert list(negatives) == ["E1"] and negatives["E1"].shape == (1, 640)
    np.testing.assert_allclose(negatives["E1"][0], vector(11), atol=1e-7)
    # The snapshot stays with the review: it is the decision's evidence until SNAPSHOT_DAYS.
    assert wrong.crop is not None and wrong.reviewed_at is not None


def test_a_review_must_fit_the_decision(db, site) -> None:
    gate, _ = site
    stranger = decided(gate, "stranger", None, 1, seed=1)
    with pytest.raises(ValueError, match="not_staff or was_staff"):
        review_face(stranger, "wrong_person", None)
    assert stranger.review is None and stranger.crop is not None


def test_retention_drops_old_snapshots_unreviewed_grants_and_old_strangers(db, site) -> None:
    gate, _ = site
    fresh_stranger = decided(gate, "stranger", None, 1, seed=1, frame=b"\xff\xd8 whole frame")
    old_stranger = decided(gate, "stranger", None, 5, seed=2, frame=b"\xff\xd8 whole frame")
    ancient_stranger = decided(gate, "stranger", None, 100, seed=3)
    old_grant = decided(gate, "granted", "E1", 5, seed=4)
    old_negative = decided(gate, "granted", "E1", 5, seed=5)
    review_face(old_negative, "wrong_person", None)
    ids = {name: face.id for name, face in locals().items() if isinstance(face, DecisionFace)}
    counts = purge_decision_faces(NOW, snapshot_days=3, cohort_days=90)
    db.session.expire_all()
    left = {face.id: face for face in db.session.scalars(select(DecisionFace))}
    assert set(left) == {ids["fresh_stranger"], ids["old_stranger"], ids["old_negative"]}
    assert ids["ancient_stranger"] not in left and ids["old_grant"] not in left
    fresh, old, negative = (left[ids[name]] for name in ("fresh_stranger", "old_stranger", "old_negative"))
    assert (fresh.crop, fresh.frame) == (b"\xff\xd8jpeg", b"\xff\xd8 whole frame")
    assert (old.crop, old.frame, negative.crop) == (None, None, None)
    assert counts == {"decision_crops": 2, "decision_faces": 2}


def test_forgetting_a_person_forgets_their_decision_faces(db, site) -> None:
    gate, staff = site
    decided(gate, "granted", "E1", 1, seed=1)
    db.session.delete(staff)
    db.session.commit()
    assert db.session.scalars(select(DecisionFace)).all() == []

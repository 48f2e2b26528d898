"""What the site's gates have taught: the faces they decided were strangers, and the grants an admin marked wrong.

Every delivered decision keeps its track's mean embedding (and a small crop, for review) as a DecisionFace row.
Training reads them back: strangers' faces join the background cohort (newest first, within the retention, up to
a cap, minus those an admin said were staff), and "this was not X" faces become hard negatives for X.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import DecisionFace, Staff
from app.models.types import utcnow
from app.recognition.cohort import SITE_GROUP_PREFIX, Cohort
from app.recognition.embed import EMBEDDING_DIM


def record_decision_face(
    decision_id: str,
    gate_id: int,
    kind: str,
    staff_id: str | None,
    captured_at: datetime,
    vector: np.ndarray | None,
    embedder: str,
    crop: bytes | None,
    frame: bytes | None = None,
) -> None:
    """Keep the face of a delivered decision (once: a retried or concurrent delivery finds the row): its vector,
    crop (the decision's snapshot) and, if stashed, whole frame; committed.

    embedder names the full vector layout; a vector with only its FaceNet part is recorded under FaceNet's name.
    """
    if db.session.scalar(select(DecisionFace.id).where(DecisionFace.decision_id == decision_id)) is not None:
        return
    staff = None if staff_id is None else db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
    if vector is not None and len(vector) == EMBEDDING_DIM:
        embedder = embedder.split("+")[0]
    db.session.add(
        DecisionFace(
            decision_id=decision_id,
            gate_id=gate_id,
            kind=kind,
            staff_id=None if staff is None else staff.id,
            captured_at=captured_at,
            embedding=None if vector is None else np.asarray(vector, np.float32).tobytes(),
            embedder=None if vector is None else embedder,
            crop=crop,
            frame=frame,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # another worker delivering the same decision recorded it first
        db.session.rollback()


def site_cohort(embedder: str, max_faces: int, days: int) -> Cohort | None:
    """The faces the gates decided were strangers in the last `days` days (newest `max_faces`), minus those an
    admin said were staff; None when there are none. Each face is its own group (one track)."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(DecisionFace.id, DecisionFace.embedding)
        .where(
            DecisionFace.kind == "stranger",
            DecisionFace.embedder == embedder,
            DecisionFace.embedding.is_not(None),
            DecisionFace.captured_at >= since,
            (DecisionFace.review.is_(None)) | (DecisionFace.review != "was_staff"),
        )
        .order_by(DecisionFace.captured_at.desc())
        .limit(max_faces)
    ).all()
    if not rows:
        return None
    vectors = np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows])
    return Cohort.from_vectors(vectors, [f"{SITE_GROUP_PREFIX}{row_id}" for row_id, _ in rows])


def hard_negatives(embedder: str) -> Mapping[str, np.ndarray]:
    """Per staff ID, the mean embeddings of the faces an admin marked "this was not them"."""
    rows = db.session.execute(
        select(Staff.staff_id, DecisionFace.embedding)
        .join(Staff, DecisionFace.staff_id == Staff.id)
        .where(
            DecisionFace.review == "wrong_person",
            DecisionFace.embedder == embedder,
            DecisionFace.embedding.is_not(None),
        )
    ).all()
    found: dict[str, list[np.ndarray]] = defaultdict(list)
    for staff_id, blob in rows:
        found[staff_id].append(np.frombuffer(blob, dtype=np.float32))
    return {staff_id: np.stack(vectors) for staff_id, vectors in found.items()}


def review_face(face: DecisionFace, review: str, user_id: int | None) -> None:
    """Record an admin's review of a decision's face (its snapshot stays for SNAPSHOT_DAYS); committed."""
    if face.kind == "spoof":
        raise ValueError("a spoof decision (a face that was not live) is evidence only; it is not reviewed")
    allowed = ("not_staff", "was_staff") if face.kind == "stranger" else ("correct", "wrong_person")
    if review not in allowed:
        raise ValueError(f"a {face.kind} decision can be reviewed as {' or '.join(allowed)}, not {review!r}")
    face.review, face.reviewed_by, face.reviewed_at = review, user_id, utcnow()
    db.session.commit()


def purge_decision_faces(now: datetime, snapshot_days: int, cohort_days: int) -> dict[str, int]:
    """Retention: snapshots (crops and frames) older than snapshot_days; grants and denials older than that unless
    marked "not this person"; strangers older than cohort_days. Hard negatives stay until the person is deleted."""
    reviewed_people = db.session.execute(
        delete(DecisionFace).where(
            DecisionFace.kind != "stranger",
            (DecisionFace.review.is_(None)) | (DecisionFace.review != "wrong_person"),
            DecisionFace.captured_at < now - timedelta(days=snapshot_days),
        )
    ).rowcount
    strangers = db.session.execute(
        delete(DecisionFace).where(
            DecisionFace.kind == "stranger", DecisionFace.captured_at < now - timedelta(days=cohort_days)
        )
    ).rowcount
    crops = db.session.execute(
        update(DecisionFace)
        .where(
            DecisionFace.crop.is_not(None) | DecisionFace.frame.is_not(None),
            DecisionFace.captured_at < now - timedelta(days=snapshot_days),
        )
        .values(crop=None, frame=None)
    ).rowcount
    db.session.commit()
    return {"decision_crops": crops, "decision_faces": reviewed_people + strangers}

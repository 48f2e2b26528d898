"""Snapshots: the face crop (and, when kept, the whole frame) of each gate decision, from the DecisionFace rows.

One store, in the database, so every host serves them. Admins may see every snapshot; a member of staff only the
snapshots of decisions about themselves (never a stranger's, never another person's).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import DecisionFace, User

PARTS = ("face", "frame")


def with_snapshots(decision_ids: Iterable[str]) -> set[str]:
    """Those of decision_ids whose decision still has a face crop."""
    wanted = {decision_id for decision_id in decision_ids if decision_id}
    if not wanted:
        return set()
    query = select(DecisionFace.decision_id).where(
        DecisionFace.decision_id.in_(wanted), DecisionFace.crop.is_not(None)
    )
    return set(db.session.scalars(query))


def snapshot_image(decision_id: str, part: str) -> tuple[DecisionFace, bytes] | None:
    """The decision's face row and the JPEG of `part` ("face" or "frame"), or None when there is none (any more)."""
    face = db.session.scalar(select(DecisionFace).where(DecisionFace.decision_id == decision_id))
    if face is None:
        return None
    image = face.crop if part == "face" else face.frame
    return None if image is None else (face, image)


def may_see(user: User, face: DecisionFace) -> bool:
    """Whether user may see this decision's snapshot: admins always, staff only when the decision was about them."""
    if user.is_admin:
        return True
    return user.staff is not None and face.staff_id == user.staff.id

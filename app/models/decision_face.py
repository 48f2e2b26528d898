"""The face behind each gate decision: the track's mean embedding, a small crop kept for review, the admin's review.

Strangers' faces form the site cohort that training calibrates stranger rejection on; a grant an admin marks
"this was not X" becomes a hard negative for X. The crop is the decision's snapshot, shown wherever the decision is
(live page, log, review, the person's own /me) for SNAPSHOT_DAYS; with SNAPSHOT_FRAMES the whole deciding frame is
kept beside it. Embeddings of strangers leave the cohort after its retention (docs/recognition.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import BigIntKey, MediumBlob, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate
    from app.models.staff import Staff

# spoof: a track that looked like a member of staff (staff_id) but was not live, at a gate enforcing liveness.
DECISION_KINDS = ("granted", "denied", "stranger", "spoof")
# not_staff: a stranger indeed (stays in the site cohort); was_staff: a member of staff decided as a stranger (left
# out of the cohort); correct: the person named was right; wrong_person: "this was not X" (a hard negative for X).
REVIEWS = ("not_staff", "was_staff", "correct", "wrong_person")


class DecisionFace(db.Model):
    __tablename__ = "decision_faces"
    __table_args__ = (Index("ix_decision_faces_kind_time", "kind", "captured_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(64), unique=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Enum(*DECISION_KINDS, name="decision_kind"))
    # The person decided (granted or denied); forgetting the person deletes their faces with them.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The track's mean embedding (float32, enrolment layout) and the embedder that made it.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedder: Mapped[str | None] = mapped_column(String(64))
    # The snapshot: a small JPEG of the face in the deciding frame, deleted after SNAPSHOT_DAYS.
    crop: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The whole deciding frame as the camera sent it (JPEG), kept only when SNAPSHOT_FRAMES is on.
    frame: Mapped[bytes | None] = mapped_column(MediumBlob, deferred=True)
    review: Mapped[str | None] = mapped_column(Enum(*REVIEWS, name="decision_review"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    gate: Mapped[Gate] = relationship()
    staff: Mapped[Staff | None] = relationship()

    def embedding_vector(self) -> np.ndarray | None:
        """The track's mean embedding as a float32 vector, or None."""
        return None if self.embedding is None else np.frombuffer(self.embedding, dtype=np.float32)

    def __repr__(self) -> str:
        return f"<DecisionFace {self.kind} {self.decision_id[:8]} at gate {self.gate_id}>"

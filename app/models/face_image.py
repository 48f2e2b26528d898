"""Face photos of staff members: their names, what preprocessing found, their cached embeddings (the JPEG itself is a
PhotoBlob row)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class FaceImage(db.Model):
    __tablename__ = "face_images"
    __table_args__ = (UniqueConstraint("staff_id", "raw_path", name="uq_face_images_staff_raw"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    # The photo's name, unique per person, and its path in an export (`flask faces export`): "raw/<folder>/<name>.jpg".
    raw_path: Mapped[str] = mapped_column(String(512))
    # float32 embedding bytes, and the embedder that produced them (a different embedder means recompute).
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedder: Mapped[str | None] = mapped_column(String(64))
    # [x, y, width, height] of the face in the raw photo.
    box: Mapped[list | None] = mapped_column(JSON)
    rejection_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def embedding_vector(self) -> np.ndarray | None:
        """The cached embedding as a float32 vector, or None if not computed."""
        return None if self.embedding is None else np.frombuffer(self.embedding, dtype=np.float32)

    def set_embedding(self, vector: np.ndarray, embedder: str) -> None:
        """Cache vector as this image's embedding, produced by embedder."""
        self.embedding = np.asarray(vector, dtype=np.float32).tobytes()
        self.embedder = embedder

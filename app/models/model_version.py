"""Trained recognition models: one row per published version; its bytes are ModelChunk rows (app/models/stored.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

MODEL_KINDS = ("full", "incremental")


class ModelVersion(db.Model):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(Enum(*MODEL_KINDS, name="model_kind"))
    embedder: Mapped[str] = mapped_column(String(64))
    people_count: Mapped[int] = mapped_column(default=0)
    image_count: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    # SHA-256 (hex) and length of the stored model file, checked by every reader.
    checksum: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    # The training job that made it (None for one moved from disk or made outside a job).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<ModelVersion {self.version} ({self.kind})>"

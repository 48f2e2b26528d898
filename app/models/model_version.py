"""Trained recognition models: one row per version written to the model store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, String
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
    # Relative to the model store folder.
    path: Mapped[str] = mapped_column(String(512))

    def __repr__(self) -> str:
        return f"<ModelVersion {self.version} ({self.kind})>"

"""Which cameras to read: the active gates in the database (read with SQLAlchemy alone, no Flask app)."""

from __future__ import annotations

import sqlalchemy as sa

from app.cameras import CameraSource
from app.models import Gate


def active_gate_sources(engine: sa.Engine, only: set[int] | None = None) -> dict[int, CameraSource]:
    """{gate id: camera source and stream secret} for every active gate with a camera (only those in `only`)."""
    with engine.connect() as conn:
        query = sa.select(Gate.id, Gate.camera_source, Gate.stream_secret).where(Gate.active.is_(True))
        rows = conn.execute(query).all()
    return {
        gate_id: CameraSource(source, secret)
        for gate_id, source, secret in rows
        if source and (only is None or gate_id in only)
    }

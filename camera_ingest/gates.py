"""Which cameras to read: the active gates in the database (read with SQLAlchemy alone, no Flask app)."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Gate


def active_gate_sources(engine: sa.Engine, only: set[int] | None = None) -> dict[int, str]:
    """{gate id: camera source} for every active gate with a camera (only those in `only`, when given)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Gate.id, Gate.camera_source).where(Gate.active.is_(True))).all()
    return {gate_id: source for gate_id, source in rows if source and (only is None or gate_id in only)}

"""The in/out log: one row each time a cleared staff member passes a gate. Rows are never updated."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import BigIntKey, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate
    from app.models.staff import Staff

DIRECTIONS = ("in", "out")


class Log(db.Model):
    __tablename__ = "logs"
    __table_args__ = (
        Index("ix_logs_staff_time", "staff_id", "timestamp"),
        Index("ix_logs_gate_time", "gate_id", "timestamp"),
        Index("ix_logs_time", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    # Deleting a person deletes their log rows with them (see docs/privacy.md).
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # A gate with log rows cannot be deleted; deactivate it instead.
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id", ondelete="RESTRICT"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(Enum(*DIRECTIONS, name="log_status"))
    # The decision that wrote this row: a retried decision finds its row instead of writing a second one.
    decision_id: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: uuid.uuid4().hex)
    # A rule this pass broke although it was granted: "anti-passback" (an area in soft mode), else None.
    violation: Mapped[str | None] = mapped_column(String(64))

    staff: Mapped[Staff] = relationship()
    gate: Mapped[Gate] = relationship()

    def __repr__(self) -> str:
        return f"<Log {self.staff_id} {self.status} at gate {self.gate_id} {self.timestamp:%Y-%m-%d %H:%M:%S}>"

"""Door alarms: a door forced open (opened while the gate had not released it) or held open too long."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import BigIntKey, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate

FORCED_OPEN, HELD_OPEN = "door_forced_open", "door_held_open"
ALARM_KINDS = (FORCED_OPEN, HELD_OPEN)


class Alarm(db.Model):
    __tablename__ = "alarms"
    __table_args__ = (
        # One alarm of each kind per opening of a door, however often the gate reports it.
        UniqueConstraint("gate_id", "kind", "opened_at", name="uq_alarms_gate_kind_opening"),
        Index("ix_alarms_open", "acknowledged_at", "raised_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Enum(*ALARM_KINDS, name="alarm_kind"))
    # When the door opened (the gate's clock): the opening this alarm is about.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The id of the alarm's event on the gate stream (published once, however often it is retried).
    event_id: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: uuid.uuid4().hex)
    door_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)

    gate: Mapped[Gate] = relationship()

    @property
    def label(self) -> str:
        """How the alarm is called for people: 'door forced open' or 'door held open'."""
        return self.kind.replace("_", " ")

    def __repr__(self) -> str:
        return f"<Alarm {self.kind} at gate {self.gate_id} {self.opened_at:%Y-%m-%d %H:%M:%S}>"

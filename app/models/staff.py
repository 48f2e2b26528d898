"""Staff members: the people the gates recognise, and the gates each is cleared for."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate
    from app.models.user import User

staff_gates = Table(
    "staff_gates",
    db.Model.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("gate_id", ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    staff_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    avatar_path: Mapped[str | None] = mapped_column(String(255))
    # The person's folder under dataset/raw and dataset/processed: "<fullname>_<id>", made safe.
    folder: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="staff")
    gates: Mapped[list[Gate]] = relationship(secondary=staff_gates, order_by="Gate.name")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def is_cleared_for(self, gate: Gate) -> bool:
        """Whether this person may pass gate (no gates means no clearance)."""
        return any(g.id == gate.id for g in self.gates)

    def __repr__(self) -> str:
        return f"<Staff {self.staff_id} {self.full_name}>"

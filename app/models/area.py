"""Areas for anti-passback: a set of gates, each on the area's in-side or out-side, and who is inside."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate

# off: no check; soft: grant, but record the violation; hard: deny.
PASSBACK_MODES = ("off", "soft", "hard")
SIDES = ("in", "out")


class Area(db.Model):
    """A place with entry gates (side "in") and exit gates (side "out"), e.g. "Office" or "Car park"."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    anti_passback: Mapped[str] = mapped_column(Enum(*PASSBACK_MODES, name="passback_mode"), default="off")

    gates: Mapped[list[Gate]] = relationship(back_populates="area", order_by="Gate.name")

    def __str__(self) -> str:
        return self.name


class AreaPresence(db.Model):
    """Whether a person is in or out of an area, as their last granted pass through its gates left them.

    No row: unknown (a new person, or reset by an admin), so either way is allowed next.
    """

    __tablename__ = "area_presence"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True)
    side: Mapped[str] = mapped_column(Enum(*SIDES, name="area_side"))
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id", ondelete="SET NULL"))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""People the gates recognise: staff members (with a web account) and visitors (with a pass valid for a while),
their groups, and their personal clearance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.access_rule import AccessRule, staff_groups
from app.models.schedule import Schedule
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.access_rule import Group
    from app.models.gate import Gate
    from app.models.user import User

PERSON_KINDS = ("staff", "visitor")
CLEARANCE_SCHEDULE = "Always"


class Staff(db.Model):
    __tablename__ = "staff"
    # The audit trail records the person's clearance (its gates) with their columns (app/audit.py::snapshot).
    audit_also = ("gates",)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Staff members sign in with this account; visitors have none.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    staff_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    avatar_path: Mapped[str | None] = mapped_column(String(255))
    # The person's folder under dataset/raw and dataset/processed: "<fullname>_<id>", made safe.
    folder: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(Enum(*PERSON_KINDS, name="person_kind"), default="staff", index=True)
    # A visitor's pass: the member of staff they visit, and when the pass works (UTC instants).
    host_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the retention task forgot the visitor's photos and embeddings.
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(back_populates="staff")
    host: Mapped[Staff | None] = relationship(remote_side=[id])
    groups: Mapped[list[Group]] = relationship(secondary=staff_groups, back_populates="members", order_by="Group.name")
    rules: Mapped[list[AccessRule]] = relationship(back_populates="staff", cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_visitor(self) -> bool:
        return self.kind == "visitor"

    @property
    def clearance(self) -> AccessRule | None:
        """The person's clearance: their own rule with the "always" schedule, if they have one."""
        return next((rule for rule in self.rules if rule.is_clearance), None)

    @property
    def gates(self) -> list[Gate]:
        """The gates of the person's clearance (at any hour; group rules may grant more during their schedules)."""
        clearance = self.clearance
        return list(clearance.gates) if clearance is not None else []

    @gates.setter
    def gates(self, gates: list[Gate]) -> None:
        clearance = self.clearance
        if clearance is None:
            if not gates:
                return
            clearance = AccessRule(name=f"Clearance of {self.staff_id}", is_clearance=True,
                                   schedule=always_schedule())  # fmt: skip
            self.rules.append(clearance)
        clearance.gates = sorted(gates, key=lambda gate: gate.name)

    def is_cleared_for(self, gate: Gate) -> bool:
        """Whether this person's clearance includes gate (no gates means no clearance)."""
        return any(g.id == gate.id for g in self.gates)

    def __str__(self) -> str:
        return f"{self.full_name} ({self.staff_id})"

    def __repr__(self) -> str:
        return f"<Staff {self.staff_id} {self.full_name}>"


def always_schedule() -> Schedule:
    """The site's "always" schedule (every minute, no holidays), created on first use."""
    schedule = db.session.scalar(select(Schedule).where(Schedule.always.is_(True)).order_by(Schedule.id).limit(1))
    if schedule is None:
        schedule = Schedule(name=CLEARANCE_SCHEDULE, always=True)
        db.session.add(schedule)
    return schedule

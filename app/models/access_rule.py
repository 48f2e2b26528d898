"""Groups of people and access rules: a group or one person may pass some gates during a schedule."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.gate import Gate
    from app.models.schedule import Schedule
    from app.models.staff import Staff

staff_groups = Table(
    "staff_groups",
    db.Model.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)

access_rule_gates = Table(
    "access_rule_gates",
    db.Model.metadata,
    Column("rule_id", ForeignKey("access_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("gate_id", ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True),
)


class Group(db.Model):
    """A group of people (a department, a team) that access rules grant gates to."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")

    members: Mapped[list[Staff]] = relationship(
        secondary=staff_groups, back_populates="groups", order_by="Staff.last_name"
    )

    def __str__(self) -> str:
        return self.name


class AccessRule(db.Model):
    """Grants a group, or one person, the rule's gates during its schedule.

    A person's *clearance* (what the people form and `flask staff add --gate` edit) is the person's rule with the
    "always" schedule, marked is_clearance.
    """

    __tablename__ = "access_rules"
    __table_args__ = (
        CheckConstraint("(group_id IS NULL) <> (staff_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="RESTRICT"), index=True)
    is_clearance: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group | None] = relationship()
    staff: Mapped[Staff | None] = relationship(back_populates="rules")
    schedule: Mapped[Schedule] = relationship()
    gates: Mapped[list[Gate]] = relationship(secondary=access_rule_gates, order_by="Gate.name")

    def __str__(self) -> str:
        return self.name

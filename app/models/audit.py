"""The audit trail: one append-only row per admin action (who, when, what, on what, before/after, why)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import BigIntKey, UTCDateTime, utcnow


class AuditImmutableError(RuntimeError):
    """Raised when code tries to change or delete an audit row: the trail is append-only."""


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_action_at", "action", "at"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who: an admin's username, or "cli:<system user>" for a command run in a terminal. Kept as text, so the row
    # still says who it was after the account is deleted.
    actor: Mapped[str] = mapped_column(String(128))
    # What: "create", "edit", "delete", "gate.unlock", "password.reset", "alarm.acknowledge"... (app/audit.py)
    action: Mapped[str] = mapped_column(String(64))
    # On what: the kind of thing ("gate", "staff", "log"...), its id, and how it was called then.
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str] = mapped_column(String(255), default="")
    # JSON objects of the target's fields before and after the action (secrets left out), where they apply.
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)

    @property
    def target(self) -> str:
        """The target as one string: '<type> <id> (<label>)'."""
        text = self.target_type if self.target_id is None else f"{self.target_type} {self.target_id}"
        return f"{text} ({self.target_label})" if self.target_label else text

    def before_fields(self) -> dict | None:
        """The target's fields before the action, or None."""
        return None if self.before is None else json.loads(self.before)

    def after_fields(self) -> dict | None:
        """The target's fields after the action, or None."""
        return None if self.after is None else json.loads(self.after)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.target} by {self.actor}>"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target: AuditEntry) -> None:
    raise AuditImmutableError(f"audit entry {target.id} cannot be changed: the audit trail is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target: AuditEntry) -> None:
    raise AuditImmutableError(f"audit entry {target.id} cannot be deleted: the audit trail is append-only")

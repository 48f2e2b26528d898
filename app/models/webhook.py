"""Webhooks: URLs an admin registered for some event types, and each delivery of an event to one of them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

DELIVERY_STATES = ("pending", "retrying", "delivered", "failed")


def new_webhook_secret() -> str:
    """A random signing secret for a new webhook (shown to the admin, who gives it to the receiver)."""
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Comma-separated event types ("granted,stranger"); empty: every event.
    event_types: Mapped[str] = mapped_column(String(512), default="")
    # Signs each delivery (HMAC-SHA256); the receiver needs it in clear, so it is stored as it is.
    secret: Mapped[str] = mapped_column(String(128), default=new_webhook_secret)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deliveries = relationship("WebhookDelivery", back_populates="webhook", cascade="all, delete-orphan",
                              passive_deletes=True)

    def wants(self, event_type: str) -> bool:
        """Whether this webhook is active and registered for event_type."""
        types = {kind.strip() for kind in self.event_types.split(",") if kind.strip()}
        return self.active and (not types or event_type in types)

    def __repr__(self) -> str:
        return f"<Webhook {self.name}>"


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(32))
    gate_id: Mapped[int | None] = mapped_column()
    # The exact JSON body sent (and signed) at every attempt.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Enum(*DELIVERY_STATES, name="webhook_delivery_state"), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    webhook = relationship("Webhook", back_populates="deliveries")

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.event_type} {self.state} x{self.attempts}>"

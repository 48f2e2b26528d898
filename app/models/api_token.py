"""Personal API tokens for scripts: created by an admin for an admin account, scoped read or write, revocable; only
a hash of each token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

SCOPES = ("read", "write")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Enum(*SCOPES, name="api_token_scope"), default="read")
    # SHA-256 of the token (256 random bits, so a plain hash is enough), and its first characters to recognise it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def allows(self, scope: str) -> bool:
        """Whether this token may do what scope needs (write includes read)."""
        return self.scope == "write" or scope == "read"

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}... {self.scope}>"

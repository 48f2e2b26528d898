"""Gates: one door, its camera and the Raspberry Pi that drives it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.area import SIDES
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.area import Area

LIVENESS_MODES = ("off", "warn", "enforce")


DOOR_STATES = ("open", "closed")
DEFAULT_HELD_OPEN_LIMIT_S = 30


def hash_token(token: str) -> str:
    """The stored form of a gate API token (tokens are 256-bit random, so SHA-256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Gate(db.Model):
    __tablename__ = "gates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    voice_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # A device index ("0"), an RTSP/HTTP URL or a path to a video file.
    camera_source: Mapped[str] = mapped_column(String(512), default="")
    # Unique and indexed: the gate endpoint finds a gate by its token's hash on every request.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    # The credential camera_ingest sends to the gate's own camera stream (`python -m gate_client.stream`); never
    # shown after `flask gates stream-secret` prints it, never in the audit trail (app/audit.py SECRET_FIELDS).
    stream_secret: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What a face that is not live (a photo) does here: "enforce" refuses it, "warn" logs it, "off" ignores it
    # (app/gates/liveness.py, docs/liveness.md).
    liveness: Mapped[str] = mapped_column(
        Enum(*LIVENESS_MODES, name="liveness_mode"), default="enforce", server_default="enforce"
    )
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The anti-passback area this gate leads into (side "in") or out of (side "out"), if any.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    area_side: Mapped[str | None] = mapped_column(Enum(*SIDES, name="area_side"))

    # Remote door commands (app/gates/commands.py): locked down (no face opens the door; the exit button does), and
    # held open until this time (a delivery). Both are told to the gate through its event stream.
    lockdown: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The door contact (app/gates/doors.py): "open", "closed", or None when the gate has none or never reported;
    # when the current opening began and when the state last changed (both by the gate's clock).
    door_state: Mapped[str | None] = mapped_column(Enum(*DOOR_STATES, name="door_state"))
    door_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    door_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A door open longer than this raises a door-held-open alarm.
    held_open_limit_s: Mapped[int] = mapped_column(Integer, default=DEFAULT_HELD_OPEN_LIMIT_S)

    area: Mapped[Area | None] = relationship(back_populates="gates")

    def is_held_open(self, at: datetime) -> bool:
        """Whether a remote hold-open keeps the door open at `at`."""
        return self.hold_open_until is not None and self.hold_open_until > at

    def rotate_token(self) -> str:
        """Give the gate a new API token; return it (only its hash is kept, so show it once)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    def rotate_stream_secret(self) -> str:
        """Give the gate's camera stream a new secret; return it (to be put on the gate's Pi)."""
        self.stream_secret = secrets.token_urlsafe(32)
        return self.stream_secret

    def is_online(self, max_silence: timedelta = timedelta(seconds=60)) -> bool:
        """Whether the gate sent a heartbeat within max_silence."""
        return self.last_heartbeat_at is not None and utcnow() - self.last_heartbeat_at <= max_silence

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Gate {self.name}>"

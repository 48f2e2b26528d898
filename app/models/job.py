"""Background jobs (capture, preprocess, train): their state and progress, for progress bars."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

JOB_KINDS = ("capture", "preprocess", "train")
JOB_STATES = ("pending", "running", "succeeded", "failed", "cancelled")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(Enum(*JOB_KINDS, name="job_kind"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(Enum(*JOB_STATES, name="job_state"), default="pending")
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    def __repr__(self) -> str:
        return f"<Job {self.kind} {self.state} {self.progress}%>"

"""The access policy's revision: it changes in the same transaction as any change to groups, memberships,
schedules, holidays or rules, so every process knows when its cached copy of the policy is stale."""

from __future__ import annotations

import uuid

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.access_rule import AccessRule, Group
from app.models.schedule import Holiday, HolidayCalendar, Schedule, ScheduleWindow
from app.models.staff import Staff

POLICY_MODELS = (AccessRule, Group, Holiday, HolidayCalendar, Schedule, ScheduleWindow)
REVISION_ROW = 1


class PolicyRevision(db.Model):
    """A single row (id 1); its revision is a new random value after every change to the policy."""

    __tablename__ = "policy_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[str] = mapped_column(String(32))


def _changes_policy(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, (*POLICY_MODELS, Staff)):
            return True
    for obj in session.dirty:
        if isinstance(obj, POLICY_MODELS) and session.is_modified(obj):
            return True
        if isinstance(obj, Staff) and inspect(obj).attrs.groups.history.has_changes():
            return True
    return False


@event.listens_for(Session, "before_flush")
def _bump_revision(session: Session, _flush_context, _instances) -> None:
    """Give the policy a new revision when this flush changes it."""
    if not _changes_policy(session):
        return
    with session.no_autoflush:
        row = session.get(PolicyRevision, REVISION_ROW)
    if row is None:
        session.add(PolicyRevision(id=REVISION_ROW, revision=uuid.uuid4().hex))
    else:
        row.revision = uuid.uuid4().hex

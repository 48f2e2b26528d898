"""Visitors and their temporary passes: a visitor is a person without a web account, visiting a member of staff,
cleared for some gates from valid_from until valid_until. The pass stops at its end by itself (the access decision
reads it); some days later the retention task forgets the visitor's photos and embeddings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from app.access.editing import AccessError, find_gates, find_person
from app.accounts import safe_folder_name, unique_folder
from app.avatars import remove_avatar
from app.enrolment.dataset import remove_person
from app.enrolment.photos import delete_photos_of
from app.extensions import db
from app.models import DecisionFace, Staff, User


def check_pass(valid_from: datetime, valid_until: datetime) -> None:
    """AccessError unless the pass's times are aware and it ends after it starts."""
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise AccessError("A pass's start and end need a time zone.")
    if valid_until <= valid_from:
        raise AccessError(f"The pass ends ({valid_until:%Y-%m-%d %H:%M}) before it starts "
                          f"({valid_from:%Y-%m-%d %H:%M}).")  # fmt: skip


def create_visitor(
    visitor_id: str,
    first_name: str,
    last_name: str,
    host: str,
    gates: list[str],
    valid_from: datetime,
    valid_until: datetime,
    email: str | None = None,
) -> Staff:
    """A visitor with a pass for these gates from valid_from until valid_until, visiting host (a staff ID);
    committed. Their photos are added like a staff member's (admin upload or `flask faces import`)."""
    visitor_id, first_name, last_name = visitor_id.strip(), first_name.strip(), last_name.strip()
    if not visitor_id or not first_name or not last_name:
        raise AccessError("Visitor ID, first name and last name are required.")
    taken = db.session.scalar(select(Staff.id).where(Staff.staff_id == visitor_id)) or db.session.scalar(
        select(User.id).where(User.username == visitor_id)
    )
    if taken:
        raise AccessError(f"The ID {visitor_id!r} is already taken.")
    check_pass(valid_from, valid_until)
    host_person = find_person(host)
    if host_person.is_visitor:
        raise AccessError(f"The host {host!r} must be a member of staff, not a visitor.")
    gate_rows = find_gates(gates)
    visitor = Staff(
        staff_id=visitor_id,
        first_name=first_name,
        last_name=last_name,
        email=(email or "").strip() or None,
        kind="visitor",
        host=host_person,
        valid_from=valid_from,
        valid_until=valid_until,
        folder=unique_folder(safe_folder_name(first_name, last_name, visitor_id)),
        gates=gate_rows,
    )
    db.session.add(visitor)
    db.session.commit()
    return visitor


def end_pass(visitor: Staff, now: datetime) -> None:
    """End a visitor's pass now (it was valid until a later time); committed."""
    if visitor.valid_until is None or visitor.valid_until > now:
        visitor.valid_until = max(now, visitor.valid_from or now)
    db.session.commit()


def forget_expired_visitors(data_root: Path, now: datetime, days: int) -> int:
    """Forget the photos, embeddings, avatar and decision faces of visitors whose pass ended more than `days` days
    before now; the visitor's row (and in/out log) stays, marked forgotten. How many visitors were forgotten."""
    if days < 0:
        raise ValueError(f"FACEGATE_VISITOR_FORGET_DAYS must be 0 or more, got {days}")
    due = db.session.scalars(
        select(Staff).where(
            Staff.kind == "visitor",
            Staff.forgotten_at.is_(None),
            Staff.valid_until <= now - timedelta(days=days),
        )
    ).all()
    for visitor in due:
        delete_photos_of(visitor.id)
        db.session.execute(delete(DecisionFace).where(DecisionFace.staff_id == visitor.id))
        remove_person(data_root, visitor.folder)
        remove_avatar(visitor)
        visitor.forgotten_at = now
        db.session.commit()
    return len(due)

"""The audit trail: writing one append-only row per admin action, and reading rows back for the list, CSV and CLI.

Every admin action goes through here: create/edit/delete in Flask-Admin (app/admin/security.py's AdminModelView),
remote door commands, trainings, password resets, alarm acknowledgements, log-row deletions. Rows are never
changed or deleted (app/models/audit.py refuses it).
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect, select

from app.extensions import db
from app.models.audit import AuditEntry

# Columns whose values never go into the trail.
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "stream_secret"})
# The attribute that names a thing in the trail, first one found.
_LABEL_ATTRIBUTES = ("name", "full_name", "username", "staff_id")


def cli_actor() -> str:
    """The actor of a command run in a terminal: 'cli:<system user>'."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (e.g. a container without /etc/passwd entry)
        return "cli"


def _json_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def label_of(model: object) -> str:
    """How the trail names model: its name, full name, username or staff ID, else its representation."""
    for attribute in _LABEL_ATTRIBUTES:
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return repr(model).strip("<>")


def snapshot(model: object) -> dict:
    """model's column values (secrets left out) and its collections (as labels), JSON-safe, for before/after."""
    mapper = inspect(model).mapper
    fields = {
        column.key: _json_value(getattr(model, column.key))
        for column in mapper.column_attrs
        if column.key not in SECRET_FIELDS
    }
    for relation in mapper.relationships:
        if relation.uselist and relation.secondary is not None:  # many-to-many, e.g. a person's groups
            fields[relation.key] = sorted(label_of(item) for item in getattr(model, relation.key))
    # Other attributes a model wants in its audit rows (e.g. a person's clearance, kept in an access rule).
    for name in getattr(type(model), "audit_also", ()):
        value = getattr(model, name)
        is_collection = isinstance(value, list | tuple | set)
        fields[name] = sorted(label_of(item) for item in value) if is_collection else _json_value(value)
    return fields


def target_of(model: object) -> tuple[str, str | None, str]:
    """(type, id, label) of model for an audit row: its table name, primary key and label."""
    state = inspect(model)
    key = state.identity
    target_id = None if key is None else ",".join(str(part) for part in key)
    return state.mapper.local_table.name, target_id, label_of(model)


def record(
    actor: str,
    action: str,
    target: tuple[str, str | None, str],
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append one audit row (committed, with whatever else the session holds): who did what to target and why."""
    target_type, target_id, label = target
    entry = AuditEntry(
        actor=actor[:128],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label[:255],
        before=None if before is None else json.dumps(before, sort_keys=True, ensure_ascii=False),
        after=None if after is None else json.dumps(after, sort_keys=True, ensure_ascii=False),
        reason=(reason or "").strip() or None,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def changed_fields(entry: AuditEntry) -> dict[str, tuple[object, object]]:
    """The fields whose value differs between before and after: {field: (before, after)}."""
    before, after = entry.before_fields() or {}, entry.after_fields() or {}
    return {key: (before.get(key), after.get(key)) for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)}


def entries_since(since: datetime | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Audit rows at or after since (all when None), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def entry_dict(entry: AuditEntry) -> dict:
    """One audit row as a JSON-safe dict: at, actor, action, target (and its parts), reason, before, after."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "reason": entry.reason,
        "before": entry.before_fields(),
        "after": entry.after_fields(),
    }

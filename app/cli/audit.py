"""`flask audit list`: the audit trail in a terminal, as text or one JSON object per line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.audit import entries_since, entry_dict
from app.sitetime import format_local

audit_cli = AppGroup("audit", help="The audit trail of admin actions (read only).")


def parse_since(text: str | None) -> datetime | None:
    """The --since value as an aware datetime (a naive one is taken as UTC); click.BadParameter when unreadable."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date or time such as 2026-11-30 or 2026-11-30T08:00:00Z",
                                 param_hint="--since") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@audit_cli.command("list")
@click.option("--since", help="Only entries at or after this ISO date/time (UTC unless it has an offset).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(since: str | None, as_json: bool) -> None:
    """Print the audit trail, oldest first."""
    for entry in entries_since(parse_since(since)):
        if as_json:
            click.echo(json.dumps(entry_dict(entry), ensure_ascii=False, sort_keys=True))
        else:
            reason = f"  reason: {entry.reason}" if entry.reason else ""
            click.echo(f"{format_local(entry.at)}  {entry.actor}  {entry.action}  {entry.target}{reason}")

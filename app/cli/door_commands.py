"""`flask gates unlock | hold-open | lockdown`: remote door commands from a terminal, each audited with its reason."""

from __future__ import annotations

from collections.abc import Callable

import click

from app.audit import cli_actor
from app.cli.accounts import gates_cli
from app.gates.commands import MAX_HOLD_MINUTES, GateCommandError, find_gate, hold_open, remote_unlock, set_lockdown
from app.models import Gate
from app.sitetime import format_local


def _command(gate_name: str, send: Callable[[Gate], object]) -> Gate:
    """The gate named gate_name after send(gate); a ClickException (exit 1) saying why it was refused."""
    try:
        gate = find_gate(gate_name)
        send(gate)
    except GateCommandError as exc:
        raise click.ClickException(str(exc)) from exc
    return gate


@gates_cli.command("unlock")
@click.argument("gate")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def unlock_command(gate: str, reason: str) -> None:
    """Open GATE (its name or id) once, for its open time."""
    found = _command(gate, lambda g: remote_unlock(g, cli_actor(), reason))
    click.echo(f"Gate {found.name!r}: unlock sent.")


@gates_cli.command("hold-open")
@click.argument("gate")
@click.option("--minutes", type=click.IntRange(0, MAX_HOLD_MINUTES), required=True,
              help="How long the door stays open; 0 ends a hold now.")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def hold_open_command(gate: str, minutes: int, reason: str) -> None:
    """Hold GATE open for a while (a delivery), or end a hold with --minutes 0."""
    found = _command(gate, lambda g: hold_open(g, cli_actor(), minutes, reason))
    if minutes:
        click.echo(f"Gate {found.name!r}: held open until {format_local(found.hold_open_until)}.")
    else:
        click.echo(f"Gate {found.name!r}: hold ended, the door closes.")


@gates_cli.command("lockdown")
@click.argument("gate")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def lockdown_command(gate: str, state: str, reason: str) -> None:
    """Lock GATE down (no face opens it; its exit button still does) or release it."""
    found = _command(gate, lambda g: set_lockdown(g, cli_actor(), state == "on", reason))
    click.echo(f"Gate {found.name!r}: lockdown {state}.")

"""`flask users`, `flask staff` and `flask gates`: create accounts and gates from a terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import (
    AccountError,
    create_admin,
    create_gate,
    create_staff,
    rotate_gate_stream_secret,
    set_password,
)
from app.audit import cli_actor, record, snapshot, target_of

users_cli = AppGroup("users", help="Web accounts.")
staff_cli = AppGroup("staff", help="Staff members.")
gates_cli = AppGroup("gates", help="Gates (doors).")


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--password", help="Prompted for (hidden, twice) when omitted.")
def create_admin_command(username: str, password: str | None) -> None:
    """Create an admin account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_admin(username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record(cli_actor(), "create", target_of(user), after=snapshot(user))
    click.echo(f"Admin {username!r} created.")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", help="Prompted for (hidden, twice) when omitted.")
def set_password_command(username: str, password: str | None) -> None:
    """Set a user's password (the user need not change it at next login)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = set_password(username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record(cli_actor(), "password.reset", target_of(user), after={"must_change_password": user.must_change_password})
    click.echo(f"Password of {username!r} changed.")


@staff_cli.command("add")
@click.argument("staff_id")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--email")
@click.option("--phone")
@click.option("--gate", "gates", multiple=True, help="A gate the person is cleared for (repeatable).")
def add_staff_command(
    staff_id: str, first_name: str, last_name: str, email: str | None, phone: str | None, gates: tuple[str, ...]
) -> None:
    """Create a staff member and their web account with a one-time password."""
    try:
        staff, password = create_staff(staff_id, first_name, last_name, email, phone, list(gates))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record(cli_actor(), "create", target_of(staff), after=snapshot(staff))
    click.echo(f"Staff {staff.staff_id} ({staff.full_name}) created; image folder {staff.folder}.")
    click.echo(f"One-time password (shown once, must be changed at first login): {password}")


@gates_cli.command("add")
@click.argument("name")
@click.option("--camera", "camera", required=True, help="Device index, RTSP/HTTP URL or video file.")
@click.option("--ip", "ip_address")
@click.option("--voice/--no-voice", default=True, show_default=True)
def add_gate_command(name: str, camera: str, ip_address: str | None, voice: bool) -> None:
    """Create a gate and print its API token once."""
    try:
        gate, token = create_gate(name, camera, ip_address, voice)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record(cli_actor(), "create", target_of(gate), after=snapshot(gate))
    click.echo(f"Gate {gate.name!r} created with id {gate.id}.")
    click.echo(f"API token (shown once; put it in the gate's config): {token}")


@gates_cli.command("stream-secret")
@click.argument("name")
def stream_secret_command(name: str) -> None:
    """Give the gate's camera stream a new secret and print it once (for the Pi's /etc/facegate/stream-secret)."""
    try:
        gate, secret = rotate_gate_stream_secret(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    record(cli_actor(), "rotate stream secret", target_of(gate))
    click.echo(f"Camera stream secret of gate {gate.name!r} (shown once; camera_ingest sends it from now on):")
    click.echo(secret)

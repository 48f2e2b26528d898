"""`flask tls`: the site's own certificate authority and the server certificates it issues (app/tls.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.tls import CA_CERT, TlsError, issue_server_cert, make_ca

tls_cli = AppGroup("tls", help="The site's certificate authority and server certificates (HTTPS).")


@tls_cli.command("make-ca")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="facegate site CA", show_default=True, help="The CA's common name.")
@click.option("--days", default=3650, show_default=True, help="How long the CA is valid.")
def make_ca_command(directory: Path, name: str, days: int) -> None:
    """Make a CA in DIRECTORY: ca.crt (copy it to every gate) and ca.key (keep it here, mode 0600)."""
    try:
        cert = make_ca(directory, name, days)
    except TlsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"CA certificate {cert} (give it to the gates and camera_ingest); key {directory / 'ca.key'}.")


@tls_cli.command("issue")
@click.argument("ca_directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--host", "hosts", multiple=True, required=True,
              help="A name or IP address clients reach the server by (repeatable).")  # fmt: skip
@click.option("--cert", "cert_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--days", default=825, show_default=True, help="How long the certificate is valid.")
def issue_command(ca_directory: Path, hosts: tuple[str, ...], cert_path: Path, key_path: Path, days: int) -> None:
    """Issue a server certificate (the web app's, or a gate's camera stream's) signed by the CA in CA_DIRECTORY."""
    try:
        issue_server_cert(ca_directory, list(hosts), cert_path, key_path, days)
    except TlsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Certificate {cert_path} for {', '.join(hosts)} (key {key_path}), signed by "
               f"{ca_directory / CA_CERT}.")  # fmt: skip

"""Flask CLI command groups: `flask users`, `flask staff`, `flask gates`, `flask faces`, `flask integrations`,
`flask access`, `flask visitors`, `flask audit`, `flask tls`, `flask storage` and `flask events`."""

from flask import Flask

from app.cli import (
    door_commands,  # noqa: F401  (adds unlock/hold-open/lockdown to `flask gates`)
    enrolment_commands,  # noqa: F401  (adds import/capture/preprocess/train to `flask faces`)
    liveness_commands,  # noqa: F401  (adds liveness-eval to `flask faces`)
)
from app.cli.access import access_cli, visitors_cli
from app.cli.accounts import gates_cli, staff_cli, users_cli
from app.cli.audit import audit_cli
from app.cli.events import events_cli
from app.cli.faces import faces_cli
from app.cli.integrations import integrations_cli
from app.cli.storage import storage_cli
from app.cli.tls_commands import tls_cli


def register_cli(flask_app: Flask) -> None:
    """Attach facegate's command groups to flask_app."""
    for group in (users_cli, staff_cli, gates_cli, faces_cli, integrations_cli, access_cli, visitors_cli, audit_cli,
                  tls_cli, storage_cli, events_cli):
        flask_app.cli.add_command(group)

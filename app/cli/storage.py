"""`flask storage move-to-db`: move an older site's photos, models and avatars from this host's disk into the shared
database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.enrolment.moving import move_files_to_database

storage_cli = AppGroup("storage", help="The shared stores of photos, avatars and models.")


@storage_cli.command("move-to-db")
@click.option("--dry-run", is_flag=True, help="Only count what would move; change nothing.")
def move_to_db_command(dry_run: bool) -> None:
    """Move this host's photo, model and avatar files (FACEGATE_DATA_DIR, FACEGATE_MODEL_DIR, FACEGATE_MEDIA_DIR)
    into the database, once after `flask db upgrade`; run it on every host that has such files."""
    config = current_app.config
    report = move_files_to_database(
        Path(config["DATA_DIR"]), Path(config["MODEL_DIR"]), Path(config["MEDIA_DIR"]), dry_run
    )
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"{verb} {report.photos} photos, {report.models} model versions and {report.avatars} avatars into the "
        f"database; {'would delete' if dry_run else 'deleted'} {report.crop_files_deleted} crop files"
    )
    missing = report.photos_missing + report.models_missing + report.avatars_missing
    if missing:
        click.echo(
            f"not on this host: {report.photos_missing} photos, {report.models_missing} model versions, "
            f"{report.avatars_missing} avatars (run the command on the host that has them)",
            err=True,
        )

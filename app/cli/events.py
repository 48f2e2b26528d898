"""`flask events follow`: the site's one writer of the management event file (run it on one host)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.gates.event_file import EventFileWriter, follow_events
from app.redis_client import get_redis

events_cli = AppGroup("events", help="The management event file.")


@events_cli.command("follow")
@click.option("--once", is_flag=True, help="Write the events published so far, then stop.")
def follow_command(once: bool) -> None:
    """Append every gate's events to FACEGATE_DATA_DIR/events/ as JSON lines, exactly once, until stopped (SIGTERM,
    Ctrl-C); delete files older than FACEGATE_EVENT_FILE_RETENTION_DAYS; scrub the lines of forgotten people."""
    config = current_app.config
    directory = Path(config["DATA_DIR"]) / "events"
    writer = EventFileWriter(get_redis(config["REDIS_URL"]), directory, config["EVENT_FILE_MAX_BYTES"])
    stop = threading.Event()
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
    click.echo(f"events: writing to {directory} after stream id {writer.cursor}")
    written = follow_events(writer, config["EVENT_FILE_RETENTION_DAYS"], lambda: not (once or stop.is_set()))
    click.echo(f"events: {written} events written")

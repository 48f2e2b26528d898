"""The JSON-lines event file for management, written by one process per site (`flask events follow`): it follows
the stream of every gate's events in Redis from its own cursor and appends one line per event under its
EVENT_DIR, a new file per day and once a file reaches its size limit; it is also the one place that deletes old
files (FACEGATE_EVENT_FILE_RETENTION_DAYS) and scrubs the lines of a person who was forgotten.

Exactly once across restarts: each line carries its stream id, the cursor file is written only after the lines
are on disk, and a restart skips the lines of the newest files that are already beyond the saved cursor.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import redis

from app.enrolment.dataset import write_atomically
from app.enrolment.forgetting import FORGET_KEY
from app.gates.stream import ALL_EVENTS_KEY

CURSOR_FILE = "cursor"
EVENT_FILE_PATTERN = re.compile(r"^events-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.jsonl$")
PURGE_EVERY_S = 60
RETRY_S = 1.0
logger = logging.getLogger(__name__)


def event_file_path(directory: Path, max_bytes: int, today: datetime | None = None) -> Path:
    """The file today's next event goes to: events-YYYY-MM-DD.jsonl, then -1, -2... once one reaches max_bytes."""
    day = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    index = 0
    while True:
        path = directory / (f"events-{day}.jsonl" if index == 0 else f"events-{day}-{index}.jsonl")
        try:
            if path.stat().st_size < max_bytes:
                return path
        except FileNotFoundError:
            return path
        index += 1


def append_event_line(directory: Path, event: dict, max_bytes: int) -> Path:
    """Append event as one JSON line (a single O_APPEND write, flushed to disk); return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = event_file_path(directory, max_bytes)
    line = (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def event_files(directory: Path) -> list[tuple[date, int, Path]]:
    """The event files in directory as (day, index, path), oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        if match := EVENT_FILE_PATTERN.match(path.name):
            found.append((date.fromisoformat(match.group(1)), int(match.group(2) or 0), path))
    return sorted(found)


def _stream_id(entry: str) -> tuple[int, int]:
    millis, _, seq = entry.partition("-")
    return int(millis), int(seq or 0)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class EventFileWriter:
    """Appends the events of ALL_EVENTS_KEY after its cursor to the event files in directory, exactly once."""

    def __init__(self, client: redis.Redis, directory: Path, max_bytes: int) -> None:
        self.client, self.directory, self.max_bytes = client, Path(directory), max_bytes
        self.cursor = self._recover()

    def _recover(self) -> str:
        """The saved cursor, moved past any line written after it was saved (a crash between the two)."""
        try:
            cursor = (self.directory / CURSOR_FILE).read_text().strip() or "0"
        except FileNotFoundError:
            cursor = "0"
        for _day, _index, path in event_files(self.directory)[-2:]:
            for line in path.read_text().splitlines():
                entry = json.loads(line).get("stream_id")
                if entry and _stream_id(entry) > _stream_id(cursor):
                    cursor = entry
        return cursor

    def write_new(self, block_ms: int = 0, count: int = 500) -> int:
        """Append the events published after the cursor (waiting up to block_ms for one); how many."""
        reply = self.client.xread({ALL_EVENTS_KEY: self.cursor}, count=count, block=block_ms or None)
        written = 0
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                event = json.loads(_text(fields.get("event") or fields.get(b"event")))
                entry = _text(entry_id)
                append_event_line(self.directory, {**event, "stream_id": entry}, self.max_bytes)
                self.cursor = entry
                written += 1
        if written:
            write_atomically(self.directory / CURSOR_FILE, f"{self.cursor}\n".encode())
        return written

    def purge_before(self, first_kept: date) -> int:
        """Delete the event files of days before first_kept; how many went."""
        removed = 0
        for day, _index, path in event_files(self.directory):
            if day < first_kept:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def scrub_forgotten(self) -> int:
        """Remove every line about the people forgotten since (app/enrolment/forgetting.py), each file rewritten
        atomically; how many lines went."""
        staff_ids = {_text(member) for member in self.client.smembers(FORGET_KEY)}
        if not staff_ids:
            return 0
        removed = 0
        for _day, _index, path in event_files(self.directory):
            lines = path.read_text().splitlines(keepends=True)
            kept = [line for line in lines if json.loads(line).get("staff_id") not in staff_ids]
            if len(kept) != len(lines):
                write_atomically(path, "".join(kept).encode())
                removed += len(lines) - len(kept)
        self.client.srem(FORGET_KEY, *staff_ids)
        return removed


def follow_events(writer: EventFileWriter, retention_days: int, keep_going: Callable[[], bool]) -> int:
    """Run the writer while keep_going(): scrub forgotten people, append new events, delete files older than
    retention_days (0 keeps them) once a minute; the number of events written. Redis going away pauses it (it
    carries on from its cursor when Redis is back)."""
    written, purged_at = 0, float("-inf")
    while True:
        try:
            writer.scrub_forgotten()
            written += writer.write_new(block_ms=1000)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("events: Redis unreachable (%s); retrying in %s s", exc, RETRY_S)
            time.sleep(RETRY_S)
        if retention_days and time.monotonic() - purged_at >= PURGE_EVERY_S:
            writer.purge_before((datetime.now(UTC) - timedelta(days=retention_days)).date())
            purged_at = time.monotonic()
        if not keep_going():
            return written

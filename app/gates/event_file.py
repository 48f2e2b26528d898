"""The JSON-lines event file for management: one line per event under DATA_DIR/events, rotated by day and size."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path


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
    """Append event as one JSON line (a single O_APPEND write, so processes never interleave); return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = event_file_path(directory, max_bytes)
    line = (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return path

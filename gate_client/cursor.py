"""The gate's place in its event stream, kept on disk so that a reboot neither replays nor skips an event."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

CURSOR_PATTERN = re.compile(r"^\d+(-\d+)?$")


@dataclass(frozen=True)
class CursorState:
    """Read after stream id `after`, skipping the events of that answer already handled (by event id)."""

    after: str = "0"
    handled: tuple[str, ...] = field(default_factory=tuple)


class CursorStore:
    """One JSON file holding a CursorState, replaced atomically (temp file, fsync, rename) on every save."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> CursorState:
        """The saved state; the start of the stream when there is no file, or when it is unreadable (logged)."""
        try:
            data = json.loads(self.path.read_text())
            after = str(data["after"])
            handled = tuple(str(item) for item in data.get("handled", []))
        except FileNotFoundError:
            log.info("no cursor file at %s: starting from the beginning of the retained stream", self.path)
            return CursorState()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("cursor file %s is unreadable (%s): starting from the beginning of the stream", self.path, exc)
            return CursorState()
        if not CURSOR_PATTERN.fullmatch(after):
            log.error("cursor file %s holds a bad cursor %r: starting from the beginning", self.path, after)
            return CursorState()
        return CursorState(after, handled)

    def save(self, state: CursorState) -> None:
        """Write state durably: a crash leaves either the old file or the new one, never a torn one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"after": state.after, "handled": list(state.handled)})
        fd, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

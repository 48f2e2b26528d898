"""Keep one reader per active gate: start, restart and stop readers as gates are added, changed or removed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from app.cameras import CameraSource, as_camera_source
from app.observability.logfmt import logfmt
from camera_ingest.reader import FrameSender, GateReader, ReaderSettings

logger = logging.getLogger(__name__)


class Supervisor:
    """The set of running gate readers, reconciled against the gates the database lists."""

    def __init__(self, settings: ReaderSettings, client: redis.Redis, send: FrameSender) -> None:
        self.settings, self._client, self._send = settings, client, send
        self.readers: dict[int, GateReader] = {}
        # Counters of readers that were stopped, so totals survive a gate's removal.
        self.retired: dict[int, dict] = {}

    def reconcile(self, sources: dict[int, str | CameraSource]) -> None:
        """Start readers for new gates, restart those whose camera (or its secret) changed, stop those no longer
        listed."""
        sources = {gate_id: as_camera_source(source) for gate_id, source in sources.items()}
        for gate_id, reader in list(self.readers.items()):
            if sources.get(gate_id) != reader.camera:
                logger.info(logfmt("reader_stopping", gate=gate_id, source=reader.source))
                self._retire(gate_id)
        for gate_id, source in sources.items():
            if gate_id not in self.readers:
                logger.info(logfmt("reader_starting", gate=gate_id, source=source))
                reader = GateReader(gate_id, source, self.settings, self._client, self._send)
                self.readers[gate_id] = reader
                reader.start()

    def _retire(self, gate_id: int) -> None:
        reader = self.readers.pop(gate_id)
        reader.stop()
        reader.join(timeout=10)
        totals = self.retired.setdefault(gate_id, {})
        for name, value in reader.stats.as_dict().items():
            totals[name] = totals.get(name, 0) + value

    def stats(self) -> dict[int, dict]:
        """{gate id: counters} over every reader this supervisor ran."""
        result = {gate_id: dict(totals) for gate_id, totals in self.retired.items()}
        for gate_id, reader in self.readers.items():
            totals = result.setdefault(gate_id, {})
            for name, value in reader.stats.as_dict().items():
                totals[name] = totals.get(name, 0) + value
        return result

    def run(
        self, list_sources: Callable[[], dict[int, str | CameraSource]], reload_s: float, stop: threading.Event
    ) -> None:
        """Reconcile every reload_s seconds until stop is set, then stop every reader."""
        while not stop.is_set():
            try:
                self.reconcile(list_sources())
            except Exception:
                # The database is restarting: keep the readers we have and try again later.
                logger.exception("reading the gates failed; keeping the current readers")
            stop.wait(reload_s)
        # Ask every reader first, so they finish their current frame together rather than one after another.
        for reader in self.readers.values():
            reader.stop()
        for gate_id in list(self.readers):
            self._retire(gate_id)

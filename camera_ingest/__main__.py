"""`python -m camera_ingest`: one reader per active gate, frames to the `recognize` queue, until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

import sqlalchemy as sa

from app.config import Config
from app.redis_client import get_redis
from camera_ingest.gates import active_gate_sources
from camera_ingest.metrics import StatsPublisher
from camera_ingest.reader import ReaderSettings
from camera_ingest.sender import celery_sender
from camera_ingest.supervisor import Supervisor

logger = logging.getLogger("camera_ingest")
# How often the per-gate counters go to the shared metrics in Redis.
METRICS_EVERY_S = 2.0


def parse_args(argv: list[str], config: Config) -> argparse.Namespace:
    """The command line, with defaults from the configuration."""
    parser = argparse.ArgumentParser(prog="python -m camera_ingest", description=__doc__)
    parser.add_argument("--fps", type=float, default=config.INGEST_FPS, help="frames sampled per second and gate")
    parser.add_argument(
        "--max-in-flight", type=int, default=config.INGEST_MAX_IN_FLIGHT, help="frames in flight per gate"
    )
    parser.add_argument("--reload-s", type=float, default=config.INGEST_RELOAD_S, help="re-read the gates this often")
    parser.add_argument("--loop", action="store_true", help="restart video files at their end (demos)")
    parser.add_argument("--gates", help="comma-separated gate ids this host reads (default: every active gate)")
    parser.add_argument("--stats-file", type=Path, help="write per-gate counters here as JSON at exit")
    args = parser.parse_args(argv)
    if args.fps <= 0 or args.max_in_flight < 1:
        parser.error("--fps must be positive and --max-in-flight at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the ingest until SIGTERM or SIGINT; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = Config.at_start()
    args = parse_args(sys.argv[1:] if argv is None else argv, config)
    only = {int(part) for part in args.gates.split(",")} if args.gates else None
    engine = sa.create_engine(config.SQLALCHEMY_DATABASE_URI, **config.SQLALCHEMY_ENGINE_OPTIONS)
    settings = ReaderSettings(
        fps=args.fps, max_in_flight=args.max_in_flight, jpeg_quality=config.INGEST_JPEG_QUALITY, loop_files=args.loop,
        ca_file=config.CAMERA_CA_FILE or None,
        # --fps may sample more slowly than the configuration: the paced rates never exceed it.
        decided_fps=min(config.INGEST_DECIDED_FPS, args.fps), idle_fps=min(config.INGEST_IDLE_FPS, args.fps),
    )
    supervisor = Supervisor(settings, get_redis(config.REDIS_URL), celery_sender(config.REDIS_URL))
    stop = threading.Event()
    publisher = StatsPublisher(get_redis(config.REDIS_URL), supervisor.stats)
    publishing = threading.Thread(target=publisher.run, args=(METRICS_EVERY_S, stop), name="metrics", daemon=True)
    publishing.start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logger.info(
        "camera_ingest: %.1f fps (%.1f with decided faces only, %.1f idle), at most %d frames in flight per gate",
        args.fps, settings.decided_fps, settings.idle_fps, args.max_in_flight,
    )
    supervisor.run(lambda: active_gate_sources(engine, only), args.reload_s, stop)
    publishing.join(timeout=10)
    publisher.publish()
    stats = supervisor.stats()
    logger.info("camera_ingest stopped: %s", stats)
    if args.stats_file:
        args.stats_file.write_text(json.dumps({str(gate_id): counters for gate_id, counters in stats.items()}))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

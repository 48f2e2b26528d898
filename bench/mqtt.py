"""MQTT publisher benchmark: does `flask integrations mqtt` keep up with many gates?

`python -m bench.mqtt [--gates 200] [--rate 10] [--duration-s 60] [--json]` builds a scratch MariaDB database with
that many gates and uses a scratch Redis database, starts a private Mosquitto and the publisher as its own process,
publishes decision events on the gates' streams (as the delivery does) at `rate` per second in total, spread over the
gates, and measures for each event the publish lag: from its stream entry (the moment facegate published it) to its
arrival at a subscriber (p50, p95, p99, max), plus events lost, duplicated and out of order per gate, and the
publisher's CPU use. The recognition path's latency with the publisher running: `python -m bench.e2e --with-mqtt`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Gate
from app.models.gate import hash_token
from app.redis_client import get_redis
from testkit.mqtt import EventLoad, MqttRecorder, mqtt_publisher
from testkit.processes import REPO_ROOT, ManagedProcess, free_port, wait_until
from testkit.scoring import percentile
from testkit.servers import private_mosquitto
from testkit.site import scratch_site

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def add_gates(count: int) -> list[int]:
    """count gates in the scratch database (one insert; their tokens are never used); their ids."""
    db.session.add_all(Gate(name=f"Door {n:03d}", camera_source="", token_hash=hash_token(f"bench-{n}"))
                       for n in range(count))  # fmt: skip
    db.session.commit()
    return sorted(db.session.scalars(db.select(Gate.id)))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds process pid has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def score(published: list[tuple[str, int, str]], recorder: MqttRecorder) -> dict:
    """Lag percentiles (seconds, first arrival of each event), lost, duplicated and out-of-order events."""
    arrivals: dict[str, float] = {}
    order: dict[int, list[str]] = {}
    duplicated = 0
    for message in recorder.matching(lambda m: m.topic.endswith("/events")):
        event = message.json()
        if event["id"] in arrivals:
            duplicated += 1
            continue
        arrivals[event["id"]] = message.at
        order.setdefault(event["gate_id"], []).append(event["id"])
    lags = [arrivals[event_id] - int(entry.split("-")[0]) / 1000 for event_id, _gate, entry in published
            if event_id in arrivals]  # fmt: skip
    expected: dict[int, list[str]] = {}
    for event_id, gate_id, _entry in published:
        expected.setdefault(gate_id, []).append(event_id)
    # A gate is out of order when the events it got arrived in another order than they were published.
    out_of_order = sum(
        1 for gate_id, ids in expected.items()
        if order.get(gate_id, []) != [event_id for event_id in ids if event_id in arrivals]
    )  # fmt: skip
    return {
        "events": len(published),
        "received": len(lags),
        "lost": len(published) - len(lags),
        "duplicated": duplicated,
        "gates_out_of_order": out_of_order,
        "lag_p50_s": percentile(lags, 50),
        "lag_p95_s": percentile(lags, 95),
        "lag_p99_s": percentile(lags, 99),
        "lag_max_s": max(lags) if lags else None,
    }


@contextlib.contextmanager
def broker_and_publisher(env: dict[str, str], root: Path) -> Iterator[tuple[ManagedProcess, int]]:
    """A private Mosquitto and `flask integrations mqtt` publishing to it, running in the block: (publisher, port)."""
    port = free_port()
    broker = private_mosquitto(root / "mosquitto", port)
    broker.start(timeout=20)
    publisher = mqtt_publisher(env, port, root / "mqtt.log")
    try:
        publisher.start(timeout=None)
        yield publisher, port
    finally:
        publisher.stop(timeout=20)
        broker.stop(timeout=10)


def run_bench(args: argparse.Namespace, env: dict[str, str], root: Path) -> dict:
    """Gates, broker, publisher, load; the measured figures."""
    flask_app = create_app()
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        gate_ids = add_gates(args.gates)
    with broker_and_publisher(env, root) as (publisher, port):
        topics = ["facegate/v1/status", "facegate/v1/gates/+/events", "facegate/v1/gates/+/state"]
        recorder = MqttRecorder(port, topics, client_id="bench-recorder")
        try:
            # Ready once every gate's state (published with its discovery at the first reload) has arrived.
            if not wait_until(lambda: len({m.topic for m in recorder.matching(lambda m: m.topic.endswith("/state"))})
                              >= args.gates, 120):  # fmt: skip
                raise RuntimeError(f"the publisher did not announce the gates; see {publisher.current_log}")
            cpu_before, started = cpu_seconds(publisher.proc.pid), time.monotonic()
            load = EventLoad(get_redis(env["REDIS_URL"]), gate_ids, args.rate).start()
            time.sleep(args.duration_s)
            published = load.stop()
            wait_until(lambda: len(recorder.matching(lambda m: m.topic.endswith("/events"))) >= len(published), 30)
            cpu = (cpu_seconds(publisher.proc.pid) - cpu_before) / (time.monotonic() - started)
            result = score(published, recorder)
        finally:
            recorder.close()
    return result | {"gates": args.gates, "rate_per_s": args.rate, "duration_s": args.duration_s,
                     "publisher_cpu_share": cpu, "load_average_1m": os.getloadavg()[0]}  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.mqtt", description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=200, help="gates (each with its event stream)")
    parser.add_argument("--rate", type=float, default=10.0, help="events per second, in total over the gates")
    parser.add_argument("--duration-s", type=float, default=60.0, help="how long events are published")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    if args.gates < 1 or args.rate <= 0 or args.duration_s <= 0:
        sys.exit("need --gates >= 1, --rate > 0 and --duration-s > 0")
    with scratch_site(args.mysql_url, args.redis_url) as (env, root):
        result = run_bench(args, env, root)
    if args.json:
        print(json.dumps(result))
    else:
        print(" | ".join(result))
        print(" | ".join(f"{value:.3f}" if isinstance(value, float) else str(value) for value in result.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

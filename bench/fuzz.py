"""Fuzz the gate API under gunicorn and a gate's camera streamer with malformed requests, and count what got through.

`python -m bench.fuzz [--requests 10000] [--stream-requests 10000] [--threads 8] [--seed 1] [--json]` builds a
scratch database on the MariaDB at --mysql-url (dropped afterwards) with one gate, serves the app with gunicorn
(gunicorn.conf.py, 2 workers x 32 threads), sends --requests malformed requests (testkit/fuzz.py: random methods,
every /api/ route with bad values in its slots and paths that match none, nasty query values, broken and repeated
Authorization headers, junk and oversized bodies, bodies cut short, lying Content-Length and chunking; a fifth with
the gate's real token and a bad parameter or a broken door report), then checks that no answer was a 5xx, that no
row was written and no event published, and that the gate's normal poll and heartbeat are still answered. Then the
same against `python -m gate_client.stream` (with a stream secret none of the requests carries), which must still
serve a snapshot to the secret afterwards.

The unknown-token limit is raised for the run (FACEGATE_API_TOKEN_MAX_FAILURES) so that every request reaches the
checks behind it instead of the 429 its address would otherwise earn after 20.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from app.accounts import create_gate
from testkit import fuzz
from testkit.cameras import square_video
from testkit.processes import REPO_ROOT, ManagedProcess, free_port, gunicorn_app, python_module
from testkit.site import scratch_site

STREAM_SECRET = "bench-fuzz-stream-secret-0123456789"


def api_rules(flask_app) -> list[str]:
    """The app's routes under /api/."""
    return sorted({rule.rule for rule in flask_app.url_map.iter_rules() if rule.rule.startswith("/api/")})


def fuzz_api(args: argparse.Namespace, env: dict[str, str], root: Path) -> dict:
    """Fuzz the gate API under gunicorn; the figures."""
    flask_app = create_app()
    with flask_app.app_context():
        from app.extensions import db

        upgrade(directory=str(REPO_ROOT / "migrations"))
        gate, token = create_gate("Fuzzed door", "")
        gate_id, rules = gate.id, api_rules(flask_app)
        db.engine.dispose()
    web = gunicorn_app(env, root / "web.log", workers=2, threads=32)
    web.start(timeout=120)
    try:
        result = fuzz.fuzz_gate_api(web.url, env["DATABASE_URL"], env["REDIS_URL"], rules, gate_id, token,
                                    args.requests, args.seed, args.threads)  # fmt: skip
    finally:
        web.stop(timeout=60)
    return {**result, "tracebacks_in_log": web.current_log.read_text(errors="replace").count("Traceback")}


def fuzz_stream(args: argparse.Namespace, root: Path) -> dict:
    """Fuzz the camera streamer; the figures."""
    (root / "stream-secret").write_text(STREAM_SECRET)
    port, log = free_port(), root / "stream.log"
    streamer = ManagedProcess("streamer", python_module(
        "gate_client.stream", "--source", str(square_video(root / "door.avi")), "--loop", "--host", "127.0.0.1",
        "--port", str(port), "--fps", "10", "--secret-file", str(root / "stream-secret"),
    ), dict(os.environ), log, ready=lambda: "serving" in log.read_text())  # fmt: skip
    streamer.start(timeout=30)
    try:
        result = fuzz.fuzz_streamer(port, STREAM_SECRET, args.stream_requests, args.seed, args.threads)
    finally:
        streamer.stop(timeout=10)
    text = log.read_text(errors="replace")
    return {**result, "refused_logged": text.count("refused GET"), "tracebacks_in_log": text.count("Traceback")}


def print_table(result: dict) -> None:
    """One row per target, then the answers by status."""
    print("target  | sent  | 5xx | HTTP/0.9 answers | closed unanswered | timed out | rows written | events | after  "
          "| req/s | tracebacks")
    api, stream = result["api"], result["stream"]
    print(f"gate API| {api['sent']:5} | {api['server_errors']:3} | {api['no_status_line']:16} | "
          f"{api['closed_unanswered']:17} | "
          f"{api['timed_out']:9} | {sum(api['rows_written'].values()):12} | {api['events_published']:6} | "
          f"{api['poll_after']}/{api['heartbeat_after']} | {api['requests_per_s']:5} | {api['tracebacks_in_log']}")
    print(f"stream  | {stream['sent']:5} | {stream['server_errors']:3} | {stream['no_status_line']:16} | "
          f"{stream['closed_unanswered']:17} | "
          f"{stream['timed_out']:9} | {'-':>12} | {'-':>6} | {stream['snapshot_after']:6} | "
          f"{stream['requests_per_s']:5} | {stream['tracebacks_in_log']}")  # fmt: skip
    print(f"gate API answers: {api['statuses']}")
    print(f"stream answers:   {stream['statuses']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="malformed requests at the gate API")
    parser.add_argument("--stream-requests", type=int, default=10_000, help="malformed requests at the streamer")
    parser.add_argument("--threads", type=int, default=8, help="requests in flight at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database the bench may flush")
    args = parser.parse_args(argv)
    if not (1 <= args.requests <= 1_000_000 and 1 <= args.stream_requests <= 1_000_000 and 1 <= args.threads <= 64):
        parser.error("need 1-1,000,000 requests each and 1-64 threads")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both fuzzes and print the table or JSON; exit status 1 when anything got through."""
    args = parse_args(argv)
    quick = {"FACEGATE_EVENTS_MAX_WAIT_S": "0.5", "FACEGATE_API_TOKEN_MAX_FAILURES": "1000000000"}
    with scratch_site(args.mysql_url, args.redis_url, quick) as (env, root):
        result = {"api": fuzz_api(args, env, root), "stream": fuzz_stream(args, root)}
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    api, stream = result["api"], result["stream"]
    clean = (api["server_errors"] == stream["server_errors"] == 0 and not api["rows_written"]
             and api["events_published"] == 0 and api["poll_after"] == api["heartbeat_after"] == 200
             and stream["snapshot_after"] == 200)  # fmt: skip
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
